// PYBIND11_MODULE(sky_native): the 12 native functions made from their
// descriptions, the embedded Python side and the backend report.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "dispatch.h"
#include "embedded.h"
#include "exceptions.h"
#include "sky_native/module.h"

namespace py = pybind11;

PYBIND11_MODULE(sky_native, m) {
  using sky_native::EntryPoint;
  m.doc() = "SkyPilot utility functions implemented in C++ (sky-native).";
  m.attr("__version__") = SKY_NATIVE_VERSION;
  sky_native::register_exception_translator();
  sky_native::init_resources(m);
  // In the order of functions.FUNCTIONS (FunctionId), with the number of
  // parameters each body binds.
  sky_native::add_functions(m, {
                                   EntryPoint{sky_native::read_last_n_lines, 5},
                                   EntryPoint{sky_native::hash_file, 2},
                                   EntryPoint{sky_native::find_free_port, 1},
                                   EntryPoint{sky_native::base36_encode, 1},
                                   EntryPoint{sky_native::format_float, 2},
                                   EntryPoint{sky_native::truncate_long_string, 3},
                                   EntryPoint{sky_native::get_cpu_count, 0},
                                   EntryPoint{sky_native::get_mem_size_gb, 0},
                                   EntryPoint{sky_native::get_parallel_threads, 1},
                                   EntryPoint{sky_native::get_max_workers_for_file_mounts, 2},
                                   EntryPoint{sky_native::is_process_alive, 1},
                                   EntryPoint{sky_native::estimate_fd_for_directory, 1},
                               });
  sky_native::bind_embedded(m);
  m.def(
      "get_backend_info",
      []() { return py::module_::import("sky_native._status").attr("backend_info")(); },
      "Which implementation SkyPilot uses: a dict with 'backend' ('native' or "
      "'python'), 'version', 'available' and 'functions' (name -> backend).");
}
