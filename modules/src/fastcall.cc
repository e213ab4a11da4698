#include "fastcall.h"

#include <deque>

namespace sky_native {

void add_fastcall(pybind11::module_& m, const char* name, FastcallFunction function,
                  const char* doc) {
  // PyMethodDef must outlive the function object: keep them for the process.
  static std::deque<PyMethodDef> definitions;
  definitions.push_back(
      PyMethodDef{name, reinterpret_cast<PyCFunction>(reinterpret_cast<void (*)()>(function)),
                  METH_FASTCALL | METH_KEYWORDS, doc});
  PyObject* module_name = PyModule_GetNameObject(m.ptr());
  if (module_name == nullptr) throw pybind11::error_already_set();
  PyObject* callable = PyCFunction_NewEx(&definitions.back(), nullptr, module_name);
  Py_DECREF(module_name);
  if (callable == nullptr) throw pybind11::error_already_set();
  m.add_object(name, pybind11::reinterpret_steal<pybind11::object>(callable));
}

}  // namespace sky_native
