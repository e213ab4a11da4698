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
  if (registered(found)) {
    return PyObject_Vectorcall(found->second.function.ptr(), args, static_cast<size_t>(nargs),
                               kwnames);
  }
  // Not imported yet: the hook imports SkyPilot's module (which registers the
  // original) or raises the AttributeError of a release without it.
  PyObject* hook = PyImport_ImportModule("sky_native._hook");
  if (hook == nullptr) return nullptr;
  PyObject* function = PyObject_CallMethod(hook, "original", "s", name);
  Py_DECREF(hook);
  if (function == nullptr) return nullptr;
  PyObject* result = PyObject_Vectorcall(function, args, static_cast<size_t>(nargs), kwnames);
  Py_DECREF(function);
  return result;
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
        registry()[name].function = std::move(function);
      },
      py::arg("name"), py::arg("function"),
      "Registers SkyPilot's original Python function for native fallbacks "
      "(its recorded dependencies stay).");
  m.def(
      "_original",
      [](const std::string& name) -> py::object {
        auto found = registry().find(name);
        if (found == registry().end() || !found->second.function) return py::none();
        return found->second.function;
      },
      py::arg("name"), "SkyPilot's original function registered under `name`, or None.");
  m.def(
      "_add_dependency",
      [](const std::string& name, py::object owner, py::str attribute, py::object expected,
         const py::object& missing) {
        // `missing` marks an attribute that did not exist when recorded.
        if (expected.is(missing)) expected = py::object();
        registry()[name].dependencies.push_back(
            Dependency{std::move(owner), std::move(attribute), std::move(expected)});
      },
      py::arg("name"), py::arg("owner"), py::arg("attribute"), py::arg("expected"),
      py::arg("missing"),
      "Records that `name` needs owner.attribute to be `expected` (the value "
      "when sky-native started); any other value makes it defer to the original.");
}

}  // namespace sky_native
