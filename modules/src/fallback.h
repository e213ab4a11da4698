// SkyPilot's original Python functions. A native function defers to the
// original for what it does not handle natively (argument types other than
// the exact ones, argument lists a `def` would reject) and whenever a
// dependency of the function has been replaced since start-up (a test's
// mock of psutil.cpu_count, say), so that such calls behave exactly as
// SkyPilot's Python does.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

namespace sky_native {

/// Calls the original registered under `name` with the same vectorcall
/// arguments. When none is registered yet, asks the hook (`_hook.original`),
/// which imports the SkyPilot module that defines it.
/// Returns a new reference, or nullptr with a Python error set.
PyObject* call_original(const char* name, PyObject* const* args, Py_ssize_t nargs,
                        PyObject* kwnames);

/// True when every dependency registered for `name` (an attribute of a
/// module or object) is still the object it was at registration.
bool dependencies_intact(const char* name);

/// Adds `_register_original(name, function)`, `_original(name)` and
/// `_add_dependency(name, owner, attribute, expected, missing)` to the
/// module.
void bind_fallback(pybind11::module_& m);

}  // namespace sky_native
