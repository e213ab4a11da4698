// trusted_directory: a directory that no other local user could have made,
// swapped or written into, opened without following anything they placed.
//
// The rule is OpenSSH's StrictModes for ~/.ssh: from "/" down to the
// directory, every level is owned by the user or by root and is writable by
// nobody else. One exception lets a private name live in a shared directory
// such as /tmp: a group- or world-writable directory on the way counts when it
// has the sticky bit (there nobody may rename or remove an entry they do not
// own), and the entry looked up in it must then not be a symbolic link. Other
// symbolic links are followed only when they lie in a directory that passed
// the rule and are owned by the user or root (a ~/.cache that points to
// another disk), and their targets are walked by the same rule; ".." is taken
// on the path as resolved so far, as the kernel takes it.
#pragma once

#include <string>
#include <utility>

namespace sky::core {

/// Whether an entry with this owner and mode may be trusted by `uid`: owned
/// by `uid` or root and writable by neither group nor others.
bool trusted_owner_and_mode(unsigned owner, unsigned mode, unsigned uid);

class TrustedDirectory {
 public:
  /// Opens the absolute `path` for `uid` by the rule above. With `create`,
  /// missing levels are made on the way, mode 0700. Never throws for a
  /// refusal: `ok()` is false and `reason()` names the level and what is
  /// wrong with it.
  static TrustedDirectory open(const std::string& path, unsigned uid, bool create);

  TrustedDirectory(TrustedDirectory&& other) noexcept;
  TrustedDirectory& operator=(TrustedDirectory&& other) noexcept;
  TrustedDirectory(const TrustedDirectory&) = delete;
  TrustedDirectory& operator=(const TrustedDirectory&) = delete;
  ~TrustedDirectory();

  bool ok() const noexcept { return fd_ >= 0; }
  /// The directory's descriptor (O_DIRECTORY, close-on-exec); -1 when refused.
  int fd() const noexcept { return fd_; }
  /// One line: "<level>: <what is wrong>"; empty when ok().
  const std::string& reason() const noexcept { return reason_; }
  /// Whether the refusal is the rule's (a level owned by another user,
  /// writable by others, a symbolic link where none may be), rather than a
  /// level that is missing or cannot be read.
  bool refused_by_rule() const noexcept { return refused_by_rule_; }

  /// Opens the entry `name` of this directory with `flags` | O_NOFOLLOW |
  /// O_CLOEXEC (a symbolic link fails with ELOOP). An entry that exists must
  /// be a regular file by the rule of trusted_owner_and_mode, else EPERM.
  /// Returns the descriptor, or -1 with errno set.
  int open_file(const std::string& name, int flags, unsigned mode = 0600) const;

 private:
  TrustedDirectory(int fd, std::string reason, unsigned uid)
      : fd_(fd), reason_(std::move(reason)), uid_(uid) {}

  int fd_;
  std::string reason_;
  unsigned uid_;
  bool refused_by_rule_ = false;
};

}  // namespace sky::core
