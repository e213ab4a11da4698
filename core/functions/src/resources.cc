// The resources functions: cgroup parsing exactly as SkyPilot's Python does
// it (str.strip / str.split / float() / int() semantics), psutil's totals.
#include "sky/functions/resources.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstddef>
#include <limits>
#include <map>
#include <new>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "sky/common/errors.h"
#include "sky/common/posix.h"
#include "sky/functions/python_float.h"
#include "sky/functions/unicode.h"

namespace sky::core {
namespace {

// read_whole_file, but an error throws OsError (psutil lets it escape).
std::string read_file_or_throw(const std::string& path) {
  std::optional<std::string> contents = read_whole_file(path);
  if (!contents) throw_os_error(path);
  return std::move(*contents);
}

// open(path, encoding='utf-8').read().strip(): nullopt on an OSError or a
// UnicodeDecodeError. A cgroup file is one record (the kernel hands it out
// in one read) and a fixture is a regular file, so the first short read is
// the end of either.
std::optional<std::u32string> read_stripped_text(const std::string& path) {
  std::optional<std::string> bytes = read_whole_file(path, /*one_record=*/true);
  if (!bytes) return std::nullopt;
  std::u32string text;
  if (!decode_utf8(*bytes, text)) return std::nullopt;
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && unicode_is_space(text[begin])) ++begin;
  while (end > begin && unicode_is_space(text[end - 1])) --end;
  return text.substr(begin, end - begin);
}

// str.split() with no separator.
std::vector<std::u32string> split_whitespace(const std::u32string& text) {
  std::vector<std::u32string> tokens;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && unicode_is_space(text[i])) ++i;
    if (i == text.size()) break;
    std::size_t start = i;
    while (i < text.size() && !unicode_is_space(text[i])) ++i;
    tokens.push_back(text.substr(start, i - start));
  }
  return tokens;
}

std::optional<double> python_float(const std::u32string& text) {
  return parse_python_float(encode_utf8(text));
}

// psutil's /proc/meminfo dictionary, or nullopt when psutil would raise on
// a line (fewer than two fields) or where we do not parse its int() exactly.
std::optional<std::map<std::string, std::uint64_t, std::less<>>> parse_meminfo(
    std::string_view text) {
  std::map<std::string, std::uint64_t, std::less<>> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t newline = text.find('\n', pos);
    std::size_t end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(pos, end - pos);
    pos = newline == std::string_view::npos ? text.size() : newline + 1;
    std::string_view parts[2];
    std::size_t count = 0;
    std::size_t i = 0;
    while (count < 2) {
      while (i < line.size() && is_ascii_space(line[i])) ++i;
      if (i == line.size()) break;
      std::size_t start = i;
      while (i < line.size() && !is_ascii_space(line[i])) ++i;
      parts[count++] = line.substr(start, i - start);
    }
    if (count < 2) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : parts[1]) {
      if (c < '0' || c > '9') return std::nullopt;
      auto d = static_cast<std::uint64_t>(c - '0');
      if (value > (std::numeric_limits<std::uint64_t>::max() / 1024 - d) / 10) {
        return std::nullopt;
      }
      value = value * 10 + d;
    }
    fields[std::string(parts[0])] = value * 1024;
  }
  return fields;
}

// statfs(path) names a file of the filesystem with that magic number (a
// file mounted over it reports its own filesystem's).
bool on_filesystem(const std::string& path, long magic) {
  struct statfs info {};
  return ::statfs(path.c_str(), &info) == 0 && info.f_type == magic;
}

}  // namespace

long system_online_processors() {
  errno = 0;
  long value = ::sysconf(_SC_NPROCESSORS_ONLN);
  if (value == -1 && errno != 0) throw OsError(errno);
  return value;
}

long system_affinity_cpu_count() {
  // os.sched_getaffinity: start at one unsigned long of CPUs, double on
  // EINVAL.
  int ncpus = static_cast<int>(sizeof(unsigned long) * CHAR_BIT);
  for (;;) {
    std::size_t size = CPU_ALLOC_SIZE(ncpus);
    cpu_set_t* mask = CPU_ALLOC(ncpus);
    if (mask == nullptr) throw std::bad_alloc();
    if (::sched_getaffinity(0, size, mask) == 0) {
      long count = CPU_COUNT_S(size, mask);
      CPU_FREE(mask);
      return count;
    }
    int error = errno;
    CPU_FREE(mask);
    if (error != EINVAL) throw OsError(error);
    if (ncpus > INT_MAX / 2) {
      throw std::overflow_error("could not allocate a large enough CPU set");
    }
    ncpus *= 2;
  }
}

