// payload_trailer: where the single file keeps its payload. The packaging
// step appends the compressed payload to the launcher's ELF file and ends
// the file with a fixed-size trailer naming the payload's offset, size and
// build id (the SHA-256 of its manifest: the payload's content address).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sky::core {

/// Size of the trailer at the very end of the single file.
inline constexpr std::size_t kPayloadTrailerSize = 96;

/// Where the payload is inside the single file, and its content address.
struct PayloadTrailer {
  std::uint64_t offset = 0;  // of the zstd stream, from the start of the file
  std::uint64_t size = 0;    // of the zstd stream
  std::string build_id;      // 64 lower-case hex digits: SHA-256 of the manifest
};

/// The trailer encoded as the packaging step writes it: "SKYNATIVE-PAYLD1",
/// offset and size as little-endian uint64, the build id.
std::string encode_payload_trailer(const PayloadTrailer& trailer);

/// Decodes the last kPayloadTrailerSize bytes of a file; nullopt when they
/// are no valid trailer (the development build has none).
std::optional<PayloadTrailer> decode_payload_trailer(const std::string& bytes);

/// Reads the trailer of the file at `path`: nullopt when the file cannot be
/// read, is too short or has no valid trailer, or when the trailer points
/// outside the file.
std::optional<PayloadTrailer> read_payload_trailer(const std::string& path);

}  // namespace sky::core
