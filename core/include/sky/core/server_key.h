// Which command server may run a command: the client names a server by a
// hash of what import-time state depends on that it can compute before
// Python starts (the binary's identity, the interpreter paths, and the
// environment variables SkyPilot and CPython read at import time). The
// server checks the rest itself (sys.path, installed packages, config files).
#pragma once

#include <string>
#include <vector>

namespace sky::core::server {

/// Whether an environment entry ("NAME=value") belongs to the key:
/// SKYPILOT_*, SKY_* (but not SKY_NATIVE_*, sky-native's own switches),
/// PYTHON*, VIRTUAL_ENV, HOME, USER, LOGNAME, PATH, LANG, LANGUAGE, LC_*,
/// TZ, TMPDIR/TEMP/TMP, XDG_*, TERM, COLORTERM, NO_COLOR, FORCE_COLOR,
/// COLUMNS, LINES, and the proxy and CA bundle variables (either case).
bool is_key_variable(const std::string& entry);

/// The key material: one line per item, `identity` lines first, then the
/// key variables of `environ` sorted. Equal material means an equal key.
std::string key_material(const std::vector<std::string>& identity,
                         const std::vector<std::string>& environ);

/// 16 lowercase hex digits: 64-bit FNV-1a of the material (a name, not a
/// check: the server compares the whole material).
std::string key_name(const std::string& material);

}  // namespace sky::core::server
