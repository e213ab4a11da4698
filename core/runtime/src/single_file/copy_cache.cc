#include "sky/runtime/single_file/copy_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/runtime/single_file/payload_trailer.h"
#include "sky/runtime/trusted_directory.h"

namespace sky::core {
namespace {

constexpr const char* kLockName = ".lock";
constexpr const char* kUnpackPrefix = ".unpack-";
constexpr const char* kOldPrefix = ".old-";
constexpr const char* kFailedRootsPrefix = ".failed-roots-";
constexpr std::size_t kBuildIdDigits = 16;

std::optional<std::string> absolute_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || value[0] != '/') return std::nullopt;
  return std::string(value);
}

// directory + "/" + name, in one allocation.
std::string path_join(const std::string& directory, const std::string& name) {
  std::string path;
  path.reserve(directory.size() + 1 + name.size());
  path.append(directory).append("/").append(name);
  return path;
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// Removes the entry `name` of the directory `parent` with everything in it,
// never following a symbolic link (a link is removed, not its target).
// Returns 0, or the errno of the first entry that could not be removed.
int remove_tree_at(int parent, const std::string& name) {
  int fd = ::openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOTDIR && errno != ELOOP) return errno;
    return ::unlinkat(parent, name.c_str(), 0) == 0 ? 0 : errno;
  }
  // Directories of a copy may have lost their write bit; restore it first.
  struct stat st {};
  if (::fstat(fd, &st) == 0 && (st.st_mode & S_IRWXU) != S_IRWXU) {
    ::fchmod(fd, (st.st_mode & 07777U) | S_IRWXU);
  }
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int error = errno;
    ::close(fd);
    return error;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    std::string child = entry->d_name;
    if (child != "." && child != "..") names.push_back(child);
  }
  int first_error = 0;
  for (const std::string& child : names) {
    int error = remove_tree_at(::dirfd(dir), child);
    if (first_error == 0) first_error = error;
  }
  ::closedir(dir);
  if (first_error != 0) return first_error;
  return ::unlinkat(parent, name.c_str(), AT_REMOVEDIR) == 0 ? 0 : errno;
}