bool is_cgroup_v2(const ResourceSources& sources) {
  struct stat info;
  std::string path = sources.cgroup_root + "/cgroup.controllers";
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

CgroupCpuLimit get_cgroup_cpu_limit(const ResourceSources& sources) {
  CgroupCpuLimit none;
  if (is_cgroup_v2(sources)) {
    auto text = read_stripped_text(sources.cgroup_root + "/cpu.max");
    if (!text) return none;
    std::vector<std::u32string> tokens = split_whitespace(*text);
    if (tokens.size() != 2) return none;  // the unpacking's ValueError
    if (tokens[0] == U"max") return none;
    std::optional<double> quota = python_float(tokens[0]);
    if (!quota) return none;
    std::optional<double> period = python_float(tokens[1]);
    if (!period) return none;
    if (!(*quota > 0)) return none;
    if (*period == 0) return CgroupCpuLimit{CgroupCpuLimit::Kind::kZeroDivision, 0.0};
    return CgroupCpuLimit{CgroupCpuLimit::Kind::kCores, *quota / *period};
  }
  auto quota_text = read_stripped_text(sources.cgroup_root + "/cpu/cpu.cfs_quota_us");
  if (!quota_text) return none;
  std::optional<double> quota = python_float(*quota_text);
  // Not `quota > 0` (-1: unlimited): None whatever the period file holds,
  // so it is not read.
  if (!quota || !(*quota > 0)) return none;
  auto period_text = read_stripped_text(sources.cgroup_root + "/cpu/cpu.cfs_period_us");
  if (!period_text) return none;
  std::optional<double> period = python_float(*period_text);
  if (!period) return none;
  if (*quota > 0 && *period > 0) {
    return CgroupCpuLimit{CgroupCpuLimit::Kind::kCores, *quota / *period};
  }
  return none;
}

std::optional<std::uint64_t> get_cgroup_memory_limit(const ResourceSources& sources) {
  std::string path = is_cgroup_v2(sources) ? sources.cgroup_root + "/memory.max"
                                           : sources.cgroup_root + "/memory/memory.limit_in_bytes";
  auto value = read_stripped_text(path);
  if (!value || value->empty() || *value == U"max") return std::nullopt;
  PythonInt limit = parse_python_int(*value);
  if (!limit.valid || !limit.positive) return std::nullopt;
  return limit.saturated;
}

bool online_list_is_kernel(const ResourceSources& sources) {
  return on_filesystem(sources.sysfs_root + "/devices/system/cpu/online", SYSFS_MAGIC);
}

std::optional<long> cpu_count_logical(const ResourceSources& sources) {
  std::optional<long> online = sources.online_processors();
  long count = 0;
  if (online) {
    count = *online;
  } else {
    // psutil's fallbacks: "processor" lines (any case) of cpuinfo, then the
    // lines of stat whose first space-separated word matches cpu\d.
    std::string cpuinfo = read_file_or_throw(sources.procfs_root + "/cpuinfo");
    std::size_t pos = 0;
    while (pos < cpuinfo.size()) {
      std::size_t end = cpuinfo.find('\n', pos);
      if (end == std::string::npos) end = cpuinfo.size();
      std::string_view line(cpuinfo.data() + pos, end - pos);
      static constexpr std::string_view kProcessor = "processor";
      if (line.size() >= kProcessor.size()) {
        bool match = true;
        for (std::size_t i = 0; i < kProcessor.size() && match; ++i) {
          char c = line[i];
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
          match = c == kProcessor[i];
        }
        if (match) ++count;
      }
      pos = end + 1;
    }
    if (count == 0) {
      std::string stat = read_file_or_throw(sources.procfs_root + "/stat");
      pos = 0;
      while (pos < stat.size()) {
        std::size_t end = stat.find('\n', pos);
        if (end == std::string::npos) end = stat.size();
        std::string_view line(stat.data() + pos, end - pos);
        if (line.size() >= 4 && line.substr(0, 3) == "cpu" && line[3] >= '0' && line[3] <= '9') {
          ++count;
        }
        pos = end + 1;
      }
    }
    if (count == 0) return std::nullopt;
  }
  if (count < 1) return std::nullopt;
  return count;
}

CpuCount cpu_count(const ResourceSources& sources) {
  long cpu = 0;
  if (online_list_is_kernel(sources)) {
    cpu = sources.affinity_cpu_count();
  } else {
    std::optional<long> logical = cpu_count_logical(sources);
    if (!logical) return CpuCount{CpuCount::Status::kUndetermined, 0.0};
    cpu = std::min(*logical, sources.affinity_cpu_count());
  }
  CgroupCpuLimit limit = get_cgroup_cpu_limit(sources);
  switch (limit.kind) {
    case CgroupCpuLimit::Kind::kNone:
      break;
    case CgroupCpuLimit::Kind::kZeroDivision:
      return CpuCount{CpuCount::Status::kZeroDivision, 0.0};
    case CgroupCpuLimit::Kind::kCores: {
      if (!std::isfinite(limit.cores)) return CpuCount{CpuCount::Status::kBadLimit, limit.cores};
      double truncated = std::trunc(limit.cores);
      // Both sides are exact here: cpu is small, truncated is integral.
      if (truncated < static_cast<double>(cpu)) {
        return CpuCount{CpuCount::Status::kOk, truncated == 0.0 ? 0.0 : truncated};
      }
      break;
    }
  }
  return CpuCount{CpuCount::Status::kOk, static_cast<double>(cpu)};
}

std::optional<std::uint64_t> meminfo_total(const ResourceSources& sources) {
  std::string text = read_file_or_throw(sources.procfs_root + "/meminfo");
  auto fields = parse_meminfo(text);
  if (!fields) return std::nullopt;
  auto has = [&](std::string_view key) { return fields->find(key) != fields->end(); };
  // Fields whose absence makes psutil raise KeyError or warn, and an
  // estimate of MemAvailable that reads more files: let psutil do those.
  for (std::string_view key :
       {"MemTotal:", "MemFree:", "Buffers:", "Cached:", "Active:", "Inactive:", "MemAvailable:"}) {
    if (!has(key)) return std::nullopt;
  }
  if (!has("Shmem:") && !has("MemShared:")) return std::nullopt;
  if (fields->find("MemAvailable:")->second == 0) return std::nullopt;
  return fields->find("MemTotal:")->second;
}

std::optional<std::uint64_t> kernel_memory_total(const ResourceSources& sources) {
  if (!on_filesystem(sources.procfs_root + "/meminfo", PROC_SUPER_MAGIC)) return std::nullopt;
  struct sysinfo info {};
  if (::sysinfo(&info) != 0) return std::nullopt;
  // 64-bit kernels scale totalram to bytes (mem_unit 1) unless that
  // overflows; the product is the page count times the page size either way.
  std::uint64_t bytes = 0;
  if (__builtin_mul_overflow(static_cast<std::uint64_t>(info.totalram),
                             static_cast<std::uint64_t>(info.mem_unit), &bytes)) {
    return std::nullopt;
  }
  return bytes;
}

std::optional<std::uint64_t> virtual_memory_total(const ResourceSources& sources) {
  if (std::optional<std::uint64_t> total = kernel_memory_total(sources)) return total;
  return meminfo_total(sources);
}

double bytes_to_gib(std::uint64_t bytes) {
  // Python's int / int is correctly rounded; dividing by 2**30 only moves the
  // exponent, so the correctly rounded conversion to double is all it takes.
  return std::ldexp(static_cast<double>(bytes), -30);
}

std::optional<double> mem_size_gb(const ResourceSources& sources) {
  std::optional<std::uint64_t> total = virtual_memory_total(sources);
  if (!total) return std::nullopt;
  std::uint64_t memory = *total;
  if (std::optional<std::uint64_t> limit = get_cgroup_memory_limit(sources)) {
    memory = std::min(memory, *limit);
  }
  return bytes_to_gib(memory);
}

}  // namespace sky::core
