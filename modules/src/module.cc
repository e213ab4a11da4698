// PYBIND11_MODULE(sky_native): the 12 native functions, the fallback
// registry, the embedded Python side and the backend report.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "embedded.h"
#include "exceptions.h"
#include "fallback.h"
#include "sky_native/module.h"

namespace py = pybind11;

PYBIND11_MODULE(sky_native, m) {
  m.doc() = "SkyPilot utility functions implemented in C++ (sky-native).";
  m.attr("__version__") = SKY_NATIVE_VERSION;
  sky_native::register_exception_translator();
  sky_native::bind_base36(m);
  sky_native::bind_text(m);
  sky_native::bind_file_tail(m);
  sky_native::bind_file_hash(m);
  sky_native::bind_ports(m);
  sky_native::bind_resources(m);
  sky_native::bind_parallelism(m);
  sky_native::bind_process(m);
  sky_native::bind_fallback(m);
  sky_native::bind_embedded(m);
  m.def(
      "get_backend_info",
      []() { return py::module_::import("sky_native._hook").attr("backend_info")(); },
      "Which implementation SkyPilot uses: a dict with 'backend' ('native' or "
      "'python'), 'version', 'available' and 'functions' (name -> backend).");
}
