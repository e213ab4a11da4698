// file_hash: a message digest (OpenSSL EVP) fed with a whole file in
// 262,144-byte blocks, as SkyPilot's common_utils.hash_file feeds hashlib.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "sky/core/input_file.h"

namespace sky::core {

/// Block size SkyPilot's hash_file reads with (2**18).
inline constexpr std::size_t kHashBlockSize = 262144;

/// A running message digest (an OpenSSL EVP_MD_CTX). Copyable (the copy
/// continues independently), movable; not safe for concurrent use.
class Hasher {
 public:
  /// A digest of the OpenSSL algorithm `openssl_name` (e.g. "SHA256",
  /// "BLAKE2B-512"). Throws std::invalid_argument when OpenSSL has no
  /// (fixed-size) digest of that name.
  explicit Hasher(const std::string& openssl_name);
  Hasher(const Hasher& other);
  Hasher& operator=(const Hasher& other);
  Hasher(Hasher&& other) noexcept;
  Hasher& operator=(Hasher&& other) noexcept;
  ~Hasher();

  void update(const void* data, std::size_t size);
  /// The digest of everything fed so far, as raw bytes; the hasher stays
  /// usable (finalises a copy).
  std::string digest() const;
  /// digest() as lower-case hex.
  std::string hexdigest() const;
  std::size_t digest_size() const;
  std::size_t block_size() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

/// The OpenSSL name of the digest that hashlib calls `hashlib_name` (the
/// `.name` of a hashlib object: "sha256", "sha512_224", "blake2b", ...), or
/// "" when it has no fixed-size OpenSSL equivalent (shake_*, "undefined").
std::string openssl_digest_name(std::string_view hashlib_name);

/// Feeds `hasher` with the rest of `file`, read in kHashBlockSize blocks
/// until a read returns nothing. Throws OsError(errno) (no path) when a
/// read fails.
void hash_stream(InputFile& file, Hasher& hasher);

/// SkyPilot's order: opens `path` first (OsError with the path, EISDIR for a
/// directory), then creates the digest `openssl_name` (std::invalid_argument
/// when unknown), then feeds it the whole file. Returns the hasher.
Hasher hash_file(const std::string& path, const std::string& openssl_name);

}  // namespace sky::core
