// online_cpus: the number of online CPUs exactly as glibc's
// sysconf(_SC_NPROCESSORS_ONLN) gives it (what CPython 3.11's os.cpu_count()
// returns), for less than sysconf pays: glibc opens, reads and closes
// /sys/devices/system/cpu/online on every call; this keeps the descriptor.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>

namespace sky::core {

/// Counts the CPUs listed in a file such as /sys/devices/system/cpu/online
/// through a descriptor opened once, re-read with pread(2) at offset 0 on
/// every call (sysfs generates the list afresh at each read, so a CPU going
/// on- or offline shows at once).
///
/// The descriptor is checked before each read: fstat(2) must still report
/// the device and inode it was opened on. So a descriptor closed behind the
/// counter's back (os.closerange, a daemon closing everything), or replaced
/// by another file (dup2 over it, a new file that got the number after a
/// close) is never read, never closed by the counter, and the file is opened
/// again. After fork(2) the child's copy of the descriptor is the same file
/// and keeps working. The descriptor is O_CLOEXEC.
///
/// The count is the file's list only when it is exactly what the kernel
/// writes and glibc's parser sums ("0-3,5\n": ranges and single numbers
/// separated by ',', a final '\n', first <= last, under 1024 bytes, read in
/// one pread); anything else, and any open or read error, returns
/// `fallback()` instead (by default sysconf itself), so the result is always
/// sysconf's. Not thread-safe: callers serialise (os_cpu_count does).
class OnlineCpuCounter {
 public:
  explicit OnlineCpuCounter(std::string path = "/sys/devices/system/cpu/online",
                            std::function<long()> fallback = nullptr);
  OnlineCpuCounter(const OnlineCpuCounter&) = delete;
  OnlineCpuCounter& operator=(const OnlineCpuCounter&) = delete;
  /// Closes the descriptor when it is still the file it opened.
  ~OnlineCpuCounter();

  /// sysconf(_SC_NPROCESSORS_ONLN)'s value.
  long count();

  /// The descriptor kept open, or -1 (for tests).
  int descriptor() const { return fd_; }

 private:
  bool still_ours() const;
  bool reopen();

  std::string path_;
  std::function<long()> fallback_;
  int fd_ = -1;
  dev_t device_ = 0;
  ino_t inode_ = 0;
};

/// Parses a CPU list as glibc's get_nprocs sums it; 0 for anything but the
/// strict form OnlineCpuCounter accepts.
long count_cpu_list(const char* text, std::size_t size);

}  // namespace sky::core
