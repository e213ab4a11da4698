// manifest: the list of files of the payload, written at build time, and
// the check of an unpacked copy against it.
//
// Text format, one file a line after a header, sorted by path:
//   sky-native-manifest 1\n
//   <mode, octal> <size> <sha256, hex> <relative path>\n
// The build id is the SHA-256 of this text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sky::core {

/// Name of the manifest inside an unpacked copy.
inline constexpr const char* kManifestFileName = ".sky-native-manifest";

struct ManifestEntry {
  std::string path;   // relative, no "..", no leading '/'
  unsigned mode = 0;  // permission bits
  std::uint64_t size = 0;
  std::string sha256;  // lower-case hex
};

/// Parses the manifest text. Throws std::invalid_argument on a bad header,
/// line, or an unsafe path (absolute, "..", empty component).
std::vector<ManifestEntry> parse_manifest(const std::string& text);

/// SHA-256 of `bytes` as lower-case hex.
std::string sha256_hex(const std::string& bytes);

/// Checks the copy in `directory`: its manifest must be the one whose hash
/// is `build_id`, and every listed file present, a regular file of the
/// listed size, mode and content, and nothing else in it: every file,
/// link or directory the manifest does not list (a .pth, a module, a .pyc
/// added later) is a problem too. Returns one line per problem ("missing:
/// PATH", "changed: PATH", then "unlisted: PATH"); empty when the copy is
/// intact.
std::vector<std::string> verify_copy(const std::string& directory, const std::string& build_id);

}  // namespace sky::core
