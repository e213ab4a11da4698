"""Every private CPython name sky-native's Python side uses, in one place:
what may break on another Python version (the C++ side's are in
modules/src/). Each is what CPython itself does at that point, with no
public equivalent; sky-native embeds CPython 3.11.

One more is not a name looked up here: zygote.py's Popen subclass
overrides multiprocessing.popen_spawn_posix.Popen._launch (the step that
starts a spawn child) and calls it for the children it does not fork.
"""
import atexit
import threading


def join_threads():
    """threading._shutdown: what Py_FinalizeEx calls first, joining every
    non-daemon thread (and running threading's own exit hooks)."""
    threading._shutdown()


def run_atexit_callbacks():
    """atexit._run_exitfuncs: the atexit callbacks, as Py_FinalizeEx runs
    them (each error printed, not raised)."""
    atexit._run_exitfuncs()


def interpreter_flags():
    """multiprocessing.util._args_from_interpreter_flags: the command-line
    flags a spawn child gets (-X options, -W, -O, ...)."""
    from multiprocessing import util
    return util._args_from_interpreter_flags()


def process_name(process_obj):
    """BaseProcess._name, which spawn's preparation data carries (what
    popen_spawn_posix.Popen._launch passes)."""
    return process_obj._name


def set_spawn_popen(context_module, popen):
    """multiprocessing.context.SpawnProcess._Popen: how a `spawn` Process
    makes its Popen (a static method)."""
    context_module.SpawnProcess._Popen = staticmethod(popen)


def set_resource_tracker_fd(fd):
    """resource_tracker._resource_tracker._fd: the tracker's pipe a spawn
    child inherits (spawn's prepare() sets it from the parent's data)."""
    from multiprocessing import resource_tracker
    resource_tracker._resource_tracker._fd = fd


def spawn_child_main(pipe, parent_sentinel):
    """multiprocessing.spawn._main: a spawn child's program after its
    command line (reads the preparation data and the process object from
    `pipe`, runs it); returns the exit code."""
    from multiprocessing import spawn
    return spawn._main(pipe, parent_sentinel)
