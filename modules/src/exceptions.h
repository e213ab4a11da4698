// The one place where C++ exceptions from the core become Python exceptions.
#pragma once

#include <Python.h>
#include <pybind11/pybind11.h>

#include <exception>

namespace sky_native {

/// Thrown (by a SignalCheck, without the GIL) when a Python error is already
/// set -- the exception a signal handler raised -- for the binding to return
/// with.
struct PythonErrorSet {};

/// Sets the Python error for `error`: PythonErrorSet keeps the error that is
/// set, sky::core::OsError becomes OSError
/// (CPython picks the subclass from errno; the filename is set when the
/// error has a path), std::invalid_argument ValueError, std::overflow_error
/// OverflowError, std::bad_alloc MemoryError, pybind11::error_already_set
/// is restored as is, anything else RuntimeError. Always sets an error.
void set_python_error(const std::exception_ptr& error);

/// Runs `body` (returning a new reference) and turns a thrown exception
/// into a Python error and nullptr, for METH_FASTCALL functions. The
/// forced unwind of a thread that the finalising interpreter ends (see
/// without_gil) passes through untouched, as pybind11's dispatcher does:
/// it is the one exception that std::current_exception cannot hold (in
/// libstdc++ and libc++abi alike).
template <typename Body>
PyObject* translate_exceptions(Body&& body) {
  try {
    return body();
  } catch (...) {
    std::exception_ptr error = std::current_exception();
    if (!error) throw;
    set_python_error(error);
    return nullptr;
  }
}

/// Registers the same translation for pybind11-bound functions.
void register_exception_translator();

}  // namespace sky_native
