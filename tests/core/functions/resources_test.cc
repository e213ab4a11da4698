#include "sky/functions/resources.h"
#include <catch2/catch.hpp>

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "sky/common/errors.h"

using sky::core::CgroupCpuLimit;
using sky::core::CpuCount;
using sky::core::ResourceSources;

namespace {

const char* const kTestdata = SKY_NATIVE_TESTDATA_DIR "/cgroup/";
constexpr std::uint64_t kGiB = 1024ULL * 1024 * 1024;

// A fixture cgroup root with fixed CPU totals (no host query).
ResourceSources fixture(const std::string& cgroup, long online = 8, long affinity = 8,
                        const std::string& procfs = "proc_normal") {
  ResourceSources sources;
  sources.cgroup_root = kTestdata + cgroup;
  sources.procfs_root = kTestdata + procfs;
  sources.sysfs_root = kTestdata + std::string("no_sysfs");  // online_processors() counts
  sources.online_processors = [online] { return std::optional<long>(online); };
  sources.affinity_cpu_count = [affinity] { return affinity; };
  return sources;
}

CgroupCpuLimit cpu_limit(const std::string& cgroup) {
  return sky::core::get_cgroup_cpu_limit(fixture(cgroup));
}

void require_no_cpu_limit(const std::string& cgroup) {
  INFO(cgroup);
  REQUIRE(cpu_limit(cgroup).kind == CgroupCpuLimit::Kind::kNone);
}

void require_cpu_limit(const std::string& cgroup, double cores) {
  INFO(cgroup);
  CgroupCpuLimit limit = cpu_limit(cgroup);
  REQUIRE(limit.kind == CgroupCpuLimit::Kind::kCores);
  REQUIRE(limit.cores == cores);
}

std::optional<std::uint64_t> memory_limit(const std::string& cgroup) {
  return sky::core::get_cgroup_memory_limit(fixture(cgroup));
}

}  // namespace

TEST_CASE("resources: _is_cgroup_v2 is isfile(cgroup.controllers)", "[resources]") {
  REQUIRE(sky::core::is_cgroup_v2(fixture("v2_limited")));
  REQUIRE(sky::core::is_cgroup_v2(fixture("v2_missing")));
  REQUIRE_FALSE(sky::core::is_cgroup_v2(fixture("v1_limited")));
  REQUIRE_FALSE(sky::core::is_cgroup_v2(fixture("v1_missing")));
  REQUIRE_FALSE(sky::core::is_cgroup_v2(fixture("no_such_directory")));
  // A directory named cgroup.controllers is not a file: the v1 files count.
  REQUIRE_FALSE(sky::core::is_cgroup_v2(fixture("v2_marker_is_directory")));
  require_cpu_limit("v2_marker_is_directory", 3.0);
  REQUIRE(memory_limit("v2_marker_is_directory") == std::optional<std::uint64_t>(2048));
}

TEST_CASE("resources: cgroup v2 CPU limit (SkyPilot's TestCgroupFunctions)", "[resources]") {
  require_cpu_limit("v2_limited", 1.0);  // '100000 100000'
  require_no_cpu_limit("v2_unlimited");  // 'max 100000'
  require_cpu_limit("v2_half", 0.5);     // '50000 100000'
  require_no_cpu_limit("v2_missing");    // the IOError case
}

TEST_CASE("resources: cgroup v2 CPU limit edge cases", "[resources]") {
  require_cpu_limit("v2_fractional", 1.5);
  require_cpu_limit("v2_tiny", 1.0 / 3.0);
  require_cpu_limit("v2_crlf", 3.0);
  require_cpu_limit("v2_python_grammar", 1.0);  // '1_000_00' and Arabic-Indic digits
  require_cpu_limit("v2_unicode_space", 2.0);   // U+3000 separates the tokens
  require_cpu_limit("v2_negative_period", -2.0);
  require_cpu_limit("v2_inf", std::numeric_limits<double>::infinity());
  CgroupCpuLimit nan_limit = cpu_limit("v2_inf_inf");
  REQUIRE(nan_limit.kind == CgroupCpuLimit::Kind::kCores);
  REQUIRE(std::isnan(nan_limit.cores));
  REQUIRE(cpu_limit("v2_period_zero").kind == CgroupCpuLimit::Kind::kZeroDivision);
  for (const char* cgroup : {"v2_zero_quota_zero_period", "v2_negative", "v2_garbage", "v2_empty",
                             "v2_whitespace_only", "v2_extra_tokens", "v2_one_token", "v2_nan",
                             "v2_hex", "v2_max_garbage", "v2_underscore_edge", "v2_nul"}) {
    require_no_cpu_limit(cgroup);
  }
}

