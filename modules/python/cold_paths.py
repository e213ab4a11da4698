"""SkyPilot's error and logging paths that the native bindings reach only
rarely, kept in Python so that their behaviour (message, exception chain,
context manager, logger, warn-once flag) is Python's own rather than
re-enacted in C++. The bindings call these only on those paths; the common
call never imports this module.
"""
import types


def _read_failure_handler(n, file_path, e):
    """The body of read_last_n_lines's `except OSError as e:` in SkyPilot's
    sky.utils.common_utils, verbatim: read_failed runs it with the globals of
    SkyPilot's function, so `ux_utils` and `RuntimeError` are what SkyPilot's
    code finds (a mock included)."""
    with ux_utils.print_exception_no_traceback():  # noqa: F821
        raise RuntimeError(f'Failed to read last {n} lines from {file_path}: {e}') from e


def read_failed(original, n, file_path, e):
    """read_last_n_lines failed with the OSError `e` inside SkyPilot's try:
    raises what SkyPilot's handler raises. The bindings call it while `e` is
    the exception being handled (so it becomes the context as well as the
    cause). `original` is SkyPilot's function, or None without one (then the
    RuntimeError alone). Returns None when a patched context manager
    swallowed the error, as SkyPilot's function then does."""
    if isinstance(original, types.FunctionType):
        handler = types.FunctionType(_read_failure_handler.__code__, original.__globals__)
        return handler(n, file_path, e)
    raise RuntimeError(f'Failed to read last {n} lines from {file_path}: {e}') from e


def warn_low_fd_limit_once(subprocess_utils, fd_limit):
    """get_max_workers_for_file_mounts's warning about a low soft NOFILE
    limit, once per process: the flag lives in SkyPilot's module, so its own
    calls and the native ones share it. False, doing nothing, when the module
    has no flag (the binding then defers to SkyPilot's function)."""
    try:
        shown = subprocess_utils._fd_limit_warning_shown
    except AttributeError:
        return False
    if not shown:
        subprocess_utils.logger.warning(
            f'Open file descriptor limit ({fd_limit}) is low. File sync to '
            'remote clusters may be slow. Consider increasing the limit using '
            '`ulimit -n <number>` or modifying system limits.')
        subprocess_utils._fd_limit_warning_shown = True
    return True


def log_max_workers(logger, max_workers):
    """get_max_workers_for_file_mounts's debug line (called only when the
    logger is enabled for DEBUG)."""
    logger.debug(f'Using {max_workers} workers for file mounts.')
