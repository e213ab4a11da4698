#include <pybind11/embed.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>

namespace py = pybind11;

namespace {

// The VERSION of `project(sky_native VERSION x.y.z ...)`.
std::string project_version() {
  std::ifstream file(SKY_NATIVE_PROJECT_FILE);
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  std::smatch match;
  REQUIRE(std::regex_search(text, match, std::regex(R"(project\(sky_native VERSION ([0-9.]+))")));
  return match[1];
}

}  // namespace

TEST_CASE("the builtin module imports and reports the project's version", "[module]") {
  py::module_ sky_native = py::module_::import("sky_native");
  CHECK(py::str(sky_native.attr("__version__")).cast<std::string>() == project_version());
}

TEST_CASE("the embedded Python files are compiled in", "[module]") {
  py::module_ sky_native = py::module_::import("sky_native");
  for (const char* name :
       {"bootstrap", "importer", "replacement", "status", "functions", "fingerprint",
        "verified_code", "python_impl", "rust_fallback", "cold_paths", "cli", "native_info"}) {
    INFO(name);
    CHECK_FALSE(sky_native.attr("_embedded_source")(name).is_none());
    // Marshalled at build time: loads into a code object without compiling.
    py::object code =
        py::module_::import("marshal").attr("loads")(sky_native.attr("_embedded_code")(name));
    CHECK(py::isinstance(code, py::module_::import("types").attr("CodeType")));
  }
  CHECK(sky_native.attr("_embedded_source")("no_such_file").is_none());
}
