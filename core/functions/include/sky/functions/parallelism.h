// parallelism: SkyPilot's subprocess_utils.get_parallel_threads and
// get_max_workers_for_file_mounts, and sky-native's estimate_fd_for_directory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sky/functions/interrupt_check.h"

namespace sky::core {

/// CPython 3.11's os.cpu_count() on Linux: sysconf(_SC_NPROCESSORS_ONLN)
/// (the host's online CPUs; no cgroup, no affinity), narrowed to int as
/// CPython does; std::nullopt when that is below 1 (Python's None). Read
/// through one process-wide OnlineCpuCounter (online_cpus.h). Thread-safe.
std::optional<long> os_cpu_count();

/// True when `ascii` lower-cased is "kubernetes". Only for ASCII text:
/// Python's str.lower() maps some non-ASCII letters (KELVIN SIGN) to ASCII.
bool is_kubernetes_ascii(std::string_view ascii);

/// get_parallel_threads: max(4, (cpu_count or 1) - 1), times 4 for
/// Kubernetes.
long long get_parallel_threads(std::optional<long> cpu_count, bool kubernetes);

/// Python's `a // b` (rounds toward minus infinity). Throws
/// std::invalid_argument for b == 0 and std::overflow_error for
/// INT64_MIN // -1.
std::int64_t floor_divide(std::int64_t a, std::int64_t b);

/// The soft RLIMIT_NOFILE as Python's resource.getrlimit reports it on
/// Linux: rlim_t narrowed to long, so RLIM_INFINITY is -1. Throws OsError.
long soft_nofile_limit();

/// os.path.isdir(path): stat() (following symlinks) succeeds and the target
/// is a directory; false on any error.
bool is_directory(const std::string& path);

/// len(os.listdir(path)): entries directly inside the directory, dotfiles
/// included, "." and ".." left out, symlinks (dangling too) counted and not
/// followed; `path` itself is followed when it is a symlink. Throws
/// OsError(errno, path) as os.listdir raises.
std::size_t count_directory_entries(const std::string& path);

/// estimate_fd_for_directory: 5 * count_directory_entries(path), or 0 when
/// that throws an OsError (missing path, "", not a directory, no
/// permission, ...).
std::int64_t estimate_fd_for_directory(const std::string& path);

/// The loop of get_max_workers_for_file_mounts over its sources: 5, or
/// 5 * len(os.listdir(source)) for the largest source that os.path.isdir
/// accepts. A source given as nullopt is one os.fsencode rejects, which
/// os.path.isdir reports as no directory. Throws OsError(errno, source) for
/// the first directory that cannot be listed, as os.listdir raises.
/// `check` runs between two sources (see InterruptCheck).
std::int64_t fd_per_rsync(const std::vector<std::optional<std::string>>& sources,
                          const InterruptCheck& check = {});

/// The tail of get_max_workers_for_file_mounts:
/// min(max((fd_limit - 100) // fd_per_rsync, 1), num_threads), with Python's
/// floor division. fd_per_rsync must be positive (std::invalid_argument).
std::int64_t max_workers_for_file_mounts(long fd_limit, std::int64_t fd_per_rsync,
                                         long long num_threads);

}  // namespace sky::core
