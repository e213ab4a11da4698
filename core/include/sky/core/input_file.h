// InputFile: a file opened for reading as Python's open(path, 'rb') opens
// it, shared by file_tail and file_hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sky::core {

/// A file opened for reading exactly as CPython's open(path, 'rb') opens
/// it: open(2) with O_RDONLY | O_CLOEXEC (retried on EINTR), then fstat; a
/// directory, which open(2) accepts, is refused with EISDIR as FileIO does.
/// Move-only; closes the descriptor on destruction.
class InputFile {
 public:
  /// Throws OsError(errno, path) when open(2) fails and
  /// OsError(EISDIR, path) for a directory.
  static InputFile open(const std::string& path);

  InputFile(InputFile&& other) noexcept;
  InputFile& operator=(InputFile&& other) noexcept;
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  ~InputFile();

  int fd() const noexcept { return fd_; }

  /// Size found by seeking to the end (f.seek(0, SEEK_END); f.tell()).
  /// Throws OsError(errno) (no path, as Python's seek errors) on failure.
  std::int64_t seek_end();

  /// Reads up to `size` bytes at `offset`, looping over short reads until
  /// `size` bytes or end of file, as BufferedReader.read(size) after a
  /// seek. Returns the count read. Throws OsError(errno) (no path).
  std::size_t read_at(std::int64_t offset, char* buffer, std::size_t size);

  /// Reads up to `size` bytes from the current position, looping over
  /// short reads until `size` bytes or end of file, as
  /// BufferedReader.readinto. Returns 0 at end of file. Throws
  /// OsError(errno) (no path).
  std::size_t read(char* buffer, std::size_t size);

 private:
  explicit InputFile(int fd) noexcept : fd_(fd) {}
  int fd_;
};

}  // namespace sky::core
