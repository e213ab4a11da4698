// The one owning reference to a Python object in the bindings:
// pybind11::object, which dispatch.cc and embedded.cc already use, taken
// from the C API with steal() (a new reference) or borrow(). In a release
// build it is the bare pointer and its destructor Py_XDECREF, both inline,
// so a METH_FASTCALL body pays next to nothing for it.
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

#include <utility>

#include "cpython_private.h"

namespace sky_native {

/// pybind11::object, except when this thread has no thread state: then its
/// destructor lets the reference go unreleased. That happens only while
/// CPython ends the thread during finalisation (PyEval_RestoreThread's
/// pthread_exit, in any Python call that released the GIL: hashlib's
/// update, SkyPilot's own code) and the unwinding runs the destructors of
/// the native frames above it. Releasing then would free memory without a
/// thread state: a crash from 3.12 on, whose allocator finds its state
/// through it. The process is exiting; Python's own frames release nothing
/// on that path either.
// (Hidden as pybind11 is: no symbol of it leaves the module.)
class __attribute__((visibility("hidden"))) Ref : public pybind11::object {
 public:
  using pybind11::object::object;
  Ref() = default;
  Ref(pybind11::object&& other) noexcept : pybind11::object(std::move(other)) {}  // NOLINT
  Ref(const Ref&) = default;
  Ref(Ref&&) noexcept = default;
  Ref& operator=(const Ref&) = default;
  Ref& operator=(Ref&&) noexcept = default;
  ~Ref() {
    if (m_ptr != nullptr && current_thread_state() == nullptr) release();
  }
};

/// Owns a new reference (nullptr stays empty: the error is set).
inline Ref steal(PyObject* object) { return pybind11::reinterpret_steal<Ref>(object); }

/// Takes a reference of its own to a borrowed one (nullptr stays empty).
inline Ref borrow(PyObject* object) { return pybind11::reinterpret_borrow<Ref>(object); }

}  // namespace sky_native
