// Benchmarks of the text functions.
#include <benchmark/benchmark.h>
