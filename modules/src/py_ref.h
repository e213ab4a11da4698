// The one owning reference to a Python object in the bindings:
// pybind11::object, which dispatch.cc and embedded.cc already use, taken
// from the C API with steal() (a new reference) or borrow(). In a release
// build it is the bare pointer and its destructor Py_XDECREF, both inline,
// so a METH_FASTCALL body pays nothing for it; no second class to learn.
//
// The bodies keep to the C API around it (they must not throw: errors are
// nullptr with the Python error set): test with `!ref`, pass `ref.ptr()`,
// hand a result back with `ref.release().ptr()`. Borrowed references (the
// caller's args, Call's slots) and the interpreter-lifetime ones kept in
// static state (leaked on purpose: nothing is released after
// finalization) stay PyObject*.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

namespace sky_native {

using Ref = pybind11::object;

/// Owns a new reference (nullptr stays empty: the error is set).
inline Ref steal(PyObject* object) { return pybind11::reinterpret_steal<Ref>(object); }

/// Takes a reference of its own to a borrowed one (nullptr stays empty).
inline Ref borrow(PyObject* object) { return pybind11::reinterpret_borrow<Ref>(object); }

}  // namespace sky_native
