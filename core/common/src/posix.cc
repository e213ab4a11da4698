#include "sky/common/posix.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <vector>

namespace sky::core {

bool write_all(int fd, const void* data, std::size_t size) {
  const char* next = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t written = retry_on_eintr([&] { return ::write(fd, next, size); });
    if (written < 0) return false;
    if (written == 0) {
      errno = EIO;
      return false;
    }
    next += written;
    size -= static_cast<std::size_t>(written);
  }
  return true;
}

std::string self_exe() {
  std::vector<char> buffer(PATH_MAX + 1);
  ssize_t length = ::readlink("/proc/self/exe", buffer.data(), PATH_MAX);
  return length > 0 ? std::string(buffer.data(), static_cast<std::size_t>(length)) : "";
}

std::string current_dir() {
  std::vector<char> buffer(PATH_MAX + 1);
  return ::getcwd(buffer.data(), buffer.size()) != nullptr ? buffer.data() : "";
}

std::optional<std::string> read_whole_file(const std::string& path, bool one_record) {
  int fd = retry_on_eintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return std::nullopt;
  std::string contents;
  char buffer[4096];
  for (;;) {
    ssize_t got = retry_on_eintr([&] { return ::read(fd, buffer, sizeof buffer); });
    if (got < 0) {
      int error_number = errno;
      ::close(fd);
      errno = error_number;
      return std::nullopt;
    }
    if (got == 0) break;
    contents.append(buffer, static_cast<std::size_t>(got));
    if (one_record && static_cast<std::size_t>(got) < sizeof buffer) break;
  }
  ::close(fd);
  return contents;
}

}  // namespace sky::core
