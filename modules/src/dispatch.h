// The one call path of every native function: bind the arguments to the
// parameters of the function's description (modules/python/functions.py),
// check that what it depends on is still what it was when sky-native
// started, then run the core -- or defer to the original Python function
// (SkyPilot's, or sky-native's own Python version) with the arguments as
// given, for everything the native path does not mirror: argument lists a
// `def` rejects, argument types other than the exact ones, a mocked
// dependency.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "bindings.h"
#include "native_function.h"

namespace sky_native {

/// What the dispatch keeps of one function's description, plus the objects
/// recorded at start-up. Interpreter-lifetime references (leaked on
/// purpose: nothing is released after finalization).
struct Function {
  // Owners whose attributes the function's code looks up at call time.
  struct Dependency {
    PyObject* attribute;  // str
    PyObject* expected;   // nullptr: the attribute did not exist
  };
  struct Owner {
    PyObject* object;
    PyObject* dict;              // a module's __dict__, else nullptr (getattr)
    std::uint64_t seen_version;  // the dict's version when last found intact
    std::vector<Dependency> dependencies;
  };

  const char* name = nullptr;
  std::vector<PyObject*> parameters;  // interned names
  std::vector<PyObject*> defaults;    // per parameter; nullptr: required
  PyObject* original = nullptr;       // set by the hook (or on first need)
  std::vector<Owner> owners;

  /// True when every recorded dependency is still the object it was: one
  /// version comparison per owner dict while nothing was assigned in it.
  bool dependencies_intact() { return owners.empty() || owners_intact(); }
  /// The original called with the arguments as given (a new reference, or
  /// nullptr with an error set). Imports SkyPilot's module when the original
  /// is not known yet.
  PyObject* call_original(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames);
  /// The original (borrowed), found as call_original finds it; nullptr with
  /// an error set when SkyPilot has none.
  PyObject* original_function();

 private:
  bool owners_intact();
};

/// The functions, indexed by FunctionId: a namespace-scope array (no guard
/// on each access, unlike a function-local static); the Python objects it
/// points to are never released.
extern std::array<Function, kFunctionCount> functions;

inline Function& function(FunctionId id) { return functions[static_cast<std::size_t>(id)]; }

/// One call of the native function `Id`, which binds the parameters its
/// Binding names (kBindings).
template <FunctionId Id>
class Call {
  static constexpr std::size_t N = parameter_count(Id);

 public:
  Call(PyObject* const* args, Py_ssize_t nargs, PyObject* kwnames)
      : function_(function(Id)), args_(args), nargs_(nargs), kwnames_(kwnames) {
    native_ = bind() && function_.dependencies_intact();
  }

  /// False when the call must go to the original (defer()).
  bool native() const { return native_; }
  /// The argument of parameter i, its default applied (borrowed).
  PyObject* operator[](std::size_t i) const { return slots_[i]; }
  /// The original with the arguments as given.
  PyObject* defer() const { return function_.call_original(args_, nargs_, kwnames_); }

 private:
  // By position, then by keyword (interned names compare by identity);
  // false for anything a Python `def` would reject.
  bool bind() {
    if (nargs_ < 0 || static_cast<std::size_t>(nargs_) > N) return false;
    for (Py_ssize_t i = 0; i < nargs_; ++i) slots_[i] = args_[i];
    Py_ssize_t keyword_count = kwnames_ == nullptr ? 0 : PyTuple_GET_SIZE(kwnames_);
    for (Py_ssize_t k = 0; k < keyword_count; ++k) {
      PyObject* keyword = PyTuple_GET_ITEM(kwnames_, k);
      std::size_t slot = 0;
      while (slot < N && function_.parameters[slot] != keyword) ++slot;
      if (slot == N) {
        slot = 0;
        while (slot < N && PyUnicode_Compare(function_.parameters[slot], keyword) != 0) ++slot;
        if (PyErr_Occurred()) PyErr_Clear();
      }
      if (slot == N || slots_[slot] != nullptr) return false;
      slots_[slot] = args_[nargs_ + k];
    }
    PyObject* const* defaults = function_.defaults.data();
    for (std::size_t i = 0; i < N; ++i) {
      if (slots_[i] == nullptr) slots_[i] = defaults[i];
      if (slots_[i] == nullptr) return false;  // a required one is missing
    }
    return true;
  }

  Function& function_;
  PyObject* const* args_;
  Py_ssize_t nargs_;
  PyObject* kwnames_;
  std::array<PyObject*, N> slots_{};
  bool native_ = false;
};

/// Throws std::logic_error, naming the first difference, unless `described`
/// (functions.FUNCTIONS) lists the same functions as `bindings`, in the
/// same order, with the same parameter names in the same order.
void check_bindings(pybind11::handle described,
                    const std::array<Binding, kFunctionCount>& bindings);

/// Adds the native functions to the module, as native function objects
/// (native_function.h) made from kBindings and their descriptions
/// (functions.py, executed here from the embedded code as
/// sky_native._functions; check_bindings first): names, parameters, defaults
/// and text signatures. Adds `_register_original(name, function)`,
/// `_original(name)` and `_add_dependency(name, owner, attribute, expected, missing)` for the hook.
void add_functions(pybind11::module_& m);

}  // namespace sky_native
