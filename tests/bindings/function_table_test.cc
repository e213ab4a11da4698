// The start-up check of bindings.h's kBindings against functions.py
// (dispatch.h's check_bindings): the module is made only when both list the
// same functions, in the same order, with the same parameter names.
#include <pybind11/embed.h>

#include <catch2/catch.hpp>
#include <stdexcept>
#include <utility>

#include "bindings.h"
#include "dispatch.h"

namespace py = pybind11;
using sky_native::FunctionId;

namespace {

// functions.FUNCTIONS as the module was made from it.
py::tuple described() {
  return py::module_::import("sky_native").attr("_functions").attr("FUNCTIONS");
}

std::size_t index(FunctionId id) { return static_cast<std::size_t>(id); }

// FUNCTIONS with entries i and j swapped.
py::tuple swapped(const py::tuple& functions, std::size_t i, std::size_t j) {
  py::list entries(functions);
  py::object first = entries[i];
  entries[i] = entries[j];
  entries[j] = first;
  return py::tuple(entries);
}

}  // namespace

TEST_CASE("the bindings match functions.py name by name", "[function_table]") {
  CHECK_NOTHROW(sky_native::check_bindings(described(), sky_native::kBindings));
}

TEST_CASE("two one-parameter bindings swapped fail the check", "[function_table]") {
  auto bindings = sky_native::kBindings;
  std::swap(bindings[index(FunctionId::kIsProcessAlive)],
            bindings[index(FunctionId::kEstimateFdForDirectory)]);
  CHECK_THROWS_WITH(sky_native::check_bindings(described(), bindings),
                    Catch::Contains("functions.py describes is_process_alive(pid), its binding "
                                    "is estimate_fd_for_directory(path)"));
}

TEST_CASE("two one-parameter descriptions swapped fail the check", "[function_table]") {
  py::tuple functions =
      swapped(described(), index(FunctionId::kFindFreePort), index(FunctionId::kBase36Encode));
  CHECK_THROWS_WITH(sky_native::check_bindings(functions, sky_native::kBindings),
                    Catch::Contains("functions.py describes base36_encode(hex_str), its binding "
                                    "is find_free_port(start_port)"));
}

TEST_CASE("two parameterless bindings swapped fail the check", "[function_table]") {
  auto bindings = sky_native::kBindings;
  std::swap(bindings[index(FunctionId::kGetCpuCount)], bindings[index(FunctionId::kGetMemSizeGb)]);
  CHECK_THROWS_AS(sky_native::check_bindings(described(), bindings), std::logic_error);
}

TEST_CASE("a renamed parameter fails the check", "[function_table]") {
  auto bindings = sky_native::kBindings;
  bindings[index(FunctionId::kHashFile)].parameters = "path, algorithm";
  CHECK_THROWS_WITH(sky_native::check_bindings(described(), bindings),
                    Catch::Contains("hash_file(path, hash_alg), its binding is "
                                    "hash_file(path, algorithm)"));
}

TEST_CASE("a missing description fails the check", "[function_table]") {
  py::list functions(described());
  functions.attr("pop")();
  CHECK_THROWS_WITH(sky_native::check_bindings(py::tuple(functions), sky_native::kBindings),
                    Catch::Contains("functions.py describes 11 functions, the bindings are 12"));
}

TEST_CASE("each body binds as many parameters as its binding names", "[function_table]") {
  CHECK(sky_native::parameter_count(FunctionId::kReadLastNLines) == 5);
  CHECK(sky_native::parameter_count(FunctionId::kGetCpuCount) == 0);
  CHECK(sky_native::parameter_count(FunctionId::kIsProcessAlive) == 1);
  py::tuple functions = described();
  for (const sky_native::Binding& binding : sky_native::kBindings) {
    INFO(binding.name);
    CHECK(py::len(functions[index(binding.id)].attr("parameters")) ==
          sky_native::parameter_count(binding.id));
  }
}
