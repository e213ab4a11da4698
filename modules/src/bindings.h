// The native functions' bodies, one file per concept (bind_*.cc): each
// takes its arguments through dispatch.h's Call and converts them and the
// core's result; the logic is in core/.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

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

/// Start-up state of the resource bindings (the os.environ reader) and
/// their test hook `_parse_python_float`; run once, before the functions
/// are added.
void init_resources(pybind11::module_& m);

}  // namespace sky_native
