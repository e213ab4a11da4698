// One function per concept that adds its native functions to the module.
#pragma once

#include <pybind11/pybind11.h>

namespace sky_native {

void bind_base36(pybind11::module_& m);
void bind_text(pybind11::module_& m);
void bind_file_tail(pybind11::module_& m);
void bind_file_hash(pybind11::module_& m);
void bind_ports(pybind11::module_& m);
void bind_resources(pybind11::module_& m);
void bind_parallelism(pybind11::module_& m);
void bind_process(pybind11::module_& m);

}  // namespace sky_native