TEST_CASE("resources: cgroup v1 CPU limit", "[resources]") {
  require_cpu_limit("v1_limited", 1.0);
  require_cpu_limit("v1_half", 0.5);
  require_no_cpu_limit("v1_unlimited");  // quota -1
  require_cpu_limit("v1_fractional", 2.5);
  require_cpu_limit("v1_python_grammar", 2.0);
  require_cpu_limit("v1_inf", std::numeric_limits<double>::infinity());
  for (const char* cgroup : {"v1_period_zero", "v1_garbage", "v1_empty", "v1_extra_tokens",
                             "v1_missing_period", "v1_missing"}) {
    require_no_cpu_limit(cgroup);
  }
}

TEST_CASE("resources: cgroup memory limit", "[resources]") {
  using Limit = std::optional<std::uint64_t>;
  // SkyPilot's cases: v2 8 GiB, 'max', '', IOError, v1 1 GiB.
  REQUIRE(memory_limit("v2_limited") == Limit(8 * kGiB));
  REQUIRE(memory_limit("v2_unlimited") == std::nullopt);
  REQUIRE(memory_limit("v2_empty") == std::nullopt);
  REQUIRE(memory_limit("v2_missing") == std::nullopt);
  REQUIRE(memory_limit("v1_limited") == Limit(kGiB));
  // int() grammar.
  REQUIRE(memory_limit("v2_negative_period") == Limit(123));  // '  123\n'
  REQUIRE(memory_limit("v2_python_grammar") == Limit(1000));  // '  1_000\n'
  REQUIRE(memory_limit("v2_inf") == Limit(5));                // '+5'
  REQUIRE(memory_limit("v2_tiny") == Limit(12));              // fullwidth digits
  REQUIRE(memory_limit("v2_unicode_space") == Limit(1024));
  REQUIRE(memory_limit("v2_crlf") == Limit(4096));
  REQUIRE(memory_limit("v1_python_grammar") == Limit(2048));  // '+2_048'
  REQUIRE(memory_limit("v1_unlimited") == Limit(9223372036854771712ULL));
  REQUIRE(memory_limit("v1_fractional") == Limit(3 * kGiB));
  // Beyond 64 bits: saturates (min() against any total is the total).
  REQUIRE(memory_limit("v2_inf_inf") == Limit(std::numeric_limits<std::uint64_t>::max()));
  REQUIRE(memory_limit("v2_digits_at_limit") == Limit(std::numeric_limits<std::uint64_t>::max()));
  // 4301 digits: int()'s ValueError under the default int_max_str_digits.
  REQUIRE(memory_limit("v2_digits_limit") == std::nullopt);
  for (const char* cgroup :
       {"v2_period_zero", "v2_zero_quota_zero_period", "v2_negative", "v2_garbage",
        "v2_whitespace_only", "v2_extra_tokens", "v2_one_token", "v2_nan", "v2_hex",
        "v2_max_garbage", "v2_underscore_edge", "v2_nul", "v1_period_zero", "v1_garbage",
        "v1_empty", "v1_extra_tokens", "v1_inf", "v1_missing"}) {
    INFO(cgroup);
    REQUIRE(memory_limit(cgroup) == std::nullopt);
  }
}

