// Python's signal handlers during long core work: the core's InterruptCheck
// as a native call implements it.
#pragma once

#include <Python.h>

#include "cpython_private.h"
#include "exceptions.h"
#include "sky/functions/interrupt_check.h"

namespace sky_native {

/// Made with the GIL held, before the core work that without_gil runs. Its
/// checks take the GIL back and run the pending signal handlers
/// (PyErr_CheckSignals), as Python's loops do between two steps and its I/O
/// calls do on EINTR: a handler that raises ends the core work, which throws
/// PythonErrorSet with that exception set; a handler that returns lets it
/// go on. Only the main thread of the main interpreter runs handlers (a
/// signal's C handler, in whichever thread the kernel picked, only flags
/// it), so on any other thread the checks do nothing, as
/// PyErr_CheckSignals there does, and never take the GIL.
class SignalCheck {
 public:
  SignalCheck() : state_(is_main_thread() ? PyThreadState_Get() : nullptr) {}

  /// Whether this thread runs signal handlers.
  bool active() const { return state_ != nullptr; }

  /// Inside without_gil on an active thread: takes the GIL back, runs
  /// `with_gil()` (false: it set a Python error), then the handlers, and
  /// releases the GIL again. Throws PythonErrorSet when either raised.
  template <typename WithGil>
  void run(WithGil&& with_gil) const {
    PyEval_RestoreThread(state_);
    bool ok = with_gil() && PyErr_CheckSignals() == 0;
    PyEval_SaveThread();
    if (!ok) throw PythonErrorSet();
  }

  /// The check for the core: empty on a thread that runs no handlers.
  sky::core::InterruptCheck core_check() const {
    if (!active()) return {};
    return [check = *this] { check.run([] { return true; }); };
  }

 private:
  PyThreadState* state_;
};

}  // namespace sky_native
