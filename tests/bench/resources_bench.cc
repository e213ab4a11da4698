// Benchmarks of the resources functions.
#include <benchmark/benchmark.h>
#include "sky/functions/resources.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "sky/functions/python_float.h"

namespace {

// A cgroup root in a temporary directory (the bench target has no testdata
// path): v2 with cpu.max "150000 100000" and v1 memory files alongside.
const std::string& cgroup_fixture(bool v2) {
  static const std::string root = [] {
    char pattern[] = "/tmp/sky_native_resources_bench.XXXXXX";
    std::string dir = ::mkdtemp(pattern) != nullptr ? pattern : "/nonexistent";
    std::ofstream(dir + "/cgroup.controllers") << "cpu memory\n";
    std::ofstream(dir + "/cpu.max") << "150000 100000\n";
    ::mkdir((dir + "/v1").c_str(), 0755);
    ::mkdir((dir + "/v1/memory").c_str(), 0755);
    std::ofstream(dir + "/v1/memory/memory.limit_in_bytes") << "1073741824\n";
    return dir;
  }();
  static const std::string v1 = root + "/v1";
  return v2 ? root : v1;
}

void BM_parse_python_float_plain(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::parse_python_float(" 2.5 "));
}
BENCHMARK(BM_parse_python_float_plain);

void BM_parse_python_float_unicode_underscores(benchmark::State& state) {
  const std::string text = "\xe3\x80\x80\xd9\xa1_\xd9\xa2\xd9\xa3.5e1_0\xc2\xa0";
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::parse_python_float(text));
}
BENCHMARK(BM_parse_python_float_unicode_underscores);

void BM_get_cgroup_cpu_limit_fixture_v2(benchmark::State& state) {
  sky::core::ResourceSources sources;
  sources.cgroup_root = cgroup_fixture(true);
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::get_cgroup_cpu_limit(sources));
}
BENCHMARK(BM_get_cgroup_cpu_limit_fixture_v2);

void BM_get_cgroup_memory_limit_fixture_v1(benchmark::State& state) {
  sky::core::ResourceSources sources;
  sources.cgroup_root = cgroup_fixture(false);
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::get_cgroup_memory_limit(sources));
}
BENCHMARK(BM_get_cgroup_memory_limit_fixture_v1);

void BM_cpu_count_host(benchmark::State& state) {
  sky::core::ResourceSources sources;
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::cpu_count(sources));
}
BENCHMARK(BM_cpu_count_host);

void BM_affinity_cpu_count_host(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::system_affinity_cpu_count());
}
BENCHMARK(BM_affinity_cpu_count_host);

void BM_mem_size_gb_host(benchmark::State& state) {
  sky::core::ResourceSources sources;
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::mem_size_gb(sources));
}
BENCHMARK(BM_mem_size_gb_host);

}  // namespace
