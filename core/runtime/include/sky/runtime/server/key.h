// Which command server may run a command: the client names a server by a
// hash of what import-time state depends on that it can compute before
// Python starts (the binary's identity, the interpreter paths, the
// environment variables SkyPilot and CPython read at import time), and of
// what a forked command inherits from the server instead of the client: its
// credentials and what the dynamic loader did at exec. The server checks the
// rest itself (sys.path, installed packages, config files).
#pragma once

#include <string>
#include <vector>

namespace sky::core::server {

/// Whether an environment entry ("NAME=value") belongs to the key:
/// SKYPILOT_*, SKY_* (but not SKY_NATIVE_*, sky-native's own switches),
/// PYTHON*, VIRTUAL_ENV, HOME, USER, LOGNAME, PATH, LANG, LANGUAGE, LC_*,
/// TZ, TMPDIR/TEMP/TMP, XDG_*, TERM, COLORTERM, NO_COLOR, FORCE_COLOR,
/// COLUMNS, LINES, the proxy and CA bundle variables (either case), and
/// what glibc's loader and libc read at start-up: LD_*, GLIBC_TUNABLES,
/// MALLOC_*, and the rest of the variables glibc drops for setuid programs
/// (GCONV_PATH, GETCONF_DIR, HOSTALIASES, LOCALDOMAIN, LOCPATH, NIS_PATH,
/// NLSPATH, RESOLV_HOST_CONF, RES_OPTIONS, TZDIR).
bool is_key_variable(const std::string& entry);

/// The credentials a process passes on to what it forks, from the text of
/// /proc/PID/status: its Uid, Gid, Groups, Cap* (inheritable, permitted,
/// effective, bounding, ambient), NoNewPrivs, Seccomp and Seccomp_filters
/// lines, in the file's order.
std::vector<std::string> credential_lines(const std::string& proc_status);

/// credential_lines() of `proc_self` + "/status", then "lsm=" and the LSM
/// label of `proc_self` + "/attr/current" (or "lsm-errno=N" when it cannot
/// be read: no LSM), then "ns=" and each namespace of `proc_self` + "/ns"
/// (cgroup, ipc, mnt, net, pid, time, user, uts). Throws OsError when the status file
/// cannot be read: a client that cannot tell its credentials uses no
/// server.
std::vector<std::string> read_credentials(const std::string& proc_self);

/// The key material: one line per item, `identity` lines first, then the
/// key variables of `environ` sorted (every variable but SKY_NATIVE_* when
/// `whole_environment`). Equal material means an equal key.
std::string key_material(const std::vector<std::string>& identity,
                         const std::vector<std::string>& environ, bool whole_environment = false);

/// 16 lowercase hex digits: 64-bit FNV-1a of the material (a name, not a
/// check: the server compares the whole material).
std::string key_name(const std::string& material);

}  // namespace sky::core::server
