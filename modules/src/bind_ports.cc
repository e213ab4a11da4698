// find_free_port (SkyPilot's common_utils.find_free_port), METH_FASTCALL.
#include <Python.h>

#include <array>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "bindings.h"
#include "dispatch.h"
#include "exceptions.h"
#include "gil.h"
#include "py_ref.h"
#include "signal_check.h"
#include "sky/common/errors.h"
#include "sky/functions/ports.h"

namespace sky_native {
namespace {

constexpr int kDebug = 10;  // logging.DEBUG

// SkyPilot's common_utils, whose function this is: imported on the first call, as using the
// function implies -- an error during that import (a KeyboardInterrupt among them) propagates, as
// in Python -- then found in sys.modules. nullptr with no error when SkyPilot cannot be imported
// (ImportError), empty with the error set otherwise; *failed tells them apart.
Ref common_utils_module(bool* failed) {
  *failed = false;
  static PyObject* name = PyUnicode_InternFromString("sky.utils.common_utils");
  Ref module = steal(name ? PyImport_GetModule(name) : nullptr);
  if (!module && !PyErr_Occurred()) module = steal(PyImport_Import(name));
  if (!module) {
    if (!PyErr_ExceptionMatches(PyExc_ImportError)) {
      *failed = true;
      return {};
    }
    PyErr_Clear();
  }
  return module;
}

// The module's logger when it is enabled for DEBUG; empty with no error when
// it is not (or there is no module, or it has no logger); empty with an
// error set when asking raised anything else. *failed tells them apart.
Ref debug_logger(PyObject* module, bool* failed) {
  *failed = false;
  if (module == nullptr) return {};
  Ref logger = steal(PyObject_GetAttrString(module, "logger"));
  if (!logger) {
    if (!PyErr_ExceptionMatches(PyExc_AttributeError)) {
      *failed = true;
      return {};
    }
    PyErr_Clear();
    return {};
  }
  Ref enabled = steal(PyObject_CallMethod(logger.ptr(), "isEnabledFor", "i", kDebug));
  int truth = enabled ? PyObject_IsTrue(enabled.ptr()) : -1;
  if (truth != 1) {
    *failed = truth < 0;
    return {};
  }
  return logger;
}

}  // namespace

PyObject* find_free_port(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                         PyObject* kwnames) {
  Call<FunctionId::kFindFreePort> call(args, nargs, kwnames);
  if (!call.native()) return call.defer();
  PyObject* start = call[0];
  if (!PyLong_CheckExact(start) && !PyBool_Check(start)) return call.defer();
  int overflow = 0;
  long long start_port = PyLong_AsLongLongAndOverflow(start, &overflow);
  if (start_port == -1 && PyErr_Occurred()) return nullptr;
  // Beyond 64 bits: a huge positive start gives an empty range, a huge
  // negative one fails in bind() like any negative port.
  if (overflow > 0) start_port = 65535;
  if (overflow < 0) start_port = -1;

  bool failed = false;
  Ref module = common_utils_module(&failed);
  if (failed) return nullptr;
  std::vector<std::pair<int, int>> bind_errors;
  // Logs the failed binds so far; false with an error set. SkyPilot's loop
  // looks its logger up only when a bind failed, and so does this: a call
  // whose first port is free never touches logging.
  auto log_bind_errors = [&] {
    if (bind_errors.empty()) return true;
    bool lookup_failed = false;
    Ref logger = debug_logger(module.ptr(), &lookup_failed);
    if (lookup_failed) return false;
    for (const auto& [failed_port, error_number] : bind_errors) {
      if (!logger) break;
      // f'Error binding port {port}: {e}' with e the OSError from bind().
      std::string message = "Error binding port " + std::to_string(failed_port) + ": " +
                            sky::core::OsError(error_number).what();
      Ref result = steal(PyObject_CallMethod(logger.ptr(), "debug", "s", message.c_str()));
      if (!result) return false;
    }
    bind_errors.clear();
    return true;
  };
  // Between two probes, as SkyPilot's loop: what it logged so far, then the
  // signal handlers.
  SignalCheck signals;
  sky::core::InterruptCheck check;
  if (signals.active()) check = [&] { signals.run(log_bind_errors); };
  std::optional<int> port;
  std::exception_ptr error = without_gil([&] {
    port = sky::core::find_free_port(
        start_port, [&](int p, int e) { bind_errors.emplace_back(p, e); }, check);
  });

  // (Not over the error a check left set: it logged everything before.)
  bool logged = PyErr_Occurred() != nullptr || log_bind_errors();
  if (!logged) return nullptr;
  if (error) {
    set_python_error(error);
    return nullptr;
  }
  if (!port) {
    PyErr_SetString(PyExc_OSError, "No free ports available.");
    return nullptr;
  }
  return PyLong_FromLong(*port);
}

}  // namespace sky_native
