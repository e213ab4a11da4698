// The object each native function is: a vectorcall callable (as cheap to
// call as a METH_FASTCALL builtin) that introspects as SkyPilot's function.
// A builtin_function_or_method cannot: it takes no attributes, so it has no
// __wrapped__, and mock.create_autospec checks the signature of its
// __call__, a method-wrapper that accepts any arguments.
#pragma once

#include <Python.h>

#include <cstddef>

namespace sky_native {

using FastcallFunction = PyObject* (*)(PyObject* self, PyObject* const* args, Py_ssize_t nargs,
                                       PyObject* kwnames);

/// A new native function object named `name` (interpreter-lifetime string)
/// that runs `body` (called with a null self), nullptr with an error set.
/// It has __name__, __qualname__, __module__ ('sky_native'),
/// __text_signature__ (`text_signature`, as a builtin's), and, computed on
/// first use by sky_native._introspection (which may import SkyPilot's
/// module): __wrapped__ (SkyPilot's function, or sky-native's own Python
/// version; AttributeError without one), __signature__, __annotations__ and
/// __doc__ from it. Its __call__ attribute is itself, so autospec checks
/// calls against that signature. Pickles by name as a builtin does.
PyObject* new_native_function(const char* name, const char* text_signature, FastcallFunction body);

}  // namespace sky_native
