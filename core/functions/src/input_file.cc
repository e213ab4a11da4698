#include "sky/functions/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "sky/common/errors.h"

namespace sky::core {

namespace {

// open(path, O_RDONLY | O_CLOEXEC), retried on EINTR after `check`; -1
// with errno set.
int open_for_reading(const std::string& path, const InterruptCheck& check) {
  for (;;) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0 || errno != EINTR) return fd;
    if (check) check();
  }
}

}  // namespace

InputFile InputFile::open(const std::string& path, const InterruptCheck& check) {
  int fd = open_for_reading(path, check);
  if (fd < 0) throw_os_error(path);
  InputFile file(fd);
  // FileIO: open(2) succeeds on a directory, then fstat refuses it. Only an
  // EBADF from fstat is an error there; others are ignored.
  struct stat status {};
  if (::fstat(fd, &status) == 0) {
    if (S_ISDIR(status.st_mode)) throw OsError(EISDIR, path);
  } else if (errno == EBADF) {
    throw OsError(EBADF);
  }
  return file;
}

InputFile::InputFile(InputFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

InputFile& InputFile::operator=(InputFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

InputFile::~InputFile() {
  if (fd_ >= 0) ::close(fd_);
}

std::int64_t InputFile::seek_end() {
  // FileIO.seekable() is whether lseek(fd, 0, SEEK_CUR) worked (first tried
  // when BufferedReader is made); tell() is lseek(SEEK_CUR) again, which a
  // device may answer otherwise than SEEK_END did (/dev/kmsg).
  if (::lseek(fd_, 0, SEEK_CUR) < 0) throw NotSeekable();
  if (::lseek(fd_, 0, SEEK_END) < 0) throw OsError(errno);
  off_t end = ::lseek(fd_, 0, SEEK_CUR);
  if (end < 0) throw OsError(errno);
  return static_cast<std::int64_t>(end);
}

namespace {

// Loops over short reads (and EINTR, after `check`) until `size` bytes or
// end of file, as BufferedReader does; `read_some(done)` makes one
// read(2)/pread(2) call for the bytes from `done` on.
template <typename ReadSome>
std::size_t read_fully(std::size_t size, const InterruptCheck& check, ReadSome&& read_some) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t got = read_some(done);
    if (got < 0) {
      if (errno != EINTR) throw OsError(errno);
      if (check) check();
      continue;
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace

std::size_t InputFile::read_at(std::int64_t offset, char* buffer, std::size_t size,
                               const InterruptCheck& check) {
  return read_fully(size, check, [&](std::size_t done) {
    return ::pread(fd_, buffer + done, size - done,
                   static_cast<off_t>(offset) + static_cast<off_t>(done));
  });
}

std::size_t InputFile::read(char* buffer, std::size_t size, const InterruptCheck& check) {
  return read_fully(size, check,
                    [&](std::size_t done) { return ::read(fd_, buffer + done, size - done); });
}

}  // namespace sky::core
