#include "sky/functions/online_cpus.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <utility>

#include "sky/common/posix.h"

namespace sky::core {
namespace {

long sysconf_online() { return ::sysconf(_SC_NPROCESSORS_ONLN); }

// glibc's get_nprocs reads the list with one read(2) into 1024 bytes.
constexpr std::size_t kGlibcBuffer = 1024;

// Digits at `at` (at most 9, so no overflow) as a number; -1 if none.
long parse_number(const char*& at, const char* end) {
  long value = 0;
  int digits = 0;
  while (at < end && *at >= '0' && *at <= '9' && digits < 10) {
    value = value * 10 + (*at - '0');
    ++at;
    ++digits;
  }
  if (digits == 0 || digits > 9) return -1;
  return value;
}

}  // namespace

long count_cpu_list(const char* text, std::size_t size) {
  if (size == 0 || size >= kGlibcBuffer || text[size - 1] != '\n') return 0;
  const char* at = text;
  const char* end = text + size - 1;  // the final '\n'
  long total = 0;
  for (;;) {
    long first = parse_number(at, end);
    if (first < 0) return 0;
    long last = first;
    if (at < end && *at == '-') {
      ++at;
      last = parse_number(at, end);
      if (last < first) return 0;
    }
    total += last - first + 1;
    if (at == end) return total;
    if (*at != ',') return 0;
    ++at;
  }
}

OnlineCpuCounter::OnlineCpuCounter(std::string path, std::function<long()> fallback)
    : path_(std::move(path)), fallback_(fallback ? std::move(fallback) : sysconf_online) {}

OnlineCpuCounter::~OnlineCpuCounter() {
  if (fd_ >= 0 && still_ours()) ::close(fd_);
}

bool OnlineCpuCounter::still_ours() const {
  struct stat info {};
  return ::fstat(fd_, &info) == 0 && info.st_dev == device_ && info.st_ino == inode_;
}

bool OnlineCpuCounter::reopen() {
  // The old number is not ours any more (closed, or another file): leave it.
  fd_ = -1;
  int fd = retry_on_eintr([&] { return ::open(path_.c_str(), O_RDONLY | O_CLOEXEC); });
  if (fd < 0) return false;
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  device_ = info.st_dev;
  inode_ = info.st_ino;
  return true;
}

long OnlineCpuCounter::count() {
  if ((fd_ < 0 || !still_ours()) && !reopen()) return fallback_();
  char buffer[kGlibcBuffer];
  ssize_t got = retry_on_eintr([&] { return ::pread(fd_, buffer, sizeof buffer, 0); });
  long counted = got > 0 ? count_cpu_list(buffer, static_cast<std::size_t>(got)) : 0;
  return counted > 0 ? counted : fallback_();
}

}  // namespace sky::core
