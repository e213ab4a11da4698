// manifest_digest: the message digest (OpenSSL EVP) of the single file's
// manifest and of each file it lists.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace sky::core {

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

}  // namespace sky::core
