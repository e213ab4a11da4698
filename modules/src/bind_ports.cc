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
#include "sky/core/errors.h"
#include "sky/core/ports.h"

namespace sky_native {
namespace {

constexpr int kDebug = 10;  // logging.DEBUG

// common_utils.logger when it is enabled for DEBUG (a new reference);
// nullptr with no error when it is not (or SkyPilot cannot be imported);
// nullptr with an error set when asking raised. *failed tells them apart.
PyObject* debug_logger(bool* failed) {
  *failed = false;
  PyObject* module = PyImport_ImportModule("sky.utils.common_utils");
  if (module == nullptr) {
    PyErr_Clear();
    return nullptr;
  }
  PyObject* logger = PyObject_GetAttrString(module, "logger");
  Py_DECREF(module);
  if (logger == nullptr) {
    PyErr_Clear();
    return nullptr;
  }
  PyObject* enabled = PyObject_CallMethod(logger, "isEnabledFor", "i", kDebug);
  int truth = enabled == nullptr ? -1 : PyObject_IsTrue(enabled);
  Py_XDECREF(enabled);
  if (truth != 1) {
    Py_DECREF(logger);
    *failed = truth < 0;
    return nullptr;
  }
  return logger;
}

}  // namespace

PyObject* find_free_port(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                         PyObject* kwnames) {
  Call<1> call(FunctionId::kFindFreePort, args, nargs, kwnames);
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
  PyObject* logger = debug_logger(&failed);
  if (failed) return nullptr;
  std::vector<std::pair<int, int>> bind_errors;
  std::optional<int> port;
  std::exception_ptr error = without_gil([&] {
    if (logger != nullptr) {
      port = sky::core::find_free_port(start_port,
                                       [&](int p, int e) { bind_errors.emplace_back(p, e); });
    } else {
      port = sky::core::find_free_port(start_port);
    }
  });

  for (const auto& [failed_port, error_number] : bind_errors) {
    // f'Error binding port {port}: {e}' with e the OSError from bind().
    std::string message = "Error binding port " + std::to_string(failed_port) + ": " +
                          sky::core::OsError(error_number).what();
    PyObject* result = PyObject_CallMethod(logger, "debug", "s", message.c_str());
    if (result == nullptr) {
      Py_DECREF(logger);
      return nullptr;
    }
    Py_DECREF(result);
  }
  Py_XDECREF(logger);
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
