"""Runs SkyPilot's `sky`, sky-native and the venv's python the same way.

The end-to-end tests run under sky-native, so sys.executable is the
sky-native binary and sys.prefix the venv holding SkyPilot.
"""
import dataclasses
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Dict, Iterable, List, Optional, Sequence

SKY_NATIVE = sys.executable
SKY = str(pathlib.Path(sys.prefix) / 'bin' / 'sky')
VENV_PYTHON = str(pathlib.Path(sys.prefix) / 'bin' / 'python')
SYSTEM_PYTHON = '/usr/bin/python3.11'

# SKY_NATIVE_TEST_SERVER=1: every sky-native command of the parity tests
# goes through a command server (make test-python-server), whose sockets
# live in a directory private to this test run.
THROUGH_SERVER = os.environ.get('SKY_NATIVE_TEST_SERVER') == '1'
_SERVER_DIR = tempfile.mkdtemp(prefix='sky-native-test-run-') if THROUGH_SERVER else None

# The two states of sky-native's flag: unset (native on) and off.
FLAG_STATES = {'native-on': None, 'native-off': '0'}

# Variables that would change what either program does if inherited from
# the shell running the tests.
_DROPPED = ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST', 'SKYPILOT_API_SERVER_ENDPOINT',
            'SKYPILOT_API_SERVER_LOCAL_PORT', 'SKYPILOT_CONFIG', 'SKYPILOT_GLOBAL_CONFIG',
            'SKY_RUNTIME_DIR', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP',
            'PYTHONINSPECT', 'PYTEST_ADDOPTS', 'PYTEST_CURRENT_TEST', 'SKY_NATIVE_SERVER',
            'SKY_NATIVE_SERVER_LOG', 'SKY_NATIVE_TEST_SERVER', 'XDG_RUNTIME_DIR')


@dataclasses.dataclass(frozen=True)
class Result:
    argv: List[str]
    returncode: int
    stdout: bytes
    stderr: bytes
    # The private HOME and API server port of the run, when it had them.
    home: Optional[str] = None
    port: Optional[int] = None
    # What sky-native's client did with the command server (its trace
    # line: 'hit', 'miss: ...'), when the run asked for it.
    server_trace: Optional[str] = None

    def describe(self) -> str:
        return (f'{self.argv} -> {self.returncode}\n--- stdout ---\n'
                f'{self.stdout.decode(errors="replace")}\n--- stderr ---\n'
                f'{self.stderr.decode(errors="replace")}')


def environment(home: Optional[str] = None, port: Optional[int] = None,
                native_flag: Optional[str] = None, **extra: str) -> Dict[str, str]:
    """The environment every program of one comparison gets.

    VIRTUAL_ENV names the venv (sky-native finds SkyPilot through it, as the
    venv's own python does); HOME is the test's own; the local API server
    port is the test's own; usage collection is off for both programs.
    """
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    env['VIRTUAL_ENV'] = sys.prefix
    env['SKYPILOT_DISABLE_USAGE_COLLECTION'] = '1'
    if home is not None:
        env['HOME'] = home
    if port is not None:
        env['SKYPILOT_API_SERVER_LOCAL_PORT'] = str(port)
    if native_flag is not None:
        env['SKYPILOT_USE_NATIVE'] = native_flag
    if THROUGH_SERVER:
        env['SKY_NATIVE_SERVER'] = '1'
        env['XDG_RUNTIME_DIR'] = _SERVER_DIR
        env['SKY_NATIVE_SERVER_IDLE_SECONDS'] = '600'
    env.update(extra)
    return env


def run(argv: Sequence[str], env: Dict[str, str], timeout: float = 300,
        stdin: Optional[bytes] = None, cwd: Optional[str] = None,
        trace_server: Optional[bool] = None) -> Result:
    """Runs argv to completion; a timeout is a test failure, never a hang.
    With trace_server (default: sky-native commands when THROUGH_SERVER),
    the result holds what the client did with the command server."""
    if trace_server is None:
        trace_server = THROUGH_SERVER and argv[0] == SKY_NATIVE
    trace_path = None
    if trace_server:
        handle, trace_path = tempfile.mkstemp(prefix='sky-native-trace-')
        os.close(handle)
        env = {**env, 'SKY_NATIVE_SERVER_LOG': trace_path}
    try:
        completed = subprocess.run(list(argv), input=stdin if stdin is not None else b'',
                                   capture_output=True, env=env, timeout=timeout, cwd=cwd,
                                   check=False)
        trace = None
        if trace_path is not None:
            trace = pathlib.Path(trace_path).read_text().strip()
    finally:
        if trace_path is not None:
            os.unlink(trace_path)
    return Result(list(argv), completed.returncode, completed.stdout, completed.stderr,
                  server_trace=trace)


