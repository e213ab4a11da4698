"""Python versions of sky-native's own two functions (is_process_alive,
estimate_fd_for_directory),
used by sky.utils.rust_fallback when the native backend is turned off."""
import operator
import os

_PID_MAX = 2**31 - 1  # the largest pid_t on Linux and macOS


def is_process_alive(pid: int) -> bool:
    pid = operator.index(pid)
    if pid <= 0 or pid > _PID_MAX:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            stat = f.read()
    except OSError:
        return True
    close = stat.rfind(b')')
    fields = stat[close + 1:].split() if close >= 0 else []
    return not (fields and fields[0] == b'Z')


def estimate_fd_for_directory(path: str) -> int:
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(
            f'path must be str or os.PathLike returning str, not '
            f'{type(path).__name__}')
    try:
        return len(os.listdir(path)) * 5
    except OSError:
        return 0
