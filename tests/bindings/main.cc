// A Catch2 main() that owns the interpreter, as pybind11's own tests do.
#define CATCH_CONFIG_RUNNER
#include <pybind11/embed.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <exception>

#include "sky_native/module.h"

int main(int argc, char* argv[]) {
  PyImport_AppendInittab("sky_native", PyInit_sky_native);
  try {
    pybind11::scoped_interpreter interpreter;
    return Catch::Session().run(argc, argv);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "sky_native_bindings_tests: %s\n", error.what());
    return 1;
  }
}
