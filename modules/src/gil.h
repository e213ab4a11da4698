// Releasing the GIL around blocking core work (files, directories, sockets).
#pragma once

#include <Python.h>

#include <cxxabi.h>

#include <exception>

namespace sky_native {

/// Runs `body` without the GIL and returns what it threw, or nullptr.
/// `body` must not touch Python objects. (A function rather than
/// Py_BEGIN_ALLOW_THREADS so that no exception crosses the macro pair.)
///
/// Not noexcept, nor any frame above it: when the interpreter is
/// finalising, PyEval_RestoreThread ends the calling thread with
/// pthread_exit, which unwinds the stack (abi::__forced_unwind); a
/// noexcept frame on that path would turn the thread's exit into
/// std::terminate and abort the whole process.
template <typename Body>
std::exception_ptr without_gil(Body&& body) {
  std::exception_ptr failure;
  PyThreadState* saved = PyEval_SaveThread();
  try {
    body();
  } catch (abi::__forced_unwind&) {
    throw;  // the thread ends in a check that took the GIL back (see above)
  } catch (...) {
    failure = std::current_exception();
  }
  PyEval_RestoreThread(saved);
  return failure;
}

}  // namespace sky_native
