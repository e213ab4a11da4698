// is_process_alive (sky-native's own, spec section 11), METH_FASTCALL.
#include <Python.h>

#include <array>
#include <exception>
#include <string_view>

#include "bindings.h"
#include "exceptions.h"
#include "fastcall.h"
#include "gil.h"
#include "sky/core/process.h"

namespace sky_native {
namespace {

constexpr const char* kName = "is_process_alive";

// Argument lists a `def` rejects: the Python version raises the exact
// TypeError.
PyObject* call_python_impl(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  PyObject* module = PyImport_ImportModule("sky_native._python_impl");
  if (module == nullptr) return nullptr;
  PyObject* function = PyObject_GetAttrString(module, kName);
  Py_DECREF(module);
  if (function == nullptr) return nullptr;
  PyObject* result = PyObject_Vectorcall(function, args, static_cast<size_t>(nargs), kwnames);
  Py_DECREF(function);
  return result;
}

PyObject* is_process_alive(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                           PyObject* kwnames) {
  static constexpr std::array<std::string_view, 1> kNames{"pid"};
  std::array<PyObject*, 1> slots{};
  if (!bind_arguments(args, nargs, kwnames, kNames, 1, slots)) {
    return call_python_impl(args, nargs, kwnames);
  }
  // operator.index(pid): CPython's own TypeError for anything else.
  PyObject* index = PyNumber_Index(slots[0]);
  if (index == nullptr) return nullptr;
  int overflow = 0;
  long long pid = PyLong_AsLongLongAndOverflow(index, &overflow);
  Py_DECREF(index);
  if (pid == -1 && PyErr_Occurred()) return nullptr;
  // Beyond 64 bits either way: outside (0, 2**31 - 1], so False.
  if (overflow != 0 || pid <= 0 || pid > sky::core::kMaxPid) Py_RETURN_FALSE;
  bool alive = false;
  std::exception_ptr error = without_gil([&] { alive = sky::core::is_process_alive(pid); });
  if (error) {
    set_python_error(error);
    return nullptr;
  }
  return PyBool_FromLong(alive ? 1 : 0);
}

}  // namespace

void bind_process(pybind11::module_& m) {
  add_fastcall(m, kName, is_process_alive,
               "is_process_alive(pid)\n--\n\n"
               "True when a process with this pid exists and is not a zombie; pids <= 0 "
               "and above 2**31 - 1 give False.");
}

}  // namespace sky_native
