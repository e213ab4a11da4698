#include "sky/functions/parallelism.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/functions/online_cpus.h"
#include "sky/functions/python_float.h"

namespace sky::core {

std::optional<long> os_cpu_count() {
  // CPython 3.11 os_cpu_count_impl: `int ncpu = sysconf(...)`, None if < 1;
  // the counter gives sysconf's value without reopening the file each call.
  // Never destroyed (threads may still call at exit). Another thread
  // inside, or a lock inherited held across fork(2): ask sysconf itself.
  static std::mutex& lock = *new std::mutex;
  static OnlineCpuCounter& counter = *new OnlineCpuCounter;
  long online = 0;
  {
    std::unique_lock<std::mutex> held(lock, std::try_to_lock);
    online = held.owns_lock() ? counter.count() : ::sysconf(_SC_NPROCESSORS_ONLN);
  }
  int count = static_cast<int>(online);
  if (count < 1) return std::nullopt;
  return count;
}

bool is_kubernetes_ascii(std::string_view ascii) {
  return equals_ascii_lowercase(ascii, "kubernetes");
}

long long get_parallel_threads(std::optional<long> cpu_count, bool kubernetes) {
  long long count = cpu_count.value_or(1);
  return std::max(4LL, count - 1) * (kubernetes ? 4 : 1);
}

std::int64_t floor_divide(std::int64_t a, std::int64_t b) {
  if (b == 0) throw std::invalid_argument("integer division or modulo by zero");
  if (a == std::numeric_limits<std::int64_t>::min() && b == -1) {
    throw std::overflow_error("floor_divide: result does not fit in 64 bits");
  }
  std::int64_t quotient = a / b;
  // C++ truncates toward zero; step down when the signs differ and there is
  // a remainder.
  if ((a % b != 0) && ((a < 0) != (b < 0))) --quotient;
  return quotient;
}

long soft_nofile_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) throw OsError(errno);
  // CPython's rlimit2py: PyLong_FromLong((long)rl.rlim_cur) when rlim_t is
  // no wider than long, so RLIM_INFINITY reads -1.
  return static_cast<long>(limit.rlim_cur);
}

bool is_directory(const std::string& path) {
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return false;
  return S_ISDIR(status.st_mode);
}

namespace {

// Counts like os.listdir without throwing (estimate_fd_for_directory's
// error path is common and exceptions are slow): 0 or the errno. The
// records readdir(3) would hand out, read with getdents64(2) into one stack
// buffer: opendir's fstat and heap buffer are not needed for a count.
int count_entries(const std::string& path, std::size_t* count) {
  int fd = retry_on_eintr([&] {  // opened as opendir opens it
    return ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY);
  });
  if (fd < 0) return errno;
  alignas(8) char buffer[16384];
  std::size_t entries = 0;
  int error_number = 0;
  for (;;) {
    long got = retry_on_eintr([&] { return ::syscall(SYS_getdents64, fd, buffer, sizeof buffer); });
    if (got < 0) {
      error_number = errno;
      break;
    }
    if (got == 0) break;
    for (long at = 0; at < got;) {
      // struct linux_dirent64: d_ino (8), d_off (8), d_reclen (2), d_type
      // (1), d_name.
      unsigned short length = 0;
      std::memcpy(&length, buffer + at + 16, sizeof length);
      const char* name = buffer + at + 19;
      if (!(name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))) {
        ++entries;
      }
      at += length;
    }
  }
  ::close(fd);
  *count = entries;
  return error_number;
}

}  // namespace

std::size_t count_directory_entries(const std::string& path) {
  std::size_t count = 0;
  int error_number = count_entries(path, &count);
  if (error_number != 0) throw OsError(error_number, path);
  return count;
}

std::int64_t estimate_fd_for_directory(const std::string& path) {
  std::size_t count = 0;
  if (count_entries(path, &count) != 0) return 0;
  return static_cast<std::int64_t>(count) * 5;
}

std::int64_t fd_per_rsync(const std::vector<std::optional<std::string>>& sources,
                          const InterruptCheck& check) {
  std::int64_t result = 5;
  for (const std::optional<std::string>& source : sources) {
    if (check && &source != &sources.front()) check();
    if (!source || !is_directory(*source)) continue;
    result = std::max(result, static_cast<std::int64_t>(count_directory_entries(*source)) * 5);
  }
  return result;
}

std::int64_t max_workers_for_file_mounts(long fd_limit, std::int64_t fd_per_rsync,
                                         long long num_threads) {
  if (fd_per_rsync <= 0) throw std::invalid_argument("fd_per_rsync must be positive");
  constexpr std::int64_t kFdReserve = 100;
  // fd_limit is at least LONG_MIN; keep fd_limit - 100 from wrapping.
  std::int64_t available = fd_limit < std::numeric_limits<std::int64_t>::min() + kFdReserve
                               ? std::numeric_limits<std::int64_t>::min()
                               : static_cast<std::int64_t>(fd_limit) - kFdReserve;
  std::int64_t workers = floor_divide(available, fd_per_rsync);
  return std::min<std::int64_t>(std::max<std::int64_t>(workers, 1), num_threads);
}

}  // namespace sky::core
