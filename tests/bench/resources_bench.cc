// Benchmarks of the resources functions.
#include <benchmark/benchmark.h>
