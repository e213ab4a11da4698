// posix: the POSIX idioms sky-native would otherwise write again in each
// file that needs them (as {fmt}'s FMT_RETRY and ninja's util.h do).
#pragma once

#include <cerrno>
#include <cstddef>
#include <optional>
#include <string>

namespace sky::core {

/// Calls `call` (a system call returning a negative value on failure, with
/// errno set) again for as long as it fails with EINTR, and returns its
/// first other result. For calls whose EINTR must first run the caller's
/// signal handlers (InterruptCheck), loop by hand instead.
template <typename Call>
auto retry_on_eintr(Call&& call) -> decltype(call()) {
  for (;;) {
    auto result = call();
    if (!(result < 0 && errno == EINTR)) return result;
  }
}

/// Writes all `size` bytes of `data` to `fd`, looping over short writes
/// and EINTR. False on any other error, with errno set to its number.
bool write_all(int fd, const void* data, std::size_t size);

/// The path of this process's executable (readlink of /proc/self/exe); ""
/// when it cannot be read.
std::string self_exe();

/// The current working directory (getcwd); "" when it cannot be read (the
/// directory was removed, or the path is longer than PATH_MAX).
std::string current_dir();

/// The whole file, as open(path, 'rb').read() returns it: open(2) and
/// read(2) retried on EINTR, read until read(2) returns 0 -- or, for a
/// file that is `one_record` (procfs's /proc/PID/stat, which the kernel
/// hands out in one read), until the first short read, which saves the
/// read(2) that would return 0. nullopt on any error, with errno set to its
/// error number.
std::optional<std::string> read_whole_file(const std::string& path, bool one_record = false);

}  // namespace sky::core
