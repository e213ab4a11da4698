#include "sky/core/copy_cache.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "sky/core/errors.h"
#include "sky/core/payload_trailer.h"

namespace sky::core {
namespace {

constexpr const char* kLockName = ".lock";
constexpr const char* kUnpackPrefix = ".unpack-";
constexpr const char* kOldPrefix = ".old-";
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

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

// mkdir -p, new directories 0700 (the XDG cache and runtime rule).
void make_directories(const std::string& path) {
  std::size_t slash = 0;
  for (;;) {
    slash = path.find('/', slash + 1);
    std::string prefix = path.substr(0, slash);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST) throw_os_error(prefix);
    if (slash == std::string::npos) return;
  }
}

int remove_entry(const char* path, const struct stat* /*st*/, int type, struct FTW* /*ftw*/) {
  return type == FTW_DP ? ::rmdir(path) : ::unlink(path);
}

void remove_tree(const std::string& path) {
  // Directories of a copy may have lost their write bit; restore it first.
  ::nftw(
      path.c_str(),
      [](const char* entry, const struct stat* st, int type, struct FTW* /*ftw*/) {
        if (type == FTW_D) ::chmod(entry, (st->st_mode & 07777U) | S_IRWXU);
        return 0;
      },
      32, FTW_PHYS);
  ::nftw(path.c_str(), remove_entry, 32, FTW_DEPTH | FTW_PHYS);
}

// An exclusive flock on <root>/.lock, released when destroyed.
class RootLock {
 public:
  explicit RootLock(const std::string& root) {
    std::string path = path_join(root, kLockName);
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) throw_os_error(path);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        int error = errno;
        ::close(fd_);
        throw OsError(error, path);
      }
    }
  }
  RootLock(const RootLock&) = delete;
  RootLock& operator=(const RootLock&) = delete;
  ~RootLock() { ::close(fd_); }

 private:
  int fd_ = -1;
};

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
void remove_unpack_leftovers(const std::string& root) {
  for (const std::string& name : list_directory(root)) {
    if (starts_with(name, kUnpackPrefix)) remove_tree(path_join(root, name));
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
    remove_tree(pattern);
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
                                              const std::string& name) {
  for (const std::string& root : roots) {
    std::string path = path_join(root, name);
    if (is_directory(path)) return path;
  }
  return std::nullopt;
}

std::string unusable_root_reason(const std::string& root, unsigned uid) {
  try {
    make_directories(root);
  } catch (const OsError& e) {
    return e.what();
  }
  struct stat st {};
  if (::lstat(root.c_str(), &st) != 0) return std::strerror(errno);
  if (root == private_fallback_root(uid)) {
    // A name anyone can take in a shared directory: only our own private
    // one will do. A root the user names (SKY_NATIVE_CACHE_DIR) is theirs.
    if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077U) != 0) {
      return "not a directory of mode 0700 owned by uid " + std::to_string(uid);
    }
  }
  if (::access(root.c_str(), W_OK | X_OK) != 0) return std::strerror(errno);
  struct statvfs fs {};
  if (::statvfs(root.c_str(), &fs) != 0) return std::strerror(errno);
  if ((fs.f_flag & ST_RDONLY) != 0U) return "mounted read-only";
  if ((fs.f_flag & ST_NOEXEC) != 0U) return "mounted noexec";
  return "";
}

std::string ensure_copy(const std::vector<std::string>& roots, const std::string& name,
                        unsigned uid, const CopyWriter& write, const CopyVerifier& verify,
                        const std::function<void(const std::string& directory)>& on_unpack) {
  std::string reasons;
  for (const std::string& root : roots) {
    // A later root counts only when the earlier ones cannot hold a copy.
    if (is_directory(path_join(root, name))) return path_join(root, name);
    std::string reason = unusable_root_reason(root, uid);
    if (reason.empty()) {
      try {
        RootLock lock(root);
        std::string target = path_join(root, name);
        if (is_directory(target)) return target;  // unpacked while we waited
        remove_unpack_leftovers(root);
        if (on_unpack) on_unpack(target);
        std::string temporary = write_verified_copy(root, name, write, verify);
        if (::rename(temporary.c_str(), target.c_str()) != 0) {
          int error = errno;
          remove_tree(temporary);
          throw OsError(error, target);
        }
        return target;
      } catch (const OsError& e) {
        reason = e.what();  // e.g. the disk is full: try the next root
      }
    }
    reasons.append("\n  ").append(root).append(": ").append(reason);
  }
  throw std::runtime_error("sky-native: no cache directory can hold the unpacked copy:" + reasons);
}

std::string repair_copy(const std::string& root, const std::string& name, const CopyWriter& write,
                        const CopyVerifier& verify) {
  make_directories(root);
  RootLock lock(root);
  remove_unpack_leftovers(root);
  std::string target = path_join(root, name);
  std::string temporary = write_verified_copy(root, name, write, verify);
  if (::renameat2(AT_FDCWD, temporary.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
    if (errno != ENOENT || ::rename(temporary.c_str(), target.c_str()) != 0) {
      int error = errno;
      remove_tree(temporary);
      throw OsError(error, target);
    }
    return target;
  }
  // `temporary` now holds the damaged copy; processes may still use it.
  std::string old = path_join(root, kOldPrefix);
  old.append(name).append("-").append(std::to_string(::getpid())).append("-");
  old.append(std::to_string(std::time(nullptr)));
  if (::rename(temporary.c_str(), old.c_str()) != 0) throw_os_error(old);
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

std::vector<std::string> remove_unused_copies(const std::string& root, const std::string& keep,
                                              const std::string& proc_root) {
  std::vector<std::string> removed;
  if (!is_directory(root)) return removed;
  RootLock lock(root);
  for (const std::string& name : list_directory(root)) {
    std::string path = path_join(root, name);
    if (name == kLockName || name == keep || !is_directory(path)) continue;
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
    remove_tree(path);
    removed.push_back(path);
  }
  return removed;
}

}  // namespace sky::core
