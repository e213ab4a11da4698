// is_process_alive (sky-native's own), METH_FASTCALL.
#include <Python.h>

#include <array>
#include <exception>
#include <string_view>

#include "bindings.h"
#include "dispatch.h"
#include "exceptions.h"
#include "gil.h"
#include "py_ref.h"
#include "sky/functions/process.h"

namespace sky_native {

PyObject* is_process_alive(PyObject* /*self*/, PyObject* const* args, Py_ssize_t nargs,
                           PyObject* kwnames) {
  // Argument lists a `def` rejects: the Python version raises the exact
  // TypeError.
  Call<FunctionId::kIsProcessAlive> call(args, nargs, kwnames);
  if (!call.native()) return call.defer();
  // operator.index(pid): CPython's own TypeError for anything else.
  Ref index = steal(PyNumber_Index(call[0]));
  if (!index) return nullptr;
  int overflow = 0;
  long long pid = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
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

}  // namespace sky_native
