// Errors thrown by the core. The module's translator turns each into the
// exact Python exception SkyPilot raises.
#pragma once

#include <stdexcept>
#include <string>

namespace sky::core {

/// An operating-system error: carries errno and, when one was involved, the
/// path. what() reads like Python's OSError: "[Errno 2] No such file or
/// directory: 'path'".
class OsError : public std::runtime_error {
 public:
  OsError(int error_number, std::string path);
  /// Without a path: "[Errno N] strerror".
  explicit OsError(int error_number);

  int error_number() const noexcept { return error_number_; }
  const std::string& path() const noexcept { return path_; }
  bool has_path() const noexcept { return has_path_; }

 private:
  int error_number_;
  std::string path_;
  bool has_path_;
};

/// A file whose position cannot be read (a pipe, FIFO, terminal, some
/// devices): Python's io.UnsupportedOperation("File or stream is not
/// seekable."), which BufferedReader.seek raises before it seeks.
class NotSeekable : public std::runtime_error {
 public:
  NotSeekable();
};

/// Throws OsError(errno, path) for the current errno.
[[noreturn]] void throw_os_error(const std::string& path);

}  // namespace sky::core
