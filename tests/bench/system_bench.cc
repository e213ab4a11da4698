// Benchmarks of the system functions.
#include <benchmark/benchmark.h>
