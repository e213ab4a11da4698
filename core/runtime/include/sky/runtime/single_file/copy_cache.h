// copy_cache: where the single file's payload is unpacked, once.
//
// A copy lives in <cache root>/<version>-<first 16 hex digits of the build
// id>. That directory exists only complete: it is unpacked into a temporary
// directory beside it (".unpack-*", same filesystem) under an exclusive
// flock on <cache root>/.lock, verified against the manifest, and renamed
// into place; the rename is the completion marker. The warm path is one
// stat() of the copy, without hashing or locking. A repair unpacks a new
// copy the same way and swaps it in with one atomic rename exchange; the
// damaged one is moved to ".old-*", removed later by remove_unused_copies
// once no process uses it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace sky::core {

/// What the cache roots depend on, injectable for tests.
struct CacheEnvironment {
  std::optional<std::string> sky_native_cache_dir;  // $SKY_NATIVE_CACHE_DIR
  std::optional<std::string> xdg_cache_home;        // $XDG_CACHE_HOME
  std::optional<std::string> home;                  // $HOME (else the passwd entry)
  std::optional<std::string> xdg_runtime_dir;       // $XDG_RUNTIME_DIR
  unsigned uid = 0;
};

/// The environment of this process.
CacheEnvironment current_cache_environment();

/// The cache roots in order of preference: $SKY_NATIVE_CACHE_DIR, else
/// $XDG_CACHE_HOME/sky-native, else $HOME/.cache/sky-native; then the
/// fallbacks $XDG_RUNTIME_DIR/sky-native and /tmp/sky-native-<uid>. Relative
/// or empty values are ignored, as the XDG specification says.
std::vector<std::string> cache_roots(const CacheEnvironment& environment);

/// The last fallback, /tmp/sky-native-<uid>: a name anyone can take first,
/// so it is used only when it passes the trust rule below.
std::string private_fallback_root(unsigned uid);

/// The directory name of a copy: "<version>-<build id, 16 hex digits>".
std::string copy_name(const std::string& version, const std::string& build_id);

/// One line for stderr: a root or copy refused by the trust rule, or the
/// root used for this build instead of one that could not hold the copy.
using CacheNotice = std::function<void(const std::string& line)>;

// The trust rule (TrustedDirectory's, OpenSSH's StrictModes): a root is
// used only when every level of it, from "/", is owned by the user or root
// and writable by nobody else (sticky shared levels such as /tmp allowed on
// the way, without a symbolic link in them), and a copy only when it is a
// directory (not a link) of the root, owned by the user or root and
// writable by nobody else. Nobody else can then have placed or changed a
// file in it. Anything else is refused with a notice, and the next root is
// tried.

/// The first root holding a complete copy `name` that passes the trust
/// rule: its path.
std::optional<std::string> find_complete_copy(const std::vector<std::string>& roots,
                                              const std::string& name, unsigned uid,
                                              const CacheNotice& notice = nullptr);

/// Fills an empty directory with the copy; throws on failure.
using CopyWriter = std::function<void(const std::string& directory)>;
/// Returns the problems of a copy (empty when intact).
using CopyVerifier = std::function<std::vector<std::string>(const std::string& directory)>;

/// Why a root cannot hold a new copy ("" when it can): it breaks the trust
/// rule, cannot be created or written, or is mounted read-only or noexec.
/// Missing levels are made, mode 0700.
std::string unusable_root_reason(const std::string& root, unsigned uid);

/// The complete copy `name` in the first root that holds it or can hold it
/// (a fallback root counts only when the roots before it cannot hold a
/// copy), unpacked there first when needed (write, verify, rename into
/// place, under the root's lock; a run waiting on the lock then finds the
/// copy complete). A root whose unpack failed (a full disk) is remembered
/// for this build in the root that took the copy instead (a file
/// ".failed-roots-<name>" there, read only through the trust rule), and is
/// not unpacked into again while that copy exists; `notice` says so once.
/// `on_unpack` is called before unpacking starts. Throws std::runtime_error
/// listing each root's problem when no root can hold it.
std::string ensure_copy(const std::vector<std::string>& roots, const std::string& name,
                        unsigned uid, const CopyWriter& write, const CopyVerifier& verify,
                        const std::function<void(const std::string& directory)>& on_unpack,
                        const CacheNotice& notice = nullptr);

/// Replaces the copy at `root`/`name` by a newly written and verified one
/// (atomic rename exchange), moving the old one to ".old-*". Returns the
/// path of the copy. Throws when the root breaks the trust rule.
std::string repair_copy(const std::string& root, const std::string& name, unsigned uid,
                        const CopyWriter& write, const CopyVerifier& verify);

/// Whether a process (found under `proc_root`, normally "/proc") maps a
/// file under `directory`, has its working directory there, or runs a
/// single file whose build id starts with `build_id_prefix` (when that is
/// not empty).
bool copy_in_use(const std::string& directory, const std::string& build_id_prefix,
                 const std::string& proc_root);

/// What remove_unused_copies did in one root.
struct CleanReport {
  std::string refused;                   // why the root was not touched ("" when it was)
  std::vector<std::string> removed;      // paths removed, completely
  std::vector<std::string> not_removed;  // "<path>: <why>" for each removal that failed
};

/// Removes, from `root`, the copies other than `keep`, the replaced
/// ".old-*" copies, leftover ".unpack-*" directories and the records of
/// failed roots of other builds, except copies in use; under the root's
/// lock. Acts only on a root that passes the trust rule (a missing root is
/// left alone silently), opens nothing through a symbolic link, and removes
/// a link rather than what it points to.
CleanReport remove_unused_copies(const std::string& root, const std::string& keep,
                                 const std::string& proc_root, unsigned uid);

}  // namespace sky::core
