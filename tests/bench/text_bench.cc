// Benchmarks of the text functions.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "sky/functions/base36.h"
#include "sky/functions/text.h"

namespace {

void BM_format_float_fraction(benchmark::State& state) {
  double value = 0.5;
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(sky::core::format_float(value, 1));
  }
}
BENCHMARK(BM_format_float_fraction);

void BM_format_float_whole(benchmark::State& state) {
  double value = 16.0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    benchmark::DoNotOptimize(sky::core::format_float(value, 1));
  }
}
BENCHMARK(BM_format_float_whole);

void BM_truncate_long_string_end(benchmark::State& state) {
  // The COMMAND column of `sky status` (COMMAND_TRUNC_LENGTH = 25).
  const std::string command = "sky launch -c mycluster --gpus A100:8 task.yaml";
  const auto* units = reinterpret_cast<const std::uint8_t*>(command.data());
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::plan_truncation(units, command.size(), 25, false));
  }
}
BENCHMARK(BM_truncate_long_string_end);

void BM_truncate_long_string_middle(benchmark::State& state) {
  const std::u32string zone = U"us-west-2-availability-zone-1";
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::plan_truncation(zone.data(), zone.size(), 15, true));
  }
}
BENCHMARK(BM_truncate_long_string_middle);

void BM_base36_encode_md5(benchmark::State& state) {
  const std::u32string digest = U"d41d8cd98f00b204e9800998ecf8427e";
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::to_base36(sky::core::parse_hex_literal(digest)->magnitude));
  }
}
BENCHMARK(BM_base36_encode_md5);

void BM_base36_encode_long(benchmark::State& state) {
  const std::u32string hex(static_cast<std::size_t>(state.range(0)), U'f');
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::to_base36(sky::core::parse_hex_literal(hex)->magnitude));
  }
  state.SetComplexityN(state.range(0));
}
BENCHMARK(BM_base36_encode_long)->RangeMultiplier(8)->Range(64, 32768)->Complexity();

}  // namespace
