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

/// The last fallback, /tmp/sky-native-<uid>: the only root that must be a
/// directory of mode 0700 owned by the user (anyone can create it first).
std::string private_fallback_root(unsigned uid);

/// The directory name of a copy: "<version>-<build id, 16 hex digits>".
std::string copy_name(const std::string& version, const std::string& build_id);

/// The first root holding a complete copy `name` (a directory): its path.
std::optional<std::string> find_complete_copy(const std::vector<std::string>& roots,
                                              const std::string& name);

/// Fills an empty directory with the copy; throws on failure.
using CopyWriter = std::function<void(const std::string& directory)>;
/// Returns the problems of a copy (empty when intact).
using CopyVerifier = std::function<std::vector<std::string>(const std::string& directory)>;

/// Why a root cannot hold a new copy ("" when it can): it cannot be created
/// or written, is mounted read-only or noexec, or (private_fallback_root
/// only) is not a directory of mode 0700 owned by this user.
std::string unusable_root_reason(const std::string& root, unsigned uid);

/// The complete copy `name` in the first root that holds it or can hold it
/// (a fallback root counts only when the roots before it cannot hold a
/// copy), unpacked there first when needed (write, verify, rename into
/// place, under the root's lock; a run waiting on the lock then finds the
/// copy complete).
/// `on_unpack` is called before unpacking starts. Throws std::runtime_error
/// listing each root's problem when no root can hold it.
std::string ensure_copy(const std::vector<std::string>& roots, const std::string& name,
                        unsigned uid, const CopyWriter& write, const CopyVerifier& verify,
                        const std::function<void(const std::string& directory)>& on_unpack);

/// Replaces the copy at `root`/`name` by a newly written and verified one
/// (atomic rename exchange), moving the old one to ".old-*". Returns the
/// path of the copy.
std::string repair_copy(const std::string& root, const std::string& name, const CopyWriter& write,
                        const CopyVerifier& verify);

/// Whether a process (found under `proc_root`, normally "/proc") maps a
/// file under `directory`, has its working directory there, or runs a
/// single file whose build id starts with `build_id_prefix` (when that is
/// not empty).
bool copy_in_use(const std::string& directory, const std::string& build_id_prefix,
                 const std::string& proc_root);

/// Removes, from `root`, the copies other than `keep`, the replaced
/// ".old-*" copies and leftover ".unpack-*" directories, except those in
/// use; under the root's lock. Returns the paths removed.
std::vector<std::string> remove_unused_copies(const std::string& root, const std::string& keep,
                                              const std::string& proc_root);

}  // namespace sky::core