TEST_CASE("resources: _cpu_count order and truncation (SkyPilot's test_get_cpu_count)",
          "[resources]") {
  auto count = [](const ResourceSources& sources) {
    CpuCount result = sky::core::cpu_count(sources);
    REQUIRE(result.status == CpuCount::Status::kOk);
    return result.count;
  };
  REQUIRE(count(fixture("v1_missing", 8, 8)) == 8);     // no cgroup
  REQUIRE(count(fixture("v1_missing", 8, 4)) == 4);     // affinity {0,1,2,3}
  REQUIRE(count(fixture("v1_fractional", 8, 4)) == 2);  // 2.5 cores -> 2
  REQUIRE(count(fixture("v2_half", 8, 8)) == 0);        // 0.5 cores -> 0, no clamp
  REQUIRE(count(fixture("v2_fractional", 8, 8)) == 1);
  REQUIRE(count(fixture("v2_crlf", 2, 8)) == 2);  // psutil says 2
  REQUIRE(count(fixture("v2_negative_period", 8, 8)) == -2);
}

TEST_CASE("resources: _cpu_count outcomes that raise", "[resources]") {
  CpuCount inf = sky::core::cpu_count(fixture("v2_inf"));
  REQUIRE(inf.status == CpuCount::Status::kBadLimit);
  REQUIRE(std::isinf(inf.count));
  CpuCount nan = sky::core::cpu_count(fixture("v2_inf_inf"));
  REQUIRE(nan.status == CpuCount::Status::kBadLimit);
  REQUIRE(std::isnan(nan.count));
  REQUIRE(sky::core::cpu_count(fixture("v2_period_zero")).status ==
          CpuCount::Status::kZeroDivision);
  // psutil.cpu_count() is None below 1: SkyPilot's min() raises TypeError,
  // before the cgroup is read.
  REQUIRE(sky::core::cpu_count(fixture("v2_period_zero", 0, 8)).status ==
          CpuCount::Status::kUndetermined);
  REQUIRE(sky::core::cpu_count(fixture("v1_missing", -1, 8)).status ==
          CpuCount::Status::kUndetermined);
}

TEST_CASE("resources: psutil's logical CPU fallbacks", "[resources]") {
  ResourceSources sources = fixture("v1_missing", 8, 8, "proc_cpuinfo");
  REQUIRE(sky::core::cpu_count_logical(sources) == std::optional<long>(8));
  sources.online_processors = [] { return std::optional<long>(); };
  REQUIRE(sky::core::cpu_count_logical(sources) == std::optional<long>(3));
  sources.procfs_root = std::string(kTestdata) + "proc_stat_only";
  REQUIRE(sky::core::cpu_count_logical(sources) == std::optional<long>(4));
  sources.procfs_root = std::string(kTestdata) + "proc_nothing";
  REQUIRE(sky::core::cpu_count_logical(sources) == std::nullopt);
  sources.procfs_root = std::string(kTestdata) + "no_such_directory";
  REQUIRE_THROWS_AS(sky::core::cpu_count_logical(sources), sky::core::OsError);
}

TEST_CASE("resources: psutil.virtual_memory().total", "[resources]") {
  using Total = std::optional<std::uint64_t>;
  constexpr std::uint64_t kTotal = 16384000ULL * 1024;
  auto total = [](const std::string& procfs) {
    return sky::core::virtual_memory_total(fixture("v1_missing", 8, 8, procfs));
  };
  REQUIRE(total("proc_normal") == Total(kTotal));
  REQUIRE(total("proc_mem_shared") == Total(kTotal));
  REQUIRE(total("proc_no_final_newline") == Total(kTotal));
  // Where psutil raises, warns or estimates, the caller asks psutil.
  for (const char* procfs : {"proc_no_available", "proc_zero_available", "proc_no_total",
                             "proc_blank_line", "proc_bad_value"}) {
    INFO(procfs);
    REQUIRE(total(procfs) == std::nullopt);
  }
  REQUIRE_THROWS_AS(total("no_such_directory"), sky::core::OsError);
}