// An exclusive flock on <root>/.lock, opened without following a link and
// only when it is the user's (or root's) file; released when destroyed.
class RootLock {
 public:
  RootLock(const TrustedDirectory& root, const std::string& root_path) {
    fd_ = root.open_file(kLockName, O_RDWR | O_CREAT, 0600);
    if (fd_ < 0) throw_os_error(path_join(root_path, kLockName));
    if (retry_on_eintr([&] { return ::flock(fd_, LOCK_EX); }) != 0) {
      int error = errno;
      ::close(fd_);
      throw OsError(error, path_join(root_path, kLockName));
    }
  }
  RootLock(const RootLock&) = delete;
  RootLock& operator=(const RootLock&) = delete;
  ~RootLock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

// The root opened by the trust rule; a refusal by the rule is told to
// `notice` (a missing or unreadable level is not a refusal).
TrustedDirectory open_root(const std::string& root, unsigned uid, bool create,
                           const CacheNotice& notice) {
  TrustedDirectory dir = TrustedDirectory::open(root, uid, create);
  if (!dir.ok() && dir.refused_by_rule() && notice) {
    notice("sky-native: cache directory refused: " + dir.reason());
  }
  return dir;
}

enum class CopyState { kAbsent, kUsable, kRefused };

// Whether the trusted root holds the copy `name` and it passes the rule: a
// directory entry (not a link) owned by the user or root, writable by
// nobody else. Sets `problem` when refused.
CopyState copy_state(const TrustedDirectory& root, const std::string& root_path,
                     const std::string& name, unsigned uid, std::string* problem) {
  struct stat st {};
  if (::fstatat(root.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return CopyState::kAbsent;
    *problem = path_join(root_path, name) + ": " + std::strerror(errno);
    return CopyState::kRefused;
  }
  std::string path = path_join(root_path, name);
  if (S_ISLNK(st.st_mode)) {
    *problem = path + ": a symbolic link";
  } else if (!S_ISDIR(st.st_mode)) {
    *problem = path + ": not a directory";
  } else if (st.st_uid != uid && st.st_uid != 0) {
    *problem = path + ": owned by uid " + std::to_string(st.st_uid) + ", not by this user or root";
  } else if (!trusted_owner_and_mode(st.st_uid, st.st_mode, uid)) {
    *problem = path + ": writable by its group or others";
  } else {
    return CopyState::kUsable;
  }
  return CopyState::kRefused;
}

// Why the trusted root cannot hold a new copy ("" when it can).
std::string unwritable_reason(const TrustedDirectory& root) {
  if (::faccessat(root.fd(), ".", W_OK | X_OK, AT_EACCESS) != 0) {
    return std::strerror(errno);
  }
  struct statvfs fs {};
  if (::fstatvfs(root.fd(), &fs) != 0) return std::strerror(errno);
  if ((fs.f_flag & ST_RDONLY) != 0U) return "mounted read-only";
  if ((fs.f_flag & ST_NOEXEC) != 0U) return "mounted noexec";
  return "";
}

// The lines of the record of roots that failed for `name` in the root.
std::vector<std::string> read_failed_roots(const TrustedDirectory& root, const std::string& name) {
  std::vector<std::string> lines;
  int fd = root.open_file(kFailedRootsPrefix + name, O_RDONLY);
  if (fd < 0) return lines;
  std::string text;
  char buffer[4096];
  ssize_t count = 0;
  while ((count = ::read(fd, buffer, sizeof buffer)) > 0) {
    text.append(buffer, static_cast<std::size_t>(count));
  }
  ::close(fd);
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// Adds the roots that failed for `name` to the record in the root that took
// the copy instead.
void record_failed_roots(const TrustedDirectory& root, const std::string& name,
                         const std::vector<std::string>& failed) {
  int fd = root.open_file(kFailedRootsPrefix + name, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return;  // then the next start tries that root again
  std::string text;
  for (const std::string& path : failed) text.append(path).append("\n");
  if (::write(fd, text.data(), text.size()) < 0) {
    // As above: nothing remembered.
  }
  ::close(fd);
}

// The copy in a root after `roots[index]` that was unpacked there because
// `roots[index]` failed for this build, if it is still there and trusted.
std::optional<std::string> copy_used_instead(const std::vector<std::string>& roots,
                                             std::size_t index, const std::string& name,
                                             unsigned uid) {
  for (std::size_t later = index + 1; later < roots.size(); ++later) {
    TrustedDirectory dir = TrustedDirectory::open(roots[later], uid, false);
    std::string problem;
    if (!dir.ok() || copy_state(dir, roots[later], name, uid, &problem) != CopyState::kUsable) {
      continue;
    }
    for (const std::string& failed : read_failed_roots(dir, name)) {
      if (failed == roots[index]) return path_join(roots[later], name);
    }
  }
  return std::nullopt;
}

std::vector<std::string> list_directory(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (const dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  ::closedir(dir);
  return names;
}

// Leftovers of killed first runs: nobody writes them while we hold the lock.
void remove_unpack_leftovers(const TrustedDirectory& root, const std::string& root_path) {
  for (const std::string& name : list_directory(root_path)) {
    if (starts_with(name, kUnpackPrefix)) remove_tree_at(root.fd(), name);
  }
}

// Writes and verifies a new copy in a temporary directory of `root`;
// returns its path. Removes it and throws on failure.
std::string write_verified_copy(const std::string& root, const std::string& name,
                                const CopyWriter& write, const CopyVerifier& verify) {
  std::string pattern = path_join(root, kUnpackPrefix);
  pattern.append(name).append("-XXXXXX");
  if (::mkdtemp(pattern.data()) == nullptr) throw_os_error(pattern);
  try {
    write(pattern);
    std::vector<std::string> problems = verify(pattern);
    if (!problems.empty()) {
      throw std::runtime_error("sky-native: the unpacked copy does not match its manifest: " +
                               problems.front());
    }
    if (::chmod(pattern.c_str(), 0755) != 0) throw_os_error(pattern);
  } catch (...) {
    remove_tree_at(AT_FDCWD, pattern);
    throw;
  }
  return pattern;
}

std::string read_link(const std::string& path) {
  std::vector<char> buffer(4096);
  ssize_t length = ::readlink(path.c_str(), buffer.data(), buffer.size() - 1);
  return length > 0 ? std::string(buffer.data(), static_cast<std::size_t>(length)) : "";
}

bool inside(const std::string& path, const std::string& directory) {
  return path == directory || starts_with(path, directory + "/");
}

}  // namespace

CacheEnvironment current_cache_environment() {
  CacheEnvironment environment;
  environment.sky_native_cache_dir = absolute_env("SKY_NATIVE_CACHE_DIR");
  environment.xdg_cache_home = absolute_env("XDG_CACHE_HOME");
  environment.home = absolute_env("HOME");
  if (!environment.home) {
    if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir[0] == '/') {
      environment.home = std::string(entry->pw_dir);
    }
  }
  environment.xdg_runtime_dir = absolute_env("XDG_RUNTIME_DIR");
  environment.uid = ::getuid();
  return environment;
}

std::vector<std::string> cache_roots(const CacheEnvironment& environment) {
  auto usable = [](const std::optional<std::string>& value) {
    return value && !value->empty() && (*value)[0] == '/';
  };
  std::vector<std::string> roots;
  if (usable(environment.sky_native_cache_dir)) {
    roots.push_back(*environment.sky_native_cache_dir);
  } else if (usable(environment.xdg_cache_home)) {
    roots.push_back(*environment.xdg_cache_home + "/sky-native");
  } else if (usable(environment.home)) {
    roots.push_back((*environment.home == "/" ? "" : *environment.home) + "/.cache/sky-native");
  }
  if (usable(environment.xdg_runtime_dir)) {
    roots.push_back(*environment.xdg_runtime_dir + "/sky-native");
  }
  roots.push_back(private_fallback_root(environment.uid));
  return roots;
}

std::string private_fallback_root(unsigned uid) { return "/tmp/sky-native-" + std::to_string(uid); }

std::string copy_name(const std::string& version, const std::string& build_id) {
  return version + "-" + build_id.substr(0, kBuildIdDigits);
}

std::optional<std::string> find_complete_copy(const std::vector<std::string>& roots,
                                              const std::string& name, unsigned uid,
                                              const CacheNotice& notice) {
  for (const std::string& root : roots) {
    TrustedDirectory dir = open_root(root, uid, false, notice);
    if (!dir.ok()) continue;
    std::string problem;
    CopyState state = copy_state(dir, root, name, uid, &problem);
    if (state == CopyState::kUsable) return path_join(root, name);
    if (state == CopyState::kRefused && notice) notice("sky-native: copy refused: " + problem);
  }
  return std::nullopt;
}

std::string unusable_root_reason(const std::string& root, unsigned uid) {
  TrustedDirectory dir = TrustedDirectory::open(root, uid, true);
  return dir.ok() ? unwritable_reason(dir) : dir.reason();
}

std::string ensure_copy(const std::vector<std::string>& roots, const std::string& name,
                        unsigned uid, const CopyWriter& write, const CopyVerifier& verify,
                        const std::function<void(const std::string& directory)>& on_unpack,
                        const CacheNotice& notice) {
  std::string reasons;
  std::vector<std::string> failed;  // roots whose unpack failed in this run
  for (std::size_t index = 0; index < roots.size(); ++index) {
    const std::string& root = roots[index];
    std::string target = path_join(root, name);
    TrustedDirectory dir = open_root(root, uid, true, notice);
    std::string reason = dir.reason();
    if (dir.ok()) {
      // A later root counts only when the earlier ones cannot hold a copy.
      CopyState state = copy_state(dir, root, name, uid, &reason);
      if (state == CopyState::kUsable) return target;
      if (state == CopyState::kRefused && notice) notice("sky-native: copy refused: " + reason);
      if (state == CopyState::kAbsent) reason = unwritable_reason(dir);
    }
    if (dir.ok() && reason.empty()) {
      if (auto elsewhere = copy_used_instead(roots, index, name, uid)) return *elsewhere;
      try {
        RootLock lock(dir, root);
        if (copy_state(dir, root, name, uid, &reason) == CopyState::kUsable) {
          return target;  // unpacked while we waited
        }
        remove_unpack_leftovers(dir, root);
        if (on_unpack) on_unpack(target);
        std::string temporary = write_verified_copy(root, name, write, verify);
        if (::renameat(AT_FDCWD, temporary.c_str(), dir.fd(), name.c_str()) != 0) {
          int error = errno;
          remove_tree_at(AT_FDCWD, temporary);
          throw OsError(error, target);
        }
        if (!failed.empty()) {
          record_failed_roots(dir, name, failed);
          if (notice) {
            std::string line = "sky-native: ";
            line.append(failed.front()).append(" could not hold the copy; ").append(root);
            line.append(" holds it for this build (remembered in ").append(kFailedRootsPrefix);
            notice(line.append(name).append(")"));
          }
        }
        return target;
      } catch (const OsError& e) {
        reason = e.what();  // e.g. the disk is full: try the next root
        failed.push_back(root);
      }
    }
    reasons.append("\n  ").append(root).append(": ").append(reason);
  }
  throw std::runtime_error("sky-native: no cache directory can hold the unpacked copy:" + reasons);
}

std::string repair_copy(const std::string& root, const std::string& name, unsigned uid,
                        const CopyWriter& write, const CopyVerifier& verify) {
  TrustedDirectory dir = TrustedDirectory::open(root, uid, true);
  if (!dir.ok()) throw std::runtime_error("sky-native: cache directory refused: " + dir.reason());
  RootLock lock(dir, root);
  remove_unpack_leftovers(dir, root);
  std::string target = path_join(root, name);
  std::string temporary = write_verified_copy(root, name, write, verify);
  if (::renameat2(AT_FDCWD, temporary.c_str(), dir.fd(), name.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != ENOENT || ::renameat(AT_FDCWD, temporary.c_str(), dir.fd(), name.c_str()) != 0) {
      int error = errno;
      remove_tree_at(AT_FDCWD, temporary);
      throw OsError(error, target);
    }
    return target;
  }
  // `temporary` now holds the damaged copy; processes may still use it.
  std::string old = kOldPrefix;
  old.append(name).append("-").append(std::to_string(::getpid())).append("-");
  old.append(std::to_string(std::time(nullptr)));
  if (::renameat(AT_FDCWD, temporary.c_str(), dir.fd(), old.c_str()) != 0) {
    throw_os_error(path_join(root, old));
  }
  return target;
}

bool copy_in_use(const std::string& directory, const std::string& build_id_prefix,
                 const std::string& proc_root) {
  for (const std::string& pid : list_directory(proc_root)) {
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string process = path_join(proc_root, pid);
    if (inside(read_link(process + "/cwd"), directory)) return true;
    if (!build_id_prefix.empty()) {
      auto trailer = read_payload_trailer(process + "/exe");
      if (trailer && starts_with(trailer->build_id, build_id_prefix)) return true;
    }
    std::ifstream maps(process + "/maps");
    std::string line;
    while (std::getline(maps, line)) {
      std::size_t slash = line.find('/');
      if (slash != std::string::npos && inside(line.substr(slash), directory)) return true;
    }
  }
  return false;
}

CleanReport remove_unused_copies(const std::string& root, const std::string& keep,
                                 const std::string& proc_root, unsigned uid) {
  CleanReport report;
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0 && errno == ENOENT) return report;
  TrustedDirectory dir = TrustedDirectory::open(root, uid, false);
  if (!dir.ok()) {
    report.refused = dir.reason();
    return report;
  }
  RootLock lock(dir, root);
  for (const std::string& name : list_directory(root)) {
    if (name == kLockName || name == keep) continue;
    if (starts_with(name, kFailedRootsPrefix)) {
      // The record of another build's failed roots goes with that build.
      if (name == kFailedRootsPrefix + keep) continue;
      if (::unlinkat(dir.fd(), name.c_str(), 0) != 0) {
        report.not_removed.push_back(path_join(root, name) + ": " + std::strerror(errno));
      }
      continue;
    }
    if (::fstatat(dir.fd(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISDIR(st.st_mode)) {
      continue;
    }
    std::string path = path_join(root, name);
    bool leftover = starts_with(name, kUnpackPrefix);
    bool replaced = starts_with(name, kOldPrefix);
    std::size_t dash = name.rfind('-');
    bool other_copy = !leftover && !replaced && dash != std::string::npos &&
                      name.size() - dash - 1 == kBuildIdDigits;
    if (!leftover && !replaced && !other_copy) continue;  // not ours
    // A replaced copy shares its build id with the current one: only its
    // mapped files and working directories can pin it.
    std::string build_id_prefix = other_copy ? name.substr(dash + 1) : "";
    if (!leftover && copy_in_use(path, build_id_prefix, proc_root)) continue;
    if (int error = remove_tree_at(dir.fd(), name); error != 0) {
      report.not_removed.push_back(path + ": " + std::strerror(error));
    } else {
      report.removed.push_back(path);
    }
  }
  return report;
}

}  // namespace sky::core
