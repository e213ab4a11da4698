#include "fallback.h"

#include <string>
#include <unordered_map>
#include <vector>

namespace sky_native {
namespace py = pybind11;
namespace {

struct Dependency {
  py::object owner;
  py::str attribute;
  py::object value;  // empty when the attribute did not exist
};

struct Original {
  py::object function;
  std::vector<Dependency> dependencies;
};

// The SkyPilot module whose import registers each original.
const char* defining_module(const std::string& name) {
  if (name == "get_parallel_threads" || name == "get_max_workers_for_file_mounts") {
    return "sky.utils.subprocess_utils";
  }
  return "sky.utils.common_utils";
}

// Interpreter-lifetime registry, touched only with the GIL held. Leaked on
// purpose: Python objects must not be released after finalization.
std::unordered_map<std::string, Original>& registry() {
  static auto* originals = new std::unordered_map<std::string, Original>();
  return *originals;
}

PyObject* current_value(const Dependency& dependency) {
  PyObject* value = PyObject_GetAttr(dependency.owner.ptr(), dependency.attribute.ptr());
  if (value == nullptr) PyErr_Clear();
  return value;
}

}  // namespace

PyObject* call_original(const char* name, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames) {
  auto registered = [](std::unordered_map<std::string, Original>::iterator entry) {
    return entry != registry().end() && entry->second.function;
  };
  auto found = registry().find(name);
  if (!registered(found)) {
    PyObject* module = PyImport_ImportModule(defining_module(name));
    if (module == nullptr) return nullptr;
    Py_DECREF(module);
    found = registry().find(name);
    if (!registered(found)) {
      PyErr_Format(PyExc_RuntimeError, "sky_native: SkyPilot's %s is not available for this call",
                   name);
      return nullptr;
    }
  }
  return PyObject_Vectorcall(found->second.function.ptr(), args, static_cast<size_t>(nargs),
                             kwnames);
}

bool dependencies_intact(const char* name) {
  auto found = registry().find(name);
  if (found == registry().end()) return true;
  for (const Dependency& dependency : found->second.dependencies) {
    PyObject* value = current_value(dependency);
    bool same = value == dependency.value.ptr();
    Py_XDECREF(value);
    if (!same) return false;
  }
  return true;
}

void bind_fallback(py::module_& m) {
  m.def(
      "_register_original",
      [](const std::string& name, py::object function) {
        registry()[name] = Original{std::move(function), {}};
      },
      py::arg("name"), py::arg("function"),
      "Registers SkyPilot's original Python function for native fallbacks.");
  m.def(
      "_add_dependency",
      [](const std::string& name, py::object owner, py::str attribute) {
        Dependency dependency{std::move(owner), std::move(attribute), py::object()};
        dependency.value = py::reinterpret_steal<py::object>(current_value(dependency));
        registry()[name].dependencies.push_back(std::move(dependency));
      },
      py::arg("name"), py::arg("owner"), py::arg("attribute"),
      "Records owner.attribute as it is now; a later change makes `name` "
      "defer to the original.");
}

}  // namespace sky_native
