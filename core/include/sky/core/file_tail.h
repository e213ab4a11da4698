// file_tail: the last lines of a file, read backwards in chunks as
// SkyPilot's common_utils.read_last_n_lines does, and the read-only file
// handle (Python's open(path, 'rb')) that file_hash shares.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

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

/// Reads `file` backwards from its end in chunks of `chunk_size` bytes
/// until more than `n` newline bytes were read or the start was reached,
/// splits what was read on '\n' and returns the pieces SkyPilot selects:
/// when the data ends in '\n' the (at most) n pieces before the final empty
/// one, otherwise the last (at most) n pieces. The pieces are raw bytes
/// without their '\n' ('\r' is kept; the caller strips it after decoding).
/// An empty file and n == 0 give an empty vector (n == 0 reads nothing).
/// Throws std::invalid_argument for n < 0 or chunk_size <= 0, OsError for
/// failed reads, and std::out_of_range("list index out of range") when the
/// file had a size but nothing could be read (it shrank meanwhile), where
/// SkyPilot's `result_bytes[-1]` raises IndexError.
std::vector<std::string> read_last_n_lines(InputFile& file, std::int64_t n,
                                           std::int64_t chunk_size = 8192);

/// Opens `file_path` (see InputFile::open, errors carry the path) and
/// returns read_last_n_lines(file, n, chunk_size). As in SkyPilot, n == 0
/// returns an empty vector without opening the file.
std::vector<std::string> read_last_n_lines(const std::string& file_path, std::int64_t n,
                                           std::int64_t chunk_size = 8192);

}  // namespace sky::core
