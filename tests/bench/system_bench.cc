// Benchmarks of the system functions: ports, parallelism, process.
#include <benchmark/benchmark.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "sky/functions/parallelism.h"
#include "sky/functions/ports.h"
#include "sky/functions/process.h"

namespace {

// A directory with `entries` empty files, made once per size.
std::string directory_with(int entries) {
  char pattern[] = "/tmp/sky_native_system_bench.XXXXXX";
  std::string dir = ::mkdtemp(pattern) != nullptr ? pattern : "/nonexistent";
  for (int i = 0; i < entries; ++i) std::ofstream(dir + "/f" + std::to_string(i));
  return dir;
}

void BM_os_cpu_count(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::os_cpu_count());
}
BENCHMARK(BM_os_cpu_count);

void BM_get_parallel_threads_kubernetes(benchmark::State& state) {
  for (auto _ : state) {
    bool kubernetes = sky::core::is_kubernetes_ascii("Kubernetes");
    benchmark::DoNotOptimize(
        sky::core::get_parallel_threads(sky::core::os_cpu_count(), kubernetes));
  }
}
BENCHMARK(BM_get_parallel_threads_kubernetes);

void BM_estimate_fd_for_directory(benchmark::State& state) {
  static const std::string small = directory_with(10);
  static const std::string large = directory_with(300);
  const std::string& dir = state.range(0) == 10 ? small : large;
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::estimate_fd_for_directory(dir));
}
BENCHMARK(BM_estimate_fd_for_directory)->Arg(10)->Arg(300);

void BM_estimate_fd_for_directory_missing(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::estimate_fd_for_directory("/nonexistent/dir"));
  }
}
BENCHMARK(BM_estimate_fd_for_directory_missing);

void BM_file_mount_workers_four_dirs(benchmark::State& state) {
  static const std::vector<std::optional<std::string>> dirs = {
      directory_with(50), directory_with(100), directory_with(150), directory_with(200)};
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::max_workers_for_file_mounts(
        sky::core::soft_nofile_limit(), sky::core::fd_per_rsync(dirs),
        sky::core::get_parallel_threads(sky::core::os_cpu_count(), false)));
  }
}
BENCHMARK(BM_file_mount_workers_four_dirs);

void BM_is_process_alive_self(benchmark::State& state) {
  const long long pid = getpid();
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::is_process_alive(pid));
}
BENCHMARK(BM_is_process_alive_self);

void BM_is_process_alive_missing(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::is_process_alive(sky::core::kMaxPid));
  }
}
BENCHMARK(BM_is_process_alive_missing);

void BM_proc_stat_state(benchmark::State& state) {
  const std::string stat =
      "12345 (python3 my) app) S 1 12345 12345 0 -1 4194560 1234 0 0 0 10 5 0 0 20 0 1 0";
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::proc_stat_state(stat));
}
BENCHMARK(BM_proc_stat_state);

void BM_find_free_port_first_free(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(sky::core::find_free_port(0));
}
BENCHMARK(BM_find_free_port_first_free);

}  // namespace
