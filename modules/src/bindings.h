// The native functions' bodies, one file per concept (bind_*.cc): each
// takes its arguments through dispatch.h's Call and converts them and the
// core's result; the logic is in core/. And kBindings, the one C++ list of
// them, checked name by name against their descriptions (functions.py) when
// the module is made.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "native_function.h"

namespace sky_native {

#define SKY_NATIVE_FASTCALL(name) \
  PyObject* name(PyObject* self, PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames)

SKY_NATIVE_FASTCALL(read_last_n_lines);
SKY_NATIVE_FASTCALL(hash_file);
SKY_NATIVE_FASTCALL(find_free_port);
SKY_NATIVE_FASTCALL(base36_encode);
SKY_NATIVE_FASTCALL(format_float);
SKY_NATIVE_FASTCALL(truncate_long_string);
SKY_NATIVE_FASTCALL(get_cpu_count);
SKY_NATIVE_FASTCALL(get_mem_size_gb);
SKY_NATIVE_FASTCALL(get_parallel_threads);
SKY_NATIVE_FASTCALL(get_max_workers_for_file_mounts);
SKY_NATIVE_FASTCALL(is_process_alive);
SKY_NATIVE_FASTCALL(estimate_fd_for_directory);

#undef SKY_NATIVE_FASTCALL

/// The native functions, in the order of functions.FUNCTIONS.
enum class FunctionId : std::uint8_t {
  kReadLastNLines,
  kHashFile,
  kFindFreePort,
  kBase36Encode,
  kFormatFloat,
  kTruncateLongString,
  kGetCpuCount,
  kGetMemSizeGb,
  kGetParallelThreads,
  kGetMaxWorkersForFileMounts,
  kIsProcessAlive,
  kEstimateFdForDirectory,
};
constexpr std::size_t kFunctionCount = 12;

/// A body with what it was written for: the function's name and its
/// parameters' names in order ("a, b", as functions.py lists them), which
/// its call[i] indices mean.
struct Binding {
  FunctionId id;
  std::string_view name;
  std::string_view parameters;
  FastcallFunction body;
};

inline constexpr std::array<Binding, kFunctionCount> kBindings{{
    {FunctionId::kReadLastNLines, "read_last_n_lines", "file_path, n, chunk_size, encoding, errors",
     read_last_n_lines},
    {FunctionId::kHashFile, "hash_file", "path, hash_alg", hash_file},
    {FunctionId::kFindFreePort, "find_free_port", "start_port", find_free_port},
    {FunctionId::kBase36Encode, "base36_encode", "hex_str", base36_encode},
    {FunctionId::kFormatFloat, "format_float", "num, precision", format_float},
    {FunctionId::kTruncateLongString, "truncate_long_string", "s, max_length, truncate_middle",
     truncate_long_string},
    {FunctionId::kGetCpuCount, "get_cpu_count", "", get_cpu_count},
    {FunctionId::kGetMemSizeGb, "get_mem_size_gb", "", get_mem_size_gb},
    {FunctionId::kGetParallelThreads, "get_parallel_threads", "cloud_str", get_parallel_threads},
    {FunctionId::kGetMaxWorkersForFileMounts, "get_max_workers_for_file_mounts",
     "common_file_mounts, cloud_str", get_max_workers_for_file_mounts},
    {FunctionId::kIsProcessAlive, "is_process_alive", "pid", is_process_alive},
    {FunctionId::kEstimateFdForDirectory, "estimate_fd_for_directory", "path",
     estimate_fd_for_directory},
}};

constexpr bool in_id_order(const std::array<Binding, kFunctionCount>& bindings) {
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    if (static_cast<std::size_t>(bindings[i].id) != i) return false;
  }
  return true;
}
static_assert(in_id_order(kBindings), "kBindings lists the functions in FunctionId order");

/// How many parameters the body of `id` binds (the names in its Binding).
constexpr std::size_t parameter_count(FunctionId id) {
  std::string_view parameters = kBindings[static_cast<std::size_t>(id)].parameters;
  if (parameters.empty()) return 0;
  std::size_t count = 1;
  for (char c : parameters) count += c == ',' ? 1 : 0;
  return count;
}

/// Start-up state of the resource bindings (the os.environ reader) and
/// their test hook `_parse_python_float`; run once, before the functions
/// are added.
void init_resources(pybind11::module_& m);

/// Makes core's Unicode lookups (int()/float() parsing) use this
/// interpreter's database instead of the built-in Unicode 14 copy; called
/// by init_resources, before any function can run.
void install_unicode_tables();

}  // namespace sky_native
