// Benchmarks of the files functions.
#include <benchmark/benchmark.h>
