// Per-call cost of the core functions, without Python.
#include <benchmark/benchmark.h>

#include "sky/functions/unicode.h"

namespace {

void BM_decode_utf8(benchmark::State& state) {
  std::string text = "us-west-2-availability-zone-1 \xc3\xa9\xe2\x82\xac";
  std::u32string out;
  for (auto _ : state) {
    benchmark::DoNotOptimize(sky::core::decode_utf8(text, out));
  }
}
BENCHMARK(BM_decode_utf8);

}  // namespace
