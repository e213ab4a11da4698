// Releasing the GIL around blocking core work (files, directories, sockets).
#pragma once

#include <Python.h>

#include <unistd.h>

#include <exception>

namespace sky_native {

/// PyEval_RestoreThread(saved), except while the interpreter finalises:
/// CPython then ends the calling thread with pthread_exit, and its unwinding
/// would run the destructors of the native frames above, which release
/// Python references without a thread state (a crash from 3.12 on, whose
/// allocator finds its state through it). A thread in that state never runs
/// Python again: it waits here until the process exits, as daemon threads do
/// from 3.14 on (PyThread_hang_thread). PyEval_RestoreThread is C: the
/// forced unwind is the only exception that can leave it (caught by `...`
/// in libstdc++ and libc++abi alike).
inline void restore_thread(PyThreadState* saved) {
  try {
    PyEval_RestoreThread(saved);
  } catch (...) {
    for (;;) pause();
  }
}

/// Runs `body` without the GIL and returns what it threw, or nullptr.
/// `body` must not touch Python objects. (A function rather than
/// Py_BEGIN_ALLOW_THREADS so that no exception crosses the macro pair.)
///
/// Not noexcept: a signal check in `body` (the main thread) takes the GIL
/// back, and a forced unwind through a noexcept frame would be
/// std::terminate.
template <typename Body>
std::exception_ptr without_gil(Body&& body) {
  std::exception_ptr failure;
  PyThreadState* saved = PyEval_SaveThread();
  try {
    body();
  } catch (...) {
    failure = std::current_exception();
    // No exception_ptr: not a C++ exception but the thread's forced unwind
    // (it ends in a check that took the GIL back, see above). It must go on.
    if (!failure) throw;
  }
  restore_thread(saved);
  return failure;
}

}  // namespace sky_native
