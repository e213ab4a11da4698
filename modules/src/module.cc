// PYBIND11_MODULE(sky_native): the 12 native functions (bindings.h's
// kBindings, checked against their descriptions), the embedded Python side
// and the backend report.
#include <pybind11/pybind11.h>

#include "bindings.h"
#include "dispatch.h"
#include "embedded.h"
#include "exceptions.h"
#include "sky_native/module.h"

namespace py = pybind11;

// The launcher's builtin module is `sky_native`; the wheel builds the same
// module as sky_native._native, which its package re-exports.
#ifndef SKY_NATIVE_MODULE_NAME
#define SKY_NATIVE_MODULE_NAME sky_native
#endif

PYBIND11_MODULE(SKY_NATIVE_MODULE_NAME, m) {
  m.doc() = "SkyPilot utility functions implemented in C++ (sky-native).";
  m.attr("__version__") = SKY_NATIVE_VERSION;
  sky_native::register_exception_translator();
  sky_native::init_resources(m);
  sky_native::add_functions(m);
  sky_native::bind_embedded(m);
  m.def(
      "get_backend_info",
      []() { return py::module_::import("sky_native._status").attr("backend_info")(); },
      "Which implementation SkyPilot uses: a dict with 'backend' ('native' or "
      "'python'), 'version', 'available' and 'functions' (name -> backend).");
}