TEST_CASE("resources: _mem_size_gb (SkyPilot's test_get_mem_size_gb)", "[resources]") {
  constexpr double kTotalGiB = 16384000.0 / (1024 * 1024);
  auto gib = [](const std::string& cgroup) {
    std::optional<double> value = sky::core::mem_size_gb(fixture(cgroup));
    REQUIRE(value.has_value());
    return *value;
  };
  REQUIRE(gib("v1_missing") == kTotalGiB);
  REQUIRE(gib("v2_unlimited") == kTotalGiB);
  REQUIRE(gib("v2_limited") == 8.0);  // cgroup below the total
  REQUIRE(gib("v1_limited") == 1.0);
  REQUIRE(gib("v1_unlimited") == kTotalGiB);  // the v1 "unlimited" value
  REQUIRE(gib("v2_inf_inf") == kTotalGiB);    // beyond 64 bits
  REQUIRE(gib("v2_tiny") == 12.0 / kGiB);
  REQUIRE_FALSE(sky::core::mem_size_gb(fixture("v1_missing", 8, 8, "proc_no_total")).has_value());
}

TEST_CASE("resources: bytes / 1024**3 is correctly rounded", "[resources]") {
  REQUIRE(sky::core::bytes_to_gib(0) == 0.0);
  REQUIRE(sky::core::bytes_to_gib(kGiB) == 1.0);
  REQUIRE(sky::core::bytes_to_gib(3 * kGiB / 2) == 1.5);
  // Python: (2**64 - 1) / 1024**3 == 17179869184.0 and
  // (2**53 + 1) / 1024**3 == 8388608.0 (ties to even).
  REQUIRE(sky::core::bytes_to_gib(std::numeric_limits<std::uint64_t>::max()) == 17179869184.0);
  REQUIRE(sky::core::bytes_to_gib((1ULL << 53) + 1) == 8388608.0);
  REQUIRE(sky::core::bytes_to_gib((1ULL << 53) + 3) == std::ldexp(9007199254740996.0, -30));
}

TEST_CASE("resources: the kernel's online list is not read", "[resources]") {
  ResourceSources sources = fixture("v1_fractional", 8, 4);
  REQUIRE_FALSE(sky::core::online_list_is_kernel(sources));
  sources.sysfs_root = "/sys";
  if (!sky::core::online_list_is_kernel(sources)) {
    WARN("/sys/devices/system/cpu/online is not sysfs: nothing to check");
    return;
  }
  int calls = 0;
  sources.online_processors = [&calls] {
    ++calls;
    return std::optional<long>(8);
  };
  CpuCount count = sky::core::cpu_count(sources);
  REQUIRE(count.status == CpuCount::Status::kOk);
  REQUIRE(count.count == 2);  // min(affinity 4, int(2.5))
  REQUIRE(calls == 0);
}

TEST_CASE("resources: sysinfo's total is MemTotal on this kernel", "[resources]") {
  ResourceSources host;
  std::optional<std::uint64_t> from_sysinfo = sky::core::kernel_memory_total(host);
  if (!from_sysinfo) {
    WARN("/proc/meminfo is not the kernel's: nothing to check");
    return;
  }
  REQUIRE(from_sysinfo == sky::core::meminfo_total(host));
  REQUIRE(sky::core::virtual_memory_total(host) == from_sysinfo);
  // A fixture tree is no procfs: its meminfo is parsed.
  REQUIRE_FALSE(sky::core::kernel_memory_total(fixture("v1_missing")).has_value());
}

TEST_CASE("resources: host queries", "[resources]") {
  long online = sky::core::system_online_processors();
  REQUIRE(online == ::sysconf(_SC_NPROCESSORS_ONLN));
  long affinity = sky::core::system_affinity_cpu_count();
  cpu_set_t mask;
  CPU_ZERO(&mask);
  REQUIRE(::sched_getaffinity(0, sizeof mask, &mask) == 0);
  REQUIRE(affinity == CPU_COUNT(&mask));
  ResourceSources host;
  std::optional<std::uint64_t> total = sky::core::virtual_memory_total(host);
  REQUIRE(total.has_value());
  REQUIRE(*total > 0);
  REQUIRE(*total % 1024 == 0);
  CpuCount count = sky::core::cpu_count(host);
  if (count.status == CpuCount::Status::kOk) {
    REQUIRE(count.count <= static_cast<double>(std::min(online, affinity)));
  }
  // Counting the online CPUs too changes nothing.
  ResourceSources counted = host;
  counted.sysfs_root = "/nonexistent";
  CpuCount with_online = sky::core::cpu_count(counted);
  REQUIRE(with_online.status == count.status);
  REQUIRE(with_online.count == count.count);
}
