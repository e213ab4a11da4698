#include "sky/runtime/trusted_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

namespace sky::core {
namespace {

// Symbolic links followed in one walk, as the kernel's MAXSYMLINKS.
constexpr int kMaxSymlinks = 40;

std::deque<std::string> split_components(const std::string& path) {
  std::deque<std::string> components;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) components.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return components;
}

std::string join(const std::string& directory, const std::string& name) {
  return directory == "/" ? "/" + name : directory + "/" + name;
}

// Why the directory behind `fd` (a level named `shown`) may not be trusted;
// sets `shared` when it passes only as a sticky shared directory, and
// `by_rule` when it breaks the rule (rather than cannot be examined).
std::string level_problem(int fd, const std::string& shown, unsigned uid, bool last, bool* shared,
                          bool* by_rule) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return shown + ": " + std::strerror(errno);
  *by_rule = true;
  if (st.st_uid != uid && st.st_uid != 0) {
    return shown + ": owned by uid " + std::to_string(st.st_uid) + ", not by this user or root";
  }
  *shared = false;
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) == 0) {
    *by_rule = false;
    return "";
  }
  if ((st.st_mode & S_ISVTX) != 0 && !last) {
    *shared = true;
    *by_rule = false;
    return "";
  }
  return shown + ": writable by " + ((st.st_mode & S_IWOTH) != 0 ? "others" : "its group") +
         " (mode " + std::to_string((st.st_mode >> 6) & 7U) +
         std::to_string((st.st_mode >> 3) & 7U) + std::to_string(st.st_mode & 7U) + ")";
}

std::string read_link_at(int fd, const std::string& name) {
  std::vector<char> buffer(4096);
  ssize_t length = ::readlinkat(fd, name.c_str(), buffer.data(), buffer.size());
  if (length <= 0 || static_cast<std::size_t>(length) == buffer.size()) return "";
  return std::string(buffer.data(), static_cast<std::size_t>(length));
}

}  // namespace

bool trusted_owner_and_mode(unsigned owner, unsigned mode, unsigned uid) {
  return (owner == uid || owner == 0) && (mode & (S_IWGRP | S_IWOTH)) == 0;
}

TrustedDirectory TrustedDirectory::open(const std::string& path, unsigned uid, bool create) {
  bool by_rule = false;  // the refusal is the rule's, not an error's
  auto refuse = [uid, &by_rule](int fd, std::string reason) {
    if (fd >= 0) ::close(fd);
    TrustedDirectory refused(-1, std::move(reason), uid);
    refused.refused_by_rule_ = by_rule;
    return refused;
  };
  if (path.empty() || path[0] != '/') return refuse(-1, path + ": not an absolute path");
  std::deque<std::string> components = split_components(path);
  int fd = -1;
  std::string shown;  // the path of `fd`, every level resolved and checked
  bool shared = false;
  // (Re)starts the walk at "/": for the path, an absolute link, and "..",
  // which is taken on the resolved path (as the kernel takes it).
  auto start_at_root = [&]() -> std::string {
    if (fd >= 0) ::close(fd);
    fd = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    shown = "/";
    if (fd < 0) return std::string("/: ") + std::strerror(errno);
    return level_problem(fd, shown, uid, components.empty(), &shared, &by_rule);
  };
  if (std::string problem = start_at_root(); !problem.empty()) return refuse(fd, problem);
  int symlinks = 0;
  while (!components.empty()) {
    std::string name = components.front();
    components.pop_front();
    if (name == ".") continue;
    if (name == "..") {
      std::deque<std::string> parent = split_components(shown);
      if (!parent.empty()) parent.pop_back();
      components.insert(components.begin(), parent.begin(), parent.end());
      if (std::string problem = start_at_root(); !problem.empty()) return refuse(fd, problem);
      continue;
    }
    std::string entry = join(shown, name);
    struct stat st {};
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT && create) {
      if (::mkdirat(fd, name.c_str(), 0700) != 0 && errno != EEXIST) {
        return refuse(fd, entry + ": " + std::strerror(errno));
      }
    }
    if (::fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return refuse(fd, entry + ": " + std::strerror(errno));
    }
    if (S_ISLNK(st.st_mode)) {
      by_rule = shared || (st.st_uid != uid && st.st_uid != 0);
      if (shared) return refuse(fd, entry + ": a symbolic link in a shared directory");
      if (st.st_uid != uid && st.st_uid != 0) {
        return refuse(fd, entry + ": a symbolic link owned by uid " + std::to_string(st.st_uid));
      }
      if (++symlinks > kMaxSymlinks) return refuse(fd, entry + ": " + std::strerror(ELOOP));
      std::string target = read_link_at(fd, name);
      if (target.empty()) return refuse(fd, entry + ": unreadable symbolic link");
      std::deque<std::string> more = split_components(target);
      components.insert(components.begin(), more.begin(), more.end());
      if (target[0] == '/') {
        if (std::string problem = start_at_root(); !problem.empty()) return refuse(fd, problem);
      }
      continue;
    }
    if (!S_ISDIR(st.st_mode)) return refuse(fd, entry + ": not a directory");
    int child = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (child < 0) return refuse(fd, entry + ": " + std::strerror(errno));
    ::close(fd);
    fd = child;
    shown = entry;
    if (std::string problem = level_problem(fd, shown, uid, components.empty(), &shared, &by_rule);
        !problem.empty()) {
      return refuse(fd, problem);
    }
  }
  return TrustedDirectory(fd, "", uid);
}

TrustedDirectory::TrustedDirectory(TrustedDirectory&& other) noexcept
    : fd_(other.fd_),
      reason_(std::move(other.reason_)),
      uid_(other.uid_),
      refused_by_rule_(other.refused_by_rule_) {
  other.fd_ = -1;
}

TrustedDirectory& TrustedDirectory::operator=(TrustedDirectory&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    reason_ = std::move(other.reason_);
    uid_ = other.uid_;
    refused_by_rule_ = other.refused_by_rule_;
    other.fd_ = -1;
  }
  return *this;
}

TrustedDirectory::~TrustedDirectory() {
  if (fd_ >= 0) ::close(fd_);
}

int TrustedDirectory::open_file(const std::string& name, int flags, unsigned mode) const {
  // Truncation waits for the check: another user's file is left as it is.
  int file = ::openat(fd_, name.c_str(), (flags & ~O_TRUNC) | O_NOFOLLOW | O_CLOEXEC, mode);
  if (file < 0) return -1;
  struct stat st {};
  if (::fstat(file, &st) != 0 || !S_ISREG(st.st_mode) ||
      !trusted_owner_and_mode(st.st_uid, st.st_mode, uid_)) {
    ::close(file);
    errno = EPERM;
    return -1;
  }
  if ((flags & O_TRUNC) != 0 && ::ftruncate(file, 0) != 0) {
    int error = errno;
    ::close(file);
    errno = error;
    return -1;
  }
  return file;
}

}  // namespace sky::core
