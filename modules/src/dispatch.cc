#include "dispatch.h"

#include <deque>
#include <stdexcept>
#include <string>

#include "cpython_private.h"
#include "embedded.h"
#include "native_function.h"
#include "py_ref.h"

namespace sky_native {
namespace py = pybind11;
namespace {

Function& by_name(const std::string& name) {
  for (Function& f : functions) {
    if (f.name != nullptr && name == f.name) return f;
  }
  throw py::key_error("no native function " + name);
}

// owner.attribute now, or empty when it has none.
Ref current_value(const Function::Owner& owner, PyObject* attribute) {
  Ref value = owner.dict != nullptr ? borrow(PyDict_GetItemWithError(owner.dict, attribute))
                                    : steal(PyObject_GetAttr(owner.object, attribute));
  if (!value) PyErr_Clear();
  return value;
}

// Interpreter-lifetime copies of the strings the description gives.
const char* keep(const std::string& text) {
  static std::deque<std::string> kept;
  return kept.emplace_back(text).c_str();
}

// 'name(a, b)' of a binding and of a description (check_bindings).
std::string binding_signature(const Binding& binding) {
  std::string text(binding.name);
  text += '(';
  text += binding.parameters;
  text += ')';
  return text;
}
std::string described_signature(py::handle spec) {
  std::string text = py::str(spec.attr("name"));
  text += '(';
  bool first = true;
  for (py::handle parameter : py::tuple(spec.attr("parameters"))) {
    if (!first) text += ", ";
    text += py::str(parameter[py::int_(0)]).cast<std::string>();
    first = false;
  }
  text += ')';
  return text;
}

}  // namespace

std::array<Function, kFunctionCount> functions;

bool Function::owners_intact() {
  for (Owner& owner : owners) {
    if (owner.dict != nullptr && dict_version(owner.dict) == owner.seen_version) continue;
    for (const Dependency& dependency : owner.dependencies) {
      if (current_value(owner, dependency.attribute).ptr() != dependency.expected) return false;
    }
    if (owner.dict != nullptr) owner.seen_version = dict_version(owner.dict);
  }
  return true;
}

PyObject* Function::call_original(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames) {
  if (original_function() == nullptr) return nullptr;
  return PyObject_Vectorcall(original, args, static_cast<size_t>(nargs), kwnames);
}

PyObject* Function::original_function() {
  if (original == nullptr) {
    // Not imported yet: the hook imports SkyPilot's module (which registers
    // the original) or raises the AttributeError of a release without it.
    Ref hook = steal(PyImport_ImportModule("sky_native._replacement"));
    if (!hook) return nullptr;
    Ref found = steal(PyObject_CallMethod(hook.ptr(), "original", "s", name));
    if (!found) return nullptr;
    if (original == nullptr) original = found.release().ptr();
  }
  return original;
}

void check_bindings(py::handle described, const std::array<Binding, kFunctionCount>& bindings) {
  auto descriptions = py::reinterpret_borrow<py::tuple>(described);
  if (descriptions.size() != bindings.size()) {
    throw std::logic_error("functions.py describes " + std::to_string(descriptions.size()) +
                           " functions, the bindings are " + std::to_string(bindings.size()));
  }
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    std::string expected = described_signature(descriptions[i]);
    std::string compiled = binding_signature(bindings[i]);
    if (expected != compiled) {
      std::string message = "function " + std::to_string(i) + ": functions.py describes ";
      message += expected;
      message += ", its binding is ";
      message += compiled;
      throw std::logic_error(message);
    }
  }
}

void add_functions(py::module_& m) {
  py::module_ description = run_embedded("functions", "sky_native._functions");
  m.add_object("_functions", description);
  py::tuple described = description.attr("FUNCTIONS");
  py::object no_default = description.attr("NO_DEFAULT");
  check_bindings(described, kBindings);
  for (std::size_t i = 0; i < kFunctionCount; ++i) {
    py::handle spec = described[i];
    Function& f = functions[i];
    f.name = keep(py::str(spec.attr("name")));
    for (py::handle parameter : py::tuple(spec.attr("parameters"))) {
      PyObject* parameter_name = Py_NewRef(parameter[py::int_(0)].ptr());
      PyUnicode_InternInPlace(&parameter_name);
      f.parameters.push_back(parameter_name);
      py::object default_value = parameter[py::int_(1)];
      f.defaults.push_back(default_value.is(no_default) ? nullptr : default_value.release().ptr());
    }
    // 'name(a, b=1)' -> '(a, b=1)'.
    std::string text_signature = py::str(spec.attr("signature")());
    PyObject* callable = new_native_function(
        f.name, keep(text_signature.substr(std::char_traits<char>::length(f.name))),
        kBindings[i].body);
    if (callable == nullptr) throw py::error_already_set();
    m.add_object(f.name, py::reinterpret_steal<py::object>(callable));
  }

  m.def(
      "_register_original",
      [](const std::string& name, const py::object& original) {
        Function& f = by_name(name);
        Py_XDECREF(f.original);
        f.original = Py_NewRef(original.ptr());
      },
      py::arg("name"), py::arg("function"),
      "Registers SkyPilot's original Python function for native fallbacks "
      "(its recorded dependencies stay).");
  m.def(
      "_original",
      [](const std::string& name) -> py::object {
        Function& f = by_name(name);
        return f.original == nullptr ? py::none() : py::reinterpret_borrow<py::object>(f.original);
      },
      py::arg("name"), "The original function registered under `name`, or None.");
  m.def(
      "_add_dependency",
      [](const std::string& name, const py::object& owner, const py::str& attribute,
         const py::object& expected, const py::object& missing) {
        Function& f = by_name(name);
        Function::Owner* found = nullptr;
        for (Function::Owner& o : f.owners) {
          if (o.object == owner.ptr()) found = &o;
        }
        if (found == nullptr) {
          PyObject* dict = PyModule_Check(owner.ptr()) ? PyModule_GetDict(owner.ptr()) : nullptr;
          f.owners.push_back(Function::Owner{Py_NewRef(owner.ptr()), dict, 0, {}});
          found = &f.owners.back();
        }
        PyObject* interned = Py_NewRef(attribute.ptr());
        PyUnicode_InternInPlace(&interned);
        // `missing` marks an attribute that did not exist when recorded.
        found->dependencies.push_back(Function::Dependency{
            interned, expected.is(missing) ? nullptr : Py_NewRef(expected.ptr())});
        found->seen_version = 0;  // checked in full at the next call
      },
      py::arg("name"), py::arg("owner"), py::arg("attribute"), py::arg("expected"),
      py::arg("missing"),
      "Records that `name` needs owner.attribute to be `expected` (the value "
      "when sky-native started); any other value makes it defer to the original.");
}

}  // namespace sky_native
