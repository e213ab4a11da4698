// Reading files as Python does: InputFile (read_last_n_lines; hash_file's
// open). The /proc and cgroup files are read whole by read_whole_file
// (sky/common/posix.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "sky/functions/interrupt_check.h"

namespace sky::core {

/// A file opened for reading exactly as CPython's open(path, 'rb') opens
/// it: open(2) with O_RDONLY | O_CLOEXEC (retried on EINTR), then fstat; a
/// directory, which open(2) accepts, is refused with EISDIR as FileIO does.
/// Move-only; closes the descriptor on destruction.
///
/// Where CPython runs the signal handlers (PyErr_CheckSignals) on EINTR
/// before retrying open(2) or read(2), these calls run `check`: a FIFO with
/// no writer, or one whose writer writes nothing, blocks until a signal
/// interrupts it, and `check` decides whether to go on.
class InputFile {
 public:
  /// Throws OsError(errno, path) when open(2) fails and
  /// OsError(EISDIR, path) for a directory.
  static InputFile open(const std::string& path, const InterruptCheck& check = {});

  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  int fd() const noexcept { return fd_; }

  /// Size found by seeking to the end (f.seek(0, SEEK_END); f.tell()), with
  /// BufferedReader's system calls: a file where lseek(fd, 0, SEEK_CUR)
  /// fails throws NotSeekable; a failed seek or tell throws OsError(errno)
  /// (no path, as Python's seek errors).
  std::int64_t seek_end();

  /// Reads up to `size` bytes at `offset`, looping over short reads until
  /// `size` bytes or end of file, as BufferedReader.read(size) after a
  /// seek. Returns the count read. Throws OsError(errno) (no path).
  std::size_t read_at(std::int64_t offset, char* buffer, std::size_t size,
                      const InterruptCheck& check = {});

  /// Reads up to `size` bytes from the current position, looping over
  /// short reads until `size` bytes or end of file, as
  /// BufferedReader.readinto. Returns 0 at end of file. Throws
  /// OsError(errno) (no path).
  std::size_t read(char* buffer, std::size_t size, const InterruptCheck& check = {});

 private:
  explicit InputFile(int fd) noexcept : fd_(fd) {}
  int fd_;
};

}  // namespace sky::core