def server_running(env: Dict[str, str]) -> bool:
    """Whether a command server for this environment answers."""
    status = run([SKY_NATIVE, '--native-server', 'status'], env, timeout=60,
                 trace_server=False)
    return b'(this environment)' in status.stdout


def ensure_server(env: Dict[str, str], timeout: float = 300) -> None:
    """Starts a command server for env (a cold command starts one) and waits
    until it answers."""
    if server_running(env):
        return
    run([SKY_NATIVE, '--version'], {**env, 'SKY_NATIVE_SERVER': '1'}, trace_server=False)
    deadline = time.time() + timeout
    while not server_running(env):
        if time.time() > deadline:
            raise TimeoutError(f'no command server came up for {env.get("HOME")}')
        time.sleep(0.5)


def stop_servers(env: Dict[str, str]) -> None:
    """Stops every command server in env's socket directory."""
    run([SKY_NATIVE, '--native-server', 'stop'], env, timeout=60, trace_server=False)


# SkyPilot's default local API server port. `sky api stop` ends every server
# process on the machine whose command line has its port, in any namespace:
# the servers other test lanes run in namespaces of their own have this one.
_DEFAULT_API_SERVER_PORT = 46580


def free_port() -> int:
    """A free local port for a private API server, never the default one."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        if port != _DEFAULT_API_SERVER_PORT:
            return port


# `sky api status` shows how long ago each request was created, and sizes
# its columns to the widest cell.
_AGO = re.compile(rb'\b(just now|\d+ (?:sec|secs|min|mins|hr|hrs|hour|hours|day|days)'
                  rb' ago)')
_COLUMN_GAP = re.compile(rb' {2,}')


def normalise_request_table(output: bytes) -> bytes:
    """Relative times become <ago>, then runs of 2+ spaces become two."""
    return _COLUMN_GAP.sub(b'  ', _AGO.sub(b'<ago>', output))


_TRACEBACK = re.compile(rb'Traceback \(most recent call last\):\n(?:[ \t][^\n]*\n)*')


def collapse_tracebacks(output: bytes) -> bytes:
    """Each 'Traceback (most recent call last):' and its indented frames go,
    leaving the exception line where the traceback began."""
    return _TRACEBACK.sub(b'', output)


def stat_fields(pid: int) -> List[str]:
    """The fields of /proc/PID/stat after the command name (the state is
    [0], the parent [1]); raises OSError when the process is gone."""
    return pathlib.Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()


def alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie."""
    try:
        state = stat_fields(pid)[0]
    except OSError:
        return False
    return state != 'Z'


def cmdline(pid: int) -> List[str]:
    try:
        raw = pathlib.Path(f'/proc/{pid}/cmdline').read_bytes()
    except OSError:
        return []
    return [part.decode(errors='replace') for part in raw.split(b'\0') if part]


def api_server_pids(port: int) -> List[int]:
    """Processes whose command line is an API server on this port, but not
    their children: under sky-native the server's zygote, forked from it,
    and the zygote's children have its command line too (until SkyPilot's
    setproctitle)."""
    pids = set()
    for entry in pathlib.Path('/proc').iterdir():
        if not entry.name.isdigit():
            continue
        line = ' '.join(cmdline(int(entry.name)))
        if '-m sky.server.server' in line and f'--port={port}' in line:
            pids.add(int(entry.name))
    below = {child for pid in pids for child in descendants(pid)}
    return sorted(pids - below)


def children(pid: int) -> List[int]:
    """Direct children of pid."""
    found = []
    for task in pathlib.Path(f'/proc/{pid}/task').glob('*'):
        try:
            found += [int(p) for p in (task / 'children').read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> List[int]:
    result, todo = [], [pid]
    while todo:
        for child in children(todo.pop()):
            result.append(child)
            todo.append(child)
    return result


def kill_trees(pids: Iterable[int]) -> None:
    """SIGKILLs these processes (which this test started) and their trees."""
    victims = []
    for pid in pids:
        victims += [pid] + descendants(pid)
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    time.sleep(0.2)
