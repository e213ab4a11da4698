// Benchmarks of read_last_n_lines' core (read_tail_lines): tailing must cost the same whatever the
// file size (it reads only the end). hash_file is hashlib's own hashing
// (tests/bench/compare_python.py measures it).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

#include "sky/functions/file_tail.h"

namespace {

// Log-like files of the given size, created once per size and removed at
// exit.
const std::string& log_file(std::int64_t bytes) {
  static std::map<std::int64_t, std::string> files;
  auto found = files.find(bytes);
  if (found != files.end()) return found->second;
  std::string path =
      "/tmp/sky_files_bench_" + std::to_string(::getpid()) + "_" + std::to_string(bytes);
  {
    std::ofstream out(path, std::ios::binary);
    std::int64_t written = 0;
    for (std::int64_t line = 0; written < bytes; ++line) {
      std::string text = "2024-01-01 12:00:00 INFO replica " + std::to_string(line) +
                         " launched, waiting for readiness probe\n";
      out << text;
      written += static_cast<std::int64_t>(text.size());
    }
  }
  static bool cleanup_registered = false;
  if (!cleanup_registered) {
    cleanup_registered = true;
    std::atexit([] {
      for (const auto& entry : files) ::unlink(entry.second.c_str());
    });
  }
  return files.emplace(bytes, path).first->second;
}

// read_last_n_lines(file, 10): the time must stay flat from 1 MB to 50 MB.
void BM_ReadLastNLines_FileSize(benchmark::State& state) {
  const std::string& path = log_file(state.range(0));
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::read_tail_lines(path, 10));
  }
  state.SetLabel(std::to_string(state.range(0) >> 20) + " MB file, n=10");
}
BENCHMARK(BM_ReadLastNLines_FileSize)->Arg(1 << 20)->Arg(10 << 20)->Arg(50 << 20);

// Growing n on a 50 MB file: the cost follows n.
void BM_ReadLastNLines_N(benchmark::State& state) {
  const std::string& path = log_file(50 << 20);
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::read_tail_lines(path, state.range(0)));
  }
}
BENCHMARK(BM_ReadLastNLines_N)->Arg(1)->Arg(100)->Arg(10000);

// Small chunks: many reads for the same lines.
void BM_ReadLastNLines_Chunk(benchmark::State& state) {
  const std::string& path = log_file(10 << 20);
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::read_tail_lines(path, 100, state.range(0)));
  }
}
BENCHMARK(BM_ReadLastNLines_Chunk)->Arg(64)->Arg(8192)->Arg(1 << 20);

}  // namespace
