// The single file's side of the launcher: the unpacked copy it runs from,
// its maintenance commands, and what --native-info reports about it. The
// logic lives in the core (payload_trailer, payload_unpack, manifest,
// copy_cache, ca_bundle); this is the glue.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace sky_native::launcher {

/// The unpacked copy of the payload this process runs from.
struct PackagedCopy {
  std::string self;       // the single file (the path of /proc/self/exe)
  std::string build_id;   // the payload's content address
  std::string directory;  // the complete copy: PyConfig's home
};

/// In the single file, the complete copy (unpacked first when no cache root
/// holds it; on a terminal with a progress line on stderr). nullopt in the
/// development build and in a launcher without payload. A launcher whose
/// payload was stripped (its trailer names an empty one) only finds the
/// copy installed at build time. On failure prints why and exits 1.
std::optional<PackagedCopy> prepare_packaged_copy();

/// Whether this binary carries a payload (is the single file).
bool has_payload();

/// `--native-repair`: unpacks a new verified copy and swaps it in. Returns
/// the exit code. Only for the single file (see has_payload).
int repair_packaged_copy();

/// `--native-clean`: removes other and replaced copies no process uses.
/// Returns the exit code. Only for the single file (see has_payload).
int clean_packaged_copies();

/// Points SSL_CERT_FILE at a CA bundle when the host has none where the
/// bundled OpenSSL looks (see ca_bundle.h).
void configure_tls(const PackagedCopy& copy);

/// The module search path of the copy: its standard library and
/// lib-dynload (site-packages come from site, as lib/python3/dist-packages).
std::vector<std::string> packaged_search_path(const PackagedCopy& copy);

/// Sets sky_native._package (cache directory, build id, intact, problems)
/// for --native-info; verifies every file. Needs the interpreter.
void publish_package_info(const PackagedCopy& copy);

}  // namespace sky_native::launcher
