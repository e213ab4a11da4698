"""A child forked from a preloaded process (the command server's command,
the zygote's spawn child) that ends as a cold process would: the parent
checks it may fork, the child runs its program and then finalises as
Py_FinalizeEx does up to what a user can see, before os._exit."""
import os
import signal
import sys
import threading
import types

from sky_native import _cpython_private


def is_single_threaded():
    """Whether this process may fork safely (no other thread holds a lock
    the child would inherit taken)."""
    return threading.active_count() == 1 and len(os.listdir('/proc/self/task')) == 1


def exit_code_of_system_exit(exc):
    """What CPython's handle_system_exit makes of an unhandled SystemExit."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF  # as exit() passes it on
    try:
        sys.stderr.write(str(code) + '\n')
    except Exception:
        pass
    return 1


def _unraisable(obj):
    sys.unraisablehook(types.SimpleNamespace(exc_type=type(sys.exception()),
                                             exc_value=sys.exception(),
                                             exc_traceback=sys.exception().__traceback__,
                                             err_msg=None, object=obj))


def _disable_signal_handling():
    """What Py_FinalizeEx's _PySignal_Fini does right after flushing the
    standard streams: each signal with a Python handler (SIGINT's
    default_int_handler included) goes back to SIG_DFL, so a Ctrl-C that
    arrives while the process ends kills it by SIGINT as it kills a cold
    one, instead of being caught by a handler that never runs."""
    for number in signal.valid_signals():
        try:
            handler = signal.getsignal(number)
        except (OSError, ValueError):
            continue
        if callable(handler):
            signal.signal(number, signal.SIG_DFL)


def run_like_cold(main, *args):
    """Runs the program, `main(*args)` (exec of a program's code in
    __main__'s namespace, or runpy's -m), as Py_RunMain would and finalises
    (see finalize): __main__ left with its dunder names only, as a fresh
    interpreter has it; unhandled exceptions printed by sys.excepthook with
    the same traceback (this frame left out), SystemExit codes, an unhandled
    KeyboardInterrupt ending by SIGINT. It skips the collection of every
    object: in a fork that would copy the whole preloaded heap (about a
    second) for nothing a command prints. Returns the exit code."""
    code = 0
    interrupted = False
    main_globals = sys.modules['__main__'].__dict__
    for name in [n for n in main_globals if not n.startswith('__')]:
        del main_globals[name]
    try:
        main(*args)
    except SystemExit as exc:
        code = exit_code_of_system_exit(exc)
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        exc = exc.with_traceback(exc.__traceback__.tb_next)
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
        sys.excepthook(type(exc), exc, exc.__traceback__)
        code = 1
    return finalize(code, interrupted)


def finalize(code, interrupted):
    """What Py_FinalizeEx does that a user can see, for a forked child about
    to os._exit: non-daemon threads joined, atexit callbacks, the standard
    streams flushed (a failure there makes the code 120), signal handling
    off; an unhandled KeyboardInterrupt (`interrupted`) ends by SIGINT.
    Returns the exit code."""
    try:
        _cpython_private.join_threads()
    except BaseException:
        pass
    _cpython_private.run_atexit_callbacks()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except Exception:
            _unraisable(stream)
            code = 120
    _disable_signal_handling()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code
