// CPU and memory resources as SkyPilot's get_cpu_count / get_mem_size_gb see
// them: psutil's totals, the CPU affinity mask and the cgroup (v1 or v2)
// limits, all read through an injectable ResourceSources.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace sky::core {

/// sysconf(_SC_NPROCESSORS_ONLN) as Python's os.sysconf("SC_NPROCESSORS_ONLN")
/// gives it (-1 when indeterminate). Throws OsError when sysconf fails.
long system_online_processors();

/// len(os.sched_getaffinity(0)): the CPUs in this process's affinity mask,
/// with a mask grown as CPython grows it (CPU_ALLOC, beyond 1024 CPUs).
/// Throws OsError when sched_getaffinity fails for another reason than a
/// too small mask.
long system_affinity_cpu_count();

/// Where the resource functions read from. The defaults are the running
/// system; tests point the roots at fixture trees and replace the counts.
struct ResourceSources {
  /// The cgroup mount ("/sys/fs/cgroup" in SkyPilot's code).
  std::string cgroup_root = "/sys/fs/cgroup";
  /// psutil.PROCFS_PATH.
  std::string procfs_root = "/proc";
  /// Where online_processors() counts: glibc's sysconf(_SC_NPROCESSORS_ONLN)
  /// reads <sysfs_root>/devices/system/cpu/online. When that file is the
  /// kernel's own (see online_list_is_kernel) it is not read at all.
  std::string sysfs_root = "/sys";
  /// os.sysconf("SC_NPROCESSORS_ONLN"); nullopt stands for psutil's
  /// ValueError (name unknown to the system), which makes psutil count the
  /// CPUs in <procfs>/cpuinfo, then <procfs>/stat.
  std::function<std::optional<long>()> online_processors = [] {
    return std::optional<long>(system_online_processors());
  };
  /// len(os.sched_getaffinity(0)).
  std::function<long()> affinity_cpu_count = system_affinity_cpu_count;
};

/// _is_cgroup_v2(): os.path.isfile(<cgroup_root>/cgroup.controllers)
/// (stat follows links; any error gives false).
bool is_cgroup_v2(const ResourceSources& sources);

/// What _get_cgroup_cpu_limit() gives.
struct CgroupCpuLimit {
  enum class Kind {
    kNone,          ///< None: no limit, or any OSError / ValueError.
    kCores,         ///< quota / period in `cores` (may be nan, inf, <= 0).
    kZeroDivision,  ///< v2 quota > 0 with period 0: ZeroDivisionError
                    ///< ('float division by zero') escapes.
  };
  Kind kind = Kind::kNone;
  double cores = 0.0;
};

/// _get_cgroup_cpu_limit(): v2 <root>/cpu.max "quota period" (exactly two
/// whitespace-separated tokens, 'max' quota means none, float() each,
/// quota / period when quota > 0); v1 <root>/cpu/cpu.cfs_quota_us and
/// cpu.cfs_period_us (float() each, quota / period when both > 0). Files are
/// decoded as strict UTF-8 and stripped of Unicode whitespace. Never throws.
CgroupCpuLimit get_cgroup_cpu_limit(const ResourceSources& sources);

/// _get_cgroup_memory_limit(): v2 <root>/memory.max, v1
/// <root>/memory/memory.limit_in_bytes; stripped; 'max' or '' give nullopt;
/// otherwise Python's int(value) (base 10: Unicode digits, sign, single '_'
/// between digits; more than 4300 digits is the ValueError of CPython's
/// default int_max_str_digits) and the value when > 0. Values of 2**64 and
/// more saturate to UINT64_MAX (min() against any real total is the same).
/// Any read or parse error gives nullopt. Never throws.
std::optional<std::uint64_t> get_cgroup_memory_limit(const ResourceSources& sources);

/// True when <sysfs_root>/devices/system/cpu/online is the kernel's sysfs
/// file (statfs: SYSFS_MAGIC; not a FUSE file such as lxcfs's mounted over
/// it): it then lists the kernel's online CPUs, a superset of the active
/// CPUs to which sched_getaffinity(2) narrows every mask, so
/// min(psutil.cpu_count(), affinity count) is the affinity count.
bool online_list_is_kernel(const ResourceSources& sources);

/// psutil.cpu_count() on Linux: online_processors(), or when that is nullopt
/// the "processor" lines of <procfs>/cpuinfo, then the cpuN lines of
/// <procfs>/stat. nullopt where psutil returns None (a count below 1).
/// Throws OsError where psutil's reads raise it.
std::optional<long> cpu_count_logical(const ResourceSources& sources);

/// What _cpu_count() gives.
struct CpuCount {
  enum class Status {
    kOk,            ///< `count` is the result (integral; exact as a double,
                    ///< beyond 64 bits for a huge negative cgroup limit).
    kUndetermined,  ///< psutil.cpu_count() is None: SkyPilot's min() raises
                    ///< TypeError.
    kZeroDivision,  ///< see CgroupCpuLimit::kZeroDivision.
    kBadLimit,      ///< the cgroup limit `count` is nan or +-inf: int() of
                    ///< it raises (ValueError for nan, OverflowError for inf).
  };
  Status status = Status::kOk;
  double count = 0.0;
};

/// _cpu_count(): min(psutil.cpu_count(), affinity count, int(cgroup limit)),
/// without counting the online CPUs when online_list_is_kernel says the
/// affinity count is the smaller. Throws OsError from the affinity query.
CpuCount cpu_count(const ResourceSources& sources);

/// MemTotal of <procfs>/meminfo times 1024, as psutil reads it. nullopt
/// whenever psutil would not simply return (a malformed line, a missing
/// field that makes psutil raise or warn, MemAvailable missing or 0,
/// overflow): the caller then asks psutil itself. Throws OsError when the
/// file cannot be read.
std::optional<std::uint64_t> meminfo_total(const ResourceSources& sources);

/// sysinfo(2)'s totalram * mem_unit when <procfs>/meminfo is the kernel's
/// procfs file (statfs: PROC_SUPER_MAGIC; not lxcfs's FUSE file): the
/// kernel prints MemTotal from the same si_meminfo() page count, in kB
/// (pages << (PAGE_SHIFT - 10)), so MemTotal * 1024 is the same byte count,
/// and a kernel's meminfo has every field psutil needs. The one psutil side
/// effect not reproduced: its RuntimeWarning when the kernel reports
/// MemAvailable 0 and psutil's own estimate is negative (memory exhausted);
/// the total is the same. nullopt otherwise.
std::optional<std::uint64_t> kernel_memory_total(const ResourceSources& sources);

/// psutil.virtual_memory().total on Linux: kernel_memory_total, else
/// meminfo_total.
std::optional<std::uint64_t> virtual_memory_total(const ResourceSources& sources);

/// `bytes / 1024**3` as Python's int true division gives it (correctly
/// rounded).
double bytes_to_gib(std::uint64_t bytes);

/// _mem_size_gb(): min(virtual_memory_total, cgroup memory limit) in GiB.
/// nullopt when virtual_memory_total is. Throws as virtual_memory_total.
std::optional<double> mem_size_gb(const ResourceSources& sources);

}  // namespace sky::core
