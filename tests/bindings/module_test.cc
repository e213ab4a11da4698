#include <pybind11/embed.h>

#include <catch2/catch.hpp>

namespace py = pybind11;

TEST_CASE("the builtin module imports and reports its version", "[module]") {
  py::module_ sky_native = py::module_::import("sky_native");
  CHECK(py::str(sky_native.attr("__version__")).cast<std::string>() == SKY_NATIVE_VERSION);
}

TEST_CASE("the embedded Python files are compiled in", "[module]") {
  py::module_ sky_native = py::module_::import("sky_native");
  for (const char* name :
       {"bootstrap", "hook", "functions", "python_impl", "rust_fallback", "cli", "native_info"}) {
    INFO(name);
    CHECK_FALSE(sky_native.attr("_embedded_source")(name).is_none());
    // Marshalled at build time: loads into a code object without compiling.
    py::object code =
        py::module_::import("marshal").attr("loads")(sky_native.attr("_embedded_code")(name));
    CHECK(py::isinstance(code, py::module_::import("types").attr("CodeType")));
  }
  CHECK(sky_native.attr("_embedded_source")("no_such_file").is_none());
}
