# Options, on by default only when sky-native is the top-level project.
set(_sky_native_top_level OFF)
if(CMAKE_CURRENT_SOURCE_DIR STREQUAL CMAKE_SOURCE_DIR)
  set(_sky_native_top_level ON)
endif()

option(SKY_NATIVE_BUILD_TESTS "Build the Catch2 tests" ${_sky_native_top_level})
option(SKY_NATIVE_BUILD_BENCHMARKS "Build the Google Benchmark programs" OFF)
option(SKY_NATIVE_BUILD_FUZZERS "Build the libFuzzer targets (needs clang)" OFF)
option(SKY_NATIVE_WARNINGS_AS_ERRORS "Treat compiler warnings as errors" OFF)
option(SKY_NATIVE_SELF_CONTAINED
  "Build the launcher of the single file: only glibc linked dynamically, payload mode on" OFF)
set(SKY_NATIVE_SANITIZERS "" CACHE STRING "Sanitizers to build with, e.g. address;undefined")

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo CACHE STRING "Build type" FORCE)
endif()
