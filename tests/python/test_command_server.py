"""The command server (SKY_NATIVE_SERVER=1): what it serves equals a cold run;
it is not used when anything import-time state depends on changed; it
refuses other users; commands end with their client; a lost server is
reported; signals reach the command as they reach a cold one; commands run
side by side.

Each test's servers live in a socket directory of its own (XDG_RUNTIME_DIR)
and are stopped at its end. Which way a command went is read from the
client's trace (SKY_NATIVE_SERVER_LOG): 'hit', 'miss: ...', 'cold: ...'.
"""
import concurrent.futures
import os
import pathlib
import pwd
import re
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import hypothesis
import pytest
from hypothesis import strategies as st

import cli_runner
from cli_runner import SKY_NATIVE
from sky_native import _server_protocol as protocol

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

# A command that waits on stdin as long as it is open: a prompt.
PROMPT_COMMAND = ['api', 'login']
PROMPT = b'Enter your SkyPilot API server endpoint: '  # click writes the space last


def _env(tmp_path, **extra):
    run_dir = tmp_path / 'run'
    run_dir.mkdir(mode=0o700, exist_ok=True)
    home = tmp_path / 'home'
    home.mkdir(exist_ok=True)
    env = cli_runner.environment(str(home), SKY_NATIVE_SERVER='1',
                                 XDG_RUNTIME_DIR=str(run_dir),
                                 SKY_NATIVE_SERVER_IDLE_SECONDS='300')
    env.update(extra)
    return env


def _run(args, env, **kwargs):
    return cli_runner.run([SKY_NATIVE, *args], env, trace_server=True, **kwargs)


def _server_pid(env):
    status = cli_runner.run([SKY_NATIVE, '--native-server', 'status'], env,
                            trace_server=False)
    found = re.search(rb'pid (\d+),[^\n]*\(this environment\)', status.stdout)
    assert found, status.describe()
    return int(found.group(1))


def _running(pids):
    """(pid, state, command line) of each of these processes that is alive
    and not stopped."""
    states = [(pid, _state(pid)) for pid in pids]
    return [(pid, state, cli_runner.cmdline(pid)) for pid, state in states
            if state not in ('T', None)]


def _state(pid):
    """The process's state letter (R, S, T, Z, ...), None when it is gone."""
    try:
        return cli_runner.stat_fields(pid)[0]
    except OSError:
        return None



def _wait(predicate, timeout=60):
    deadline = time.time() + timeout
    while not predicate():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """One running server for a plain environment, shared by the tests that
    leave it running."""
    env = _env(tmp_path_factory.mktemp('served'))
    cli_runner.ensure_server(env)
    yield env
    cli_runner.stop_servers(env)


@pytest.fixture
def own_server(tmp_path):
    """A server of the test's own, for the tests that end it."""
    env = _env(tmp_path)
    cli_runner.ensure_server(env)
    yield env
    cli_runner.stop_servers(env)


@pytest.mark.parametrize('args', [['--help'], ['no-such-command'], ['status', '--help'],
                                  ['-v'], ['launch', '--no-such-flag'], ['api', '--help']])
def test_served_command_equals_cold(served, args):
    cold = _run(args, {**served, 'SKY_NATIVE_SERVER': '0'})
    hot = _run(args, served)
    assert hot.server_trace == 'hit', hot.describe()
    assert cold.server_trace == ''
    assert (hot.returncode, hot.stdout, hot.stderr) == (
        cold.returncode, cold.stdout, cold.stderr), hot.describe()


def test_stdin_cwd_and_umask_are_the_clients(served, tmp_path):
    # A prompt answered from stdin, in another directory, with another umask:
    # the command reads the client's stdin (here: the end of it at once).
    for umask in (0o022, 0o077):
        cold = subprocess.run([SKY_NATIVE, *PROMPT_COMMAND], input=b'', capture_output=True,
                              env={**served, 'SKY_NATIVE_SERVER': '0'}, cwd=tmp_path,
                              timeout=120, check=False, preexec_fn=lambda m=umask: os.umask(m))
        hot = subprocess.run([SKY_NATIVE, *PROMPT_COMMAND], input=b'', capture_output=True,
                             env=served, cwd=tmp_path, timeout=120, check=False,
                             preexec_fn=lambda m=umask: os.umask(m))
        assert (hot.returncode, hot.stdout, hot.stderr) == (
            cold.returncode, cold.stdout, cold.stderr)
        assert PROMPT in hot.stdout


def test_off_unless_asked_and_never_in_python_mode(served):
    off = {k: v for k, v in served.items() if k != 'SKY_NATIVE_SERVER'}
    assert _run(['--version'], off).server_trace == ''
    assert _run(['--version'], {**served, 'SKY_NATIVE_SERVER': '0'}).server_trace == ''
    python = _run(['-c', 'import sys; print(sys.argv)'], served)
    assert python.server_trace == '' and python.stdout == b"['-c']\n"
    assert _run(['--native-info'], served).server_trace == ''


@pytest.mark.parametrize('change', [
    {'SKYPILOT_DEBUG': '1'},           # an environment variable SkyPilot reads
    {'SKYPILOT_USE_NATIVE': '0'},      # the flag flipped
    {'SKYPILOT_USE_RUST': 'off'},      # the v1.0 name of the flag
    {'PYTHONHASHSEED': '7'},           # one CPython reads
    {'LC_ALL': 'C'},                   # the locale
])
def test_changed_environment_is_another_server(served, change):
    result = _run(['--version'], {**served, **change})
    assert result.server_trace.startswith('miss: no server'), result.server_trace
    assert result.returncode == 0
    assert _run(['--version'], served).server_trace == 'hit'


def _private_venv(tmp_path):
    """A venv of its own whose site-packages reaches the shared one through
    a .pth file, plus a package of its own whose RECORD can change."""
    venv = tmp_path / 'venv'
    subprocess.run([cli_runner.SYSTEM_PYTHON, '-m', 'venv', '--without-pip', str(venv)],
                   check=True)
    site = venv / 'lib' / 'python3.11' / 'site-packages'
    shared = pathlib.Path(sys.prefix) / 'lib' / 'python3.11' / 'site-packages'
    (site / 'shared.pth').write_text(f'{shared}\n')
    dist_info = site / 'fakepkg-1.0.dist-info'
    dist_info.mkdir()
    (dist_info / 'METADATA').write_text('Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\n')
    (dist_info / 'RECORD').write_text('fakepkg-1.0.dist-info/METADATA,,\n')
    return venv, dist_info / 'RECORD'


def test_package_upgrade_retires_the_server(tmp_path):
    venv, record = _private_venv(tmp_path)
    env = _env(tmp_path, VIRTUAL_ENV=str(venv))
    try:
        cli_runner.ensure_server(env)
        assert _run(['--version'], env).server_trace == 'hit'
        old_pid = _server_pid(env)
        # An upgrade rewrites the package's RECORD.
        record.write_text(record.read_text() + 'fakepkg/__init__.py,,\n')
        result = _run(['--version'], env)
        assert result.server_trace == 'miss: mismatch stale packages', result.server_trace
        assert result.returncode == 0 and b'0.14.1' in result.stdout
        assert _wait(lambda: not cli_runner.alive(old_pid))
        cli_runner.ensure_server(env)  # the fresh one the miss started
        assert _server_pid(env) != old_pid
        assert _run(['--version'], env).server_trace == 'hit'
    finally:
        cli_runner.stop_servers(env)


def test_only_importable_names_on_sys_path_count(tmp_path):
    """A log or a temporary file written into a sys.path directory leaves the
    server as it is; a module an import would find there retires it. The
    binary's own directory is not on sys.path: even a module there changes
    nothing."""
    binary_dir = tmp_path / 'bin'
    binary_dir.mkdir()
    binary = binary_dir / 'sky-native'
    shutil.copy2(SKY_NATIVE, binary)
    modules = tmp_path / 'modules'
    modules.mkdir()
    env = {**_env(tmp_path), 'PYTHONPATH': str(modules)}
    run = lambda: cli_runner.run([str(binary), '--version'], env, trace_server=True)  # noqa: E731
    try:
        run()  # cold: starts the server of this binary
        assert _wait(lambda: b'(this environment)' in cli_runner.run(
            [str(binary), '--native-server', 'status'], env, trace_server=False).stdout)
        assert run().server_trace == 'hit'
        (binary_dir / 'newmodule.py').write_text('')
        for directory in (binary_dir, modules):
            (directory / '.ninja_log').write_text('# ninja log v5\n')
            (directory / 'build.ninja.tmp').write_text('')
            (directory / 'CMakeCache.txt').write_text('')
        assert run().server_trace == 'hit'
        (modules / 'newmodule.py').write_text('')
        result = run()
        assert result.server_trace == 'miss: mismatch stale packages', result.server_trace
    finally:
        cli_runner.run([str(binary), '--native-server', 'stop'], env, trace_server=False)


def test_config_edit_retires_the_server(own_server):
    env = own_server
    old_pid = _server_pid(env)
    config = pathlib.Path(env['HOME']) / '.sky' / 'config.yaml'
    config.parent.mkdir(exist_ok=True)
    config.write_text('allowed_clouds:\n  - aws\n')
    result = _run(['--version'], env)
    assert result.server_trace == 'miss: mismatch stale config', result.server_trace
    assert _wait(lambda: not cli_runner.alive(old_pid))
    cli_runner.ensure_server(env)
    assert _run(['--version'], env).server_trace == 'hit'


def test_project_config_runs_cold(served, tmp_path):
    (tmp_path / '.sky.yaml').write_text('allowed_clouds:\n  - aws\n')
    result = _run(['--version'], served, cwd=str(tmp_path))
    assert result.server_trace == 'miss: mismatch project config', result.server_trace
    assert _run(['--version'], served).server_trace == 'hit'


def _request_status(path):
    """Asks the server at path for its status; b'' when it hangs up."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(30)
        conn.connect(path)
        conn.sendall(struct.pack('<I', 1) + b'S')
        return conn.recv(4096)


def test_another_uid_is_refused(served):
    if os.geteuid() != 0:
        pytest.skip('needs root to act as another user')
    run_dir = pathlib.Path(served['XDG_RUNTIME_DIR']) / 'sky-native'
    sockets = list(run_dir.glob('*.sock'))
    assert sockets
    path = str(sockets[0])
    assert _request_status(path)[4:5] == b'I'  # the owner gets an answer
    # Open the way for another user, as a careless chmod would (the test's
    # temporary directories above it too).
    opened = [p for p in [run_dir, *run_dir.parents] if str(p).startswith('/tmp/')]
    modes = {p: p.stat().st_mode & 0o7777 for p in opened}
    for directory in opened:
        directory.chmod(modes[directory] | 0o755)
    for entry in sockets:
        entry.chmod(0o777)
    try:
        code = ('import socket, struct, sys\n'
                'conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n'
                'conn.settimeout(30)\n'
                f'conn.connect({path!r})\n'
                'try:\n'
                "    conn.sendall(struct.pack('<I', 1) + b'S')\n"
                '    sys.stdout.write(repr(conn.recv(4096)))\n'
                'except (ConnectionResetError, BrokenPipeError):\n'
                "    sys.stdout.write('reset')\n")
        other = subprocess.run([cli_runner.SYSTEM_PYTHON, '-c', code], capture_output=True,
                               user=65534, group=65534, timeout=60, check=False)
    finally:
        for directory, mode in modes.items():
            directory.chmod(mode)
    assert other.returncode == 0, other.stderr
    # Connected, then hung up on without a word (a reset when the request
    # was still unread, a broken pipe when the server hung up before it was
    # sent).
    assert other.stdout in (b"b''", b'reset'), other.stdout
    assert _run(['--version'], served).server_trace == 'hit'


def _start_prompt(env):
    """Starts the prompt command with a stdin that stays open; returns the
    client once the command has printed its prompt."""
    client = subprocess.Popen([SKY_NATIVE, *PROMPT_COMMAND], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    seen = b''
    deadline = time.time() + 120
    while PROMPT not in seen:
        ready, _, _ = select.select([client.stdout], [], [], max(0.0, deadline - time.time()))
        assert ready, f'no prompt: {seen!r}'
        chunk = os.read(client.stdout.fileno(), 4096)
        assert chunk, f'ended before the prompt: {seen!r}'
        seen += chunk
    return client, seen


def _command_pids(server_pid):
    return cli_runner.children(server_pid)


def test_killed_client_ends_the_command(served):
    server_pid = _server_pid(served)
    client, _ = _start_prompt(served)
    commands = _command_pids(server_pid)
    assert len(commands) == 1, commands
    client.kill()
    client.wait(timeout=30)
    assert _wait(lambda: not cli_runner.alive(commands[0]), timeout=30)
    client.stdin.close()
    client.stdout.close()
    client.stderr.close()
    assert cli_runner.alive(server_pid)
    assert _run(['--version'], served).server_trace == 'hit'


def test_killed_server_is_reported(own_server):
    server_pid = _server_pid(own_server)
    client, _ = _start_prompt(own_server)
    commands = _command_pids(server_pid)
    assert len(commands) == 1, commands
    os.kill(server_pid, signal.SIGKILL)
    _, stderr = client.communicate(timeout=60)  # never a hang
    client.stdin.close()
    assert client.returncode == 255
    assert b'sky-native: the command server exited while running this command' in stderr
    assert _wait(lambda: not cli_runner.alive(commands[0]), timeout=30)
    # The next command finds no server: it runs cold and starts one.
    result = _run(['--version'], own_server)
    assert result.server_trace.startswith('miss: no server'), result.server_trace
    assert result.returncode == 0


@pytest.mark.parametrize('signal_number', [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signals_reach_the_command_as_cold(served, signal_number):
    """Ctrl-C (and SIGTERM, SIGHUP) while the command waits: the same output
    and the same end (exit code or death by the signal) as a cold run."""
    outcomes = []
    for env in ({**served, 'SKY_NATIVE_SERVER': '0'}, served):
        client, seen = _start_prompt(env)
        time.sleep(0.5)  # blocked reading stdin by now
        client.send_signal(signal_number)
        # stdin stays open until the end: its EOF would race the signal.
        client.wait(timeout=60)
        outcomes.append((client.returncode, seen + client.stdout.read(), client.stderr.read()))
        for stream in (client.stdin, client.stdout, client.stderr):
            stream.close()
    assert outcomes[1] == outcomes[0]


def _limits_and_nice(pid):
    """The open-files and core-size lines of /proc/PID/limits, and the nice
    value."""
    limits = [line for line in pathlib.Path(f'/proc/{pid}/limits').read_text().splitlines()
              if line.startswith(('Max open files', 'Max core file size'))]
    return limits, int(cli_runner.stat_fields(pid)[16])


def test_resource_limits_and_nice_are_the_clients(served):
    """`ulimit` and `nice` of the client hold for the command as they hold
    for a cold one."""
    def lowered():
        resource.setrlimit(resource.RLIMIT_NOFILE, (300, 400))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        os.nice(3)

    seen = []
    for env in ({**served, 'SKY_NATIVE_SERVER': '0'}, served):
        client = subprocess.Popen([SKY_NATIVE, *PROMPT_COMMAND], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                  preexec_fn=lowered)
        try:
            seen_prompt = b''
            while PROMPT not in seen_prompt:
                ready, _, _ = select.select([client.stdout], [], [], 120)
                assert ready
                seen_prompt += os.read(client.stdout.fileno(), 4096)
            commands = _command_pids(_server_pid(served)) if env is served else [client.pid]
            assert len(commands) == 1, commands
            seen.append(_limits_and_nice(commands[0]))
        finally:
            client.kill()
            client.communicate(timeout=60)
    assert seen[1] == seen[0]
    assert any('300' in line for line in seen[0][0]) and seen[0][1] >= 3
    # The server's own are untouched.
    assert _limits_and_nice(_server_pid(served)) != seen[0]


def test_concurrent_commands(served):
    commands = [['--help'], ['status', '--help'], ['-v'], ['no-such-command'],
                ['launch', '--help'], ['api', '--help']] * 2
    cold = {tuple(args): _run(args, {**served, 'SKY_NATIVE_SERVER': '0'})
            for args in commands[:6]}
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(commands)) as pool:
        results = list(pool.map(lambda args: _run(args, served), commands))
    for args, result in zip(commands, results):
        expected = cold[tuple(args)]
        assert result.server_trace == 'hit', result.describe()
        assert (result.returncode, result.stdout, result.stderr) == (
            expected.returncode, expected.stdout, expected.stderr)


def test_status_and_stop(own_server):
    status = cli_runner.run([SKY_NATIVE, '--native-server', 'status'], own_server)
    assert b'(this environment)' in status.stdout and status.returncode == 0
    server_pid = _server_pid(own_server)
    stop = cli_runner.run([SKY_NATIVE, '--native-server', 'stop'], own_server)
    assert b'stopping' in stop.stdout
    assert _wait(lambda: not cli_runner.alive(server_pid))
    assert not list((pathlib.Path(own_server['XDG_RUNTIME_DIR']) / 'sky-native').glob('*.sock'))
    status = cli_runner.run([SKY_NATIVE, '--native-server', 'status'], own_server)
    assert b'no server for this environment' in status.stdout


# -- on a terminal: what a user at a shell does --

# A job-control shell of one job: the terminal on fd 0 becomes the
# controlling terminal of this session, argv runs as its foreground job
# (a process group of its own, as a shell runs a job), each change of the
# job is a line on the report fd, and a line on the resume fd resumes a
# stopped job in the foreground with killpg, as `fg` does.
_JOB_SHELL = r'''
import fcntl, os, signal, sys, termios
report_fd, resume_fd, argv = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
fcntl.ioctl(0, termios.TIOCSCTTY, 0)
signal.signal(signal.SIGTTOU, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.tcsetpgrp(0, os.getpid())
    # The job's signals as a login shell's job has them, whatever the tests
    # inherited (a CI runner may start them with some ignored or blocked).
    for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGTSTP, signal.SIGTTIN,
                   signal.SIGTTOU):
        signal.signal(number, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.execv(argv[0], argv)
try:
    os.setpgid(pid, pid)
except OSError:
    pass  # the job did it first
report, resume = os.fdopen(report_fd, 'w', buffering=1), os.fdopen(resume_fd)
report.write(f'job {pid}\n')
while True:
    _, status = os.waitpid(pid, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        os.tcsetpgrp(0, os.getpgrp())
        report.write(f'stopped {os.WSTOPSIG(status)}\n')
        resume.readline()
        os.tcsetpgrp(0, pid)
        os.killpg(pid, signal.SIGCONT)
        report.write('continued\n')
    else:
        report.write(f'exit {os.waitstatus_to_exitcode(status)}\n')
        break
'''

# Run by every Python process of the terminal tests (PYTHONPATH): on
# SIGWINCH, the width of the terminal on stderr as the process sees it.
_WINCH_PROBE = '''import os, signal


def _report_width(signal_number, frame):
    del signal_number, frame
    os.write(2, f'<winch {os.get_terminal_size(2).columns}>'.encode())


signal.signal(signal.SIGWINCH, _report_width)
'''


def _set_size(fd, columns, rows=24):
    import fcntl
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, columns, 0, 0))


class _Terminal:
    """sky-native ARGS as the foreground job of a shell on a new pty. The
    transcript is everything the terminal showed (the job's stdout and
    stderr, and the echo of what was typed)."""

    def __init__(self, args, env, columns=80):
        self.master, slave = os.openpty()
        _set_size(slave, columns)
        report_read, report_write = os.pipe()
        resume_read, self.resume = os.pipe()
        self.trace = os.path.join(env['HOME'], f'trace-{time.time_ns()}')
        self.shell = subprocess.Popen(
            [cli_runner.SYSTEM_PYTHON, '-c', _JOB_SHELL, str(report_write), str(resume_read),
             SKY_NATIVE, *args], stdin=slave, stdout=slave, stderr=slave,
            env={**env, 'SKY_NATIVE_SERVER_LOG': self.trace}, start_new_session=True,
            pass_fds=(report_write, resume_read))
        for fd in (slave, report_write, resume_read):
            os.close(fd)
        self.reports = os.fdopen(report_read)
        self.transcript = b''
        self.job = None
        self.job = int(self.report().split()[1])

    def report(self):
        ready, _, _ = select.select([self.reports], [], [], 120)
        if not ready:
            job = [self.job, *cli_runner.descendants(self.job)] if self.job else []
            pytest.fail(f'the job shell said nothing: {self.transcript!r}; '
                        f'its processes still running: {_running(job)}')
        return self.reports.readline().strip()

    def read_until(self, marker, timeout=120):
        deadline = time.time() + timeout
        while marker not in self.transcript:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.time()))
            assert ready, f'{marker!r} never came: {self.transcript!r}'
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: every end of the terminal closed
                chunk = b''
            assert chunk, f'the terminal closed before {marker!r}: {self.transcript!r}'
            self.transcript += chunk

    def type(self, data):
        os.write(self.master, data)

    def resume_job(self):
        os.write(self.resume, b'fg\n')

    def finish(self):
        """Waits for the job's end; (how it ended, transcript, trace)."""
        ending = self.report()
        while not ending.startswith('exit'):
            ending = self.report()
        self.shell.wait(timeout=60)
        while True:
            ready, _, _ = select.select([self.master], [], [], 5)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.transcript += chunk
        os.close(self.master)
        os.close(self.resume)
        self.reports.close()
        trace = pathlib.Path(self.trace)
        text = trace.read_text().strip() if trace.exists() else ''
        trace.unlink(missing_ok=True)
        return ending, self.transcript, text


@pytest.fixture(scope='module')
def terminal_env(tmp_path_factory):
    """A server for an environment whose processes report SIGWINCH, and the
    API server log `sky api logs --server-logs` streams (with `tail -f`)."""
    root = tmp_path_factory.mktemp('terminal')
    probe = root / 'probe'
    probe.mkdir()
    (probe / 'sitecustomize.py').write_text(_WINCH_PROBE)
    env = _env(root, PYTHONPATH=str(probe))
    env.pop('COLUMNS', None)
    env.pop('LINES', None)
    log = _log_of(env)
    log.parent.mkdir(parents=True)
    cli_runner.ensure_server(env)
    yield env, log
    cli_runner.stop_servers(env)


STREAM_COMMAND = ['api', 'logs', '--server-logs']


def _log_of(env):
    """The local API server's log, which STREAM_COMMAND follows."""
    return pathlib.Path(env['HOME']) / '.sky' / 'api_server' / 'server.log'


def _both_ways(env, drive, args=STREAM_COMMAND, columns=80):
    """drive(terminal) run against a cold sky-native and one served by the
    command server, each streaming a log that holds just its first line;
    returns their (ending, transcript) after checking the served one was
    served."""
    outcomes = []
    for mode in ('0', '1'):
        _log_of(env).write_text('first line\n')
        terminal = _Terminal(args, {**env, 'SKY_NATIVE_SERVER': mode}, columns)
        drive(terminal)
        ending, transcript, trace = terminal.finish()
        assert trace == ('hit' if mode == '1' else ''), (trace, transcript)
        outcomes.append((ending, transcript))
    return outcomes


def _stream_a_line(terminal, log, text):
    with log.open('a') as out:
        out.write(text + '\n')
    terminal.read_until(text.encode() + b'\r\n')


def _no_commands_left(env):
    server_pid = _server_pid(env)
    return _wait(lambda: not cli_runner.descendants(server_pid), timeout=30)


def test_terminal_width_is_the_clients(terminal_env):
    env, _ = terminal_env
    helps = {}
    for columns in (60, 100):
        cold, hot = _both_ways(env, lambda t: t.read_until(b'Commands:'), ['--help'], columns)
        assert hot == cold
        assert cold[0] == 'exit 0'
        helps[columns] = cold[1]
    assert helps[60] != helps[100]  # click wraps the help to the terminal


@pytest.mark.parametrize('key, ending', [(b'\x03', None), (b'\x1c', 'exit -3')])
def test_ctrl_c_and_ctrl_backslash_during_streaming(terminal_env, key, ending):
    """Ctrl-C (SIGINT) and Ctrl-\\ (SIGQUIT) typed while a command streams
    (`sky api logs` running `tail -f`): the terminal sends them to the whole
    foreground job, the command and its tail, and the end is a cold run's."""
    env, log = terminal_env

    def drive(terminal):
        terminal.read_until(b'first line\r\n')
        _stream_a_line(terminal, log, f'streamed {key!r}')
        terminal.type(key)

    cold, hot = _both_ways(env, drive)
    assert hot == cold
    if ending is not None:
        assert cold[0] == ending
    assert _no_commands_left(env)  # the tail got the signal too


def test_ctrl_z_then_fg_during_streaming(terminal_env):
    """Ctrl-Z stops the job (the client and, through the server, the command
    and its tail); `fg` resumes them all and the stream goes on."""
    env, log = terminal_env
    running = []  # for each way, the job's processes Ctrl-Z left running

    def drive(terminal):
        terminal.read_until(b'first line\r\n')
        terminal.type(b'\x1a')
        assert terminal.report() == f'stopped {signal.SIGTSTP}'
        server_pid = _server_pid(env)
        job = [terminal.job, *cli_runner.descendants(terminal.job),
               *cli_runner.descendants(server_pid)]
        _wait(lambda: not _running(job))
        running.append(_running(job))
        terminal.resume_job()
        assert terminal.report() == 'continued'
        _stream_a_line(terminal, log, 'after fg')
        terminal.type(b'\x03')

    cold, hot = _both_ways(env, drive)
    assert running == [[], []]
    assert hot == cold


def test_window_resize_reaches_the_command(terminal_env):
    """A resized terminal (SIGWINCH to the foreground job): the command gets
    the signal and sees the new width."""
    env, _ = terminal_env

    def drive(terminal):
        terminal.read_until(b'first line\r\n')
        _set_size(terminal.master, 57)
        terminal.read_until(b'<winch 57>')
        terminal.type(b'\x03')

    cold, hot = _both_ways(env, drive)
    assert hot == cold


# -- trust on a shared host (the runtime directory, the peer, the files) --

@pytest.fixture
def other_user():
    """A local user of the test's own (useradd), removed at the end."""
    if os.geteuid() != 0:
        pytest.skip('needs root to create a user')
    name = f'skyns{os.getpid() % 100000}{time.time_ns() % 1000}'
    subprocess.run(['useradd', '--no-create-home', '--no-log-init', '--shell',
                    '/usr/sbin/nologin', '--user-group', name], check=True, timeout=60)
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(['userdel', name], check=False, timeout=60)


def _socket_dir(env):
    return pathlib.Path(env['XDG_RUNTIME_DIR']) / 'sky-native'


def _key_name(env):
    """The name of env's key (NAME.sock, NAME.lock, NAME.log): a cold run
    starts its server; the server is stopped again."""
    cli_runner.ensure_server(env)
    (socket_path,) = _socket_dir(env).glob('*.sock')
    cli_runner.stop_servers(env)
    assert _wait(lambda: not socket_path.exists())
    return socket_path.name[:-len('.sock')]


def test_runtime_directory_of_another_user_is_not_used(tmp_path, other_user):
    """Root after `su` without `-` keeps the user's XDG_RUNTIME_DIR: that
    user could swap what is in it, so no server is used; the command runs
    cold and the trace says why."""
    env = _env(tmp_path)
    run_dir = pathlib.Path(env['XDG_RUNTIME_DIR'])
    os.chown(run_dir, other_user.pw_uid, other_user.pw_gid)
    result = _run(['--version'], env)
    assert result.returncode == 0 and b'0.14.1' in result.stdout, result.describe()
    assert result.server_trace == (
        f'off: untrusted socket directory: {run_dir}: owned by uid {other_user.pw_uid}, '
        'not by this user or root'), result.server_trace
    assert not (run_dir / 'sky-native').exists()  # nothing made there, nothing started


_FOREIGN_LISTENER = '''
import os, socket, sys
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
os.chdir(os.path.dirname(sys.argv[1]))  # a test directory's path can be too long to bind
listener.bind(os.path.basename(sys.argv[1]))
os.setgid(int(sys.argv[3]))
os.setuid(int(sys.argv[2]))
listener.listen(1)  # SO_PEERCRED names who listened: the other user
print('listening', flush=True)
conn, _ = listener.accept()
conn.settimeout(60)
received = b''
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    received += chunk
print(len(received), flush=True)
'''


def test_a_server_of_another_user_gets_nothing(tmp_path, other_user):
    """Whatever listens on the socket path as another user gets no byte of
    the request (nor the client's stdio): the client checks SO_PEERCRED
    first and runs the command cold."""
    env = _env(tmp_path)
    socket_path = _socket_dir(env) / f'{_key_name(env)}.sock'
    listener = subprocess.Popen(
        [cli_runner.SYSTEM_PYTHON, '-c', _FOREIGN_LISTENER, str(socket_path),
         str(other_user.pw_uid), str(other_user.pw_gid)], stdout=subprocess.PIPE)
    try:
        assert listener.stdout.readline() == b'listening\n'
        result = _run(['--version'], env)
        assert result.returncode == 0 and b'0.14.1' in result.stdout, result.describe()
        assert result.server_trace == (f'miss: foreign server: {socket_path.name} is served by '
                                       f'uid {other_user.pw_uid}'), result.server_trace
        out, _ = listener.communicate(timeout=60)
        assert out == b'0\n'  # connected, then closed without a byte
    finally:
        if listener.poll() is None:
            listener.kill()
            listener.wait()
        listener.stdout.close()
        cli_runner.stop_servers(env)


def test_log_and_lock_links_are_not_followed(tmp_path):
    """Links planted under the log's and the lock's names: the log is made
    afresh beside them (the link's target is neither truncated nor
    written), the lock is not opened through its link (that server does
    not start, and says why)."""
    env = _env(tmp_path)
    name = _key_name(env)
    directory = _socket_dir(env)
    precious = tmp_path / 'precious'
    precious.write_text('keep me\n')
    (directory / f'{name}.log').unlink()
    (directory / f'{name}.log').symlink_to(precious)
    (directory / f'{name}.lock').unlink()
    planted = tmp_path / 'planted-lock'
    (directory / f'{name}.lock').symlink_to(planted)
    try:
        result = _run(['--version'], env)  # cold: starts a server
        assert result.returncode == 0, result.describe()
        log = directory / f'{name}.log'
        assert _wait(lambda: planted.exists() or (
            not log.is_symlink() and b'no lock' in log.read_bytes()), timeout=60)
        assert precious.read_text() == 'keep me\n'
        assert not log.is_symlink() and log.stat().st_mode & 0o777 == 0o600
        assert not planted.exists()
        assert log.read_text().startswith(f'sky-native: no lock for {directory / name}.sock: ')
    finally:
        cli_runner.stop_servers(env)


# -- credentials and loader state --

def _served_command_status(prefix, env):
    """The Groups, Cap*, NoNewPrivs and Seccomp lines of the command that
    `prefix sky-native api login` runs, and how the client went."""
    trace = os.path.join(env['HOME'], f'trace-{time.time_ns()}')
    client = subprocess.Popen([*prefix, SKY_NATIVE, *PROMPT_COMMAND], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              env={**env, 'SKY_NATIVE_SERVER_LOG': trace})
    try:
        seen = b''
        while PROMPT not in seen:
            ready, _, _ = select.select([client.stdout], [], [], 120)
            assert ready, seen
            chunk = os.read(client.stdout.fileno(), 4096)
            assert chunk, seen
            seen += chunk
        if env.get('SKY_NATIVE_SERVER') == '1':
            # A served client writes `hit` when it reads the command's pid,
            # which can come after the command's first output; any other
            # outcome is written before the command starts.
            assert _wait(lambda: os.path.exists(trace) and pathlib.Path(trace).read_text(),
                         timeout=120), 'the client wrote no trace'
        how = pathlib.Path(trace).read_text().strip() if os.path.exists(trace) else ''
        if how == 'hit':
            servers = [p for p in cli_runner.descendants(1) if _is_server_of(p, env)]
            commands = [c for s in servers for c in cli_runner.children(s)]
            assert len(commands) == 1, commands
            pid = commands[0]
        else:
            pid = client.pid
        lines = [line for line in pathlib.Path(f'/proc/{pid}/status').read_text().splitlines()
                 if line.startswith(('Groups:', 'Cap', 'NoNewPrivs:', 'Seccomp'))]
        maps = pathlib.Path(f'/proc/{pid}/maps').read_text()
        return how, lines, maps
    finally:
        client.kill()
        client.communicate(timeout=60)
        pathlib.Path(trace).unlink(missing_ok=True)


def _is_server_of(pid, env):
    line = cli_runner.cmdline(pid)
    return (len(line) == 4 and line[1:3] == ['--native-server', 'serve']
            and line[3].startswith(str(_socket_dir(env))))


def _with_prefix(prefix, env, args):
    return cli_runner.run([*prefix, SKY_NATIVE, *args], env, trace_server=True)


def _stop_servers_but(env, keep_pid):
    for path in _socket_dir(env).glob('*.sock'):
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(30)
            try:
                conn.connect(str(path))
                conn.sendall(struct.pack('<I', 1) + b'S')
                status = conn.recv(4096)
            except OSError:
                continue
        found = re.search(rb'pid (\d+),', status)
        if found and int(found.group(1)) != keep_pid:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(30)
                conn.connect(str(path))
                conn.sendall(struct.pack('<I', 1) + b'Q')
                conn.recv(4096)


def _serves(prefix, env):
    return _with_prefix(prefix, env, ['--version']).server_trace == 'hit'


def _check_served_with_own_credentials(env, prefix, base=()):
    """A client run under `prefix` is not served by the server of a client
    run under `base`; its own server serves it, and the command has the
    client's credentials and loader state, as a cold run has them."""
    _with_prefix(base, env, ['--version'])
    assert _wait(lambda: _serves(base, env), timeout=120)
    first = _with_prefix(prefix, env, ['--version'])
    assert first.server_trace.startswith('miss: no server'), first.server_trace
    assert first.returncode == 0
    assert _wait(lambda: _serves(prefix, env), timeout=120)
    cold = _served_command_status(prefix, {**env, 'SKY_NATIVE_SERVER': '0'})
    hot = _served_command_status(prefix, env)
    assert (cold[0], hot[0]) == ('', 'hit')
    assert hot[1] == cold[1]
    other = _served_command_status(list(base), env)
    assert other[0] == 'hit'
    return cold, hot, other


def test_cleared_groups_pick_the_server(tmp_path):
    """`setpriv --clear-groups` against a server with a supplementary group
    (the server of `setpriv --groups 4242`: root may have none)."""
    if os.geteuid() != 0:
        pytest.skip('setpriv changes groups as root')
    env = _env(tmp_path)
    try:
        _, hot, other = _check_served_with_own_credentials(
            env, ['setpriv', '--clear-groups'], ['setpriv', '--groups', '4242'])
        assert 'Groups:\t ' in hot[1] and 'Groups:\t4242 ' in other[1]
    finally:
        cli_runner.stop_servers(env)


@pytest.mark.parametrize('setpriv', [['--no-new-privs'], ['--bounding-set', '-net_raw']])
def test_credentials_pick_the_server(served, setpriv):
    if os.geteuid() != 0:
        pytest.skip('setpriv changes these as root')
    plain_pid = _server_pid(served)
    try:
        _, hot, other = _check_served_with_own_credentials(served, ['setpriv', *setpriv])
        assert hot[1] != other[1]
    finally:
        _stop_servers_but(served, plain_pid)


def test_another_network_namespace_picks_the_server(served):
    """A client in another network namespace (entered with nsenter, so the
    mount namespace stays) gets a server of its own: a command forked by the
    host's server would reach the host's network instead of the client's."""
    if os.geteuid() != 0:
        pytest.skip('ip netns needs root')
    name = f'sky-native-test-{os.getpid()}'
    subprocess.run(['ip', 'netns', 'add', name], check=True, timeout=60)
    plain_pid = _server_pid(served)
    try:
        _check_served_with_own_credentials(served, ['nsenter', f'--net=/run/netns/{name}'])
    finally:
        _stop_servers_but(served, plain_pid)
        subprocess.run(['ip', 'netns', 'delete', name], check=False, timeout=60)


PRELOAD_SOURCE = '''
int sky_native_test_preloaded(void) { return 1; }
'''


def test_ld_preload_picks_the_server(served, tmp_path):
    """A client run with LD_PRELOAD (torsocks, proxychains and faketime work
    so) gets a command that has the library loaded, cold or served."""
    source = tmp_path / 'preload.c'
    source.write_text(PRELOAD_SOURCE)
    library = tmp_path / 'libskynativepreload.so'
    subprocess.run(['gcc', '-shared', '-fPIC', '-o', str(library), str(source)], check=True,
                   timeout=120)
    plain_pid = _server_pid(served)
    try:
        cold, hot, other = _check_served_with_own_credentials(
            served, ['env', f'LD_PRELOAD={library}'])
    finally:
        _stop_servers_but(served, plain_pid)
    assert str(library) in cold[2] and str(library) in hot[2]
    assert str(library) not in other[2]


# -- bad and slow clients --

def _frame(kind, fields):
    payload = kind + b''.join(struct.pack('<I', len(f)) + f for f in fields)
    return struct.pack('<I', len(payload)) + payload


def _unframe(data):
    kind, fields, at = data[4:5], [], 5
    while at < len(data):
        (size,) = struct.unpack_from('<I', data, at)
        fields.append(data[at + 4:at + 4 + size])
        at += 4 + size
    return kind, fields


@pytest.fixture(scope='module')
def captured(tmp_path_factory):
    """A live server and a request its client really sent: the test listens
    on the socket in the server's place once and records the request.
    Yields (env, socket path, request fields, server pid)."""
    env = _env(tmp_path_factory.mktemp('captured'))
    path = _socket_dir(env) / f'{_key_name(env)}.sock'
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)
    listener.settimeout(120)
    client = subprocess.Popen([SKY_NATIVE, '--version'], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        conn, _ = listener.accept()
        with conn:
            conn.settimeout(60)
            data = b''
            while len(data) < 4 or len(data) < 4 + struct.unpack_from('<I', data)[0]:
                chunk, fds, _, _ = socket.recv_fds(conn, 1 << 20, 8)
                for fd in fds:
                    os.close(fd)
                assert chunk, data
                data += chunk
        client.wait(timeout=120)  # runs cold and starts the real server
    finally:
        listener.close()  # not unlinked: the real server's socket took the name
    kind, fields = _unframe(data)
    first = protocol.FIRST_ARGV_FIELD
    assert kind == b'R' and fields[first:first + 2] == [SKY_NATIVE.encode(), b'--version']
    cli_runner.ensure_server(env)
    yield env, str(path), fields, _server_pid(env)
    cli_runner.stop_servers(env)


def _descriptors(pid):
    return len(os.listdir(f'/proc/{pid}/fd'))


def _client_connections(pid):
    """How many of the process's sockets are not listening: connections to
    clients it still holds."""
    with open('/proc/net/unix', encoding='ascii') as table:
        next(table)
        listening = {f'socket:[{row.split()[6]}]' for row in table
                     if int(row.split()[3], 16) & 0x10000}  # __SO_ACCEPTCON
    held = 0
    for fd in os.listdir(f'/proc/{pid}/fd'):
        try:
            target = os.readlink(f'/proc/{pid}/fd/{fd}')
        except FileNotFoundError:
            continue
        held += target.startswith('socket:') and target not in listening
    return held


def _idle_descriptors(pid):
    """The server's descriptor count once it holds no client's connection
    (it closes one just after its last reply, which a client does not wait
    for): what a test's requests must leave it with."""
    assert _wait(lambda: _client_connections(pid) == 0, timeout=30), _client_connections(pid)
    return _descriptors(pid)


def _request_fds(tmp, count=4):
    """What a client sends with a request: stdin, stdout, stderr, its
    working directory (the first `count` of them, then more of /dev/null)."""
    fds = [os.open(os.devnull, os.O_RDONLY), os.open(os.devnull, os.O_WRONLY),
           os.open(os.devnull, os.O_WRONLY), os.open(tmp, os.O_RDONLY | os.O_DIRECTORY)]
    fds += [os.open(os.devnull, os.O_RDONLY) for _ in range(count - len(fds))]
    for fd in fds[count:]:
        os.close(fd)
    return fds[:count]


def _exchange_with_fds(path, data, tmp, count=4):
    """_exchange with the `count` descriptors of _request_fds, closed after."""
    fds = _request_fds(tmp, count)
    try:
        return _exchange(path, data, fds)
    finally:
        for fd in fds:
            os.close(fd)


def _exchange(path, data, fds=(), wait=60.0):
    """Sends data (fds with its first byte), then reads the replies until the
    server hangs up; the replies' bytes."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(wait)
        conn.connect(path)
        try:
            if fds:
                socket.send_fds(conn, [data[:1]], list(fds))
                conn.sendall(data[1:])
            else:
                conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # hung up on before all was sent
        received = b''
        while True:
            try:
                chunk = conn.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            received += chunk
        return received


def _malformed(fields, index, value):
    changed = list(fields)
    changed[index] = value
    return _frame(b'R', changed)


def test_malformed_requests_are_answered_and_close_their_descriptors(captured, tmp_path):
    """Requests whose fields do not parse are answered 'malformed request'
    (cut-short frames dropped); the server lives on and keeps no descriptor
    of theirs, even after hundreds of them."""
    env, path, fields, server_pid = captured
    baseline = _idle_descriptors(server_pid)
    cases = {
        'argument count': _malformed(fields, protocol.ARGC_FIELD, b'two'),
        'argument count ': _malformed(fields, protocol.ARGC_FIELD, b'9999'),
        'resource limit': _malformed(fields, protocol.LIMITS_FIELD, b'7:x:1'),
        'resource limit ': _malformed(fields, protocol.LIMITS_FIELD, b'7:9:1'),  # soft > hard
        'nice value': _malformed(fields, protocol.NICE_FIELD, b'-'),
        'ignored signal': _malformed(fields, protocol.IGNORED_SIGNALS_FIELD, b'1,x'),
        'blocked signal': _malformed(fields, protocol.BLOCKED_SIGNALS_FIELD, b'65'),
        'working directory': _malformed(fields, protocol.CWD_FIELD,
                                        fields[protocol.CWD_FIELD] + b'\0x'),
        'umask': _malformed(fields, protocol.UMASK_FIELD, b'9'),
        'environment entry': _frame(b'R', fields + [b'NOEQUALS']),
        '5 fields': _frame(b'R', fields[:5]),
    }
    for reason, data in cases.items():
        reply = _exchange_with_fds(path, data, tmp_path)
        kind, reply_fields = _unframe(reply)
        assert kind == b'M', (reason, reply)
        assert reply_fields[0].startswith(b'malformed request: ' + reason.strip().encode()), (
            reason, reply_fields)
        assert cli_runner.alive(server_pid)
    # Frames cut short, bad lengths, no descriptors or too many: dropped.
    whole = _frame(b'R', fields)
    for data, count in [(whole[:len(whole) // 2], 4), (whole[:3], 4), (b'\0\0\0\0R', 4),
                        (b'\xff\xff\xff\xff', 4), (whole, 0), (whole, 7)] * 50:
        _exchange_with_fds(path, data, tmp_path, count)
        assert cli_runner.alive(server_pid)
    assert _wait(lambda: _descriptors(server_pid) == baseline, timeout=30), (
        _descriptors(server_pid), baseline)
    assert _run(['--version'], env).server_trace == 'hit'
    assert _server_pid(env) == server_pid


def test_a_stalled_client_delays_no_other(captured, tmp_path):
    """A client that sends a byte (and its descriptors) and then nothing,
    or trickles a byte at a time: other commands are served meanwhile, and
    it is dropped at the request's deadline with its descriptors closed."""
    env, path, fields, server_pid = captured
    baseline = _idle_descriptors(server_pid)
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    fds = _request_fds(tmp_path)
    try:
        stalled.connect(path)
        data = _frame(b'R', fields)
        socket.send_fds(stalled, [data[:1]], fds)
        result = _run(['--version'], env)
        assert result.server_trace == 'hit', result.server_trace
        # Still waiting for its request: nobody waited for it.
        stalled.setblocking(False)
        with pytest.raises(BlockingIOError):
            stalled.recv(1)
        stalled.setblocking(True)
        stalled.settimeout(2)
        # A byte a second keeps no per-read timeout from firing; the whole
        # request's deadline ends it.
        dropped = False
        for at in range(1, 60):
            try:
                stalled.sendall(data[at:at + 1])
                if stalled.recv(1) == b'':
                    dropped = True
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                dropped = True
                break
        assert dropped
    finally:
        stalled.close()
        for fd in fds:
            os.close(fd)
    assert _wait(lambda: _descriptors(server_pid) == baseline, timeout=30), (
        _descriptors(server_pid), baseline)
    assert _server_pid(env) == server_pid


# Field values that parsers trip on.
_ODD_VALUES = [b'', b'0', b'-1', b'+1', b'1e3', b' 1', b'\xff', b'\0', b'18446744073709551616',
               b'99999999999999999999', b'0:0:0', b'7:1', b'7:2:1', b'16:1:1', b'::', b'/\0',
               b'777', b'1000', b'8', b'=', b'A=\0', b'/nonexistent', b'-21', b'20']


@st.composite
def _requests(draw, fields):
    """A frame from a real request with some fields replaced, removed or
    added, cut short or not; and how many descriptors go with it."""
    changed = list(fields)
    for _ in range(draw(st.integers(0, 3))):
        index = draw(st.integers(0, len(changed)))
        value = draw(st.one_of(st.sampled_from(_ODD_VALUES), st.binary(max_size=24)))
        action = draw(st.sampled_from(['replace', 'insert', 'delete']))
        if action == 'replace' and index < len(changed):
            changed[index] = value
        elif action == 'insert':
            changed.insert(index, value)
        elif changed and index < len(changed):
            del changed[index]
    kind = draw(st.sampled_from([b'R', b'R', b'R', b'S', b'Z', b'']))
    data = _frame(kind, changed)
    if draw(st.booleans()):
        data = data[:draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 9)) == 0:
        data = draw(st.binary(max_size=64))
    return data, draw(st.sampled_from([4, 4, 4, 0, 1, 3, 5, 8]))


def test_fuzzed_requests_never_end_or_leak_the_server(captured, tmp_path_factory):
    """Hypothesis against the live server: requests derived from a real one
    (fields replaced, removed, added, frames cut short, random bytes, any
    number of descriptors). Each is answered or dropped; the server lives
    on and keeps none of their descriptors."""
    env, path, fields, server_pid = captured
    directory = tmp_path_factory.mktemp('fuzz-cwd')
    baseline = _idle_descriptors(server_pid)

    @hypothesis.settings(max_examples=int(os.environ.get('SKY_NATIVE_FUZZ_EXAMPLES', '150')),
                         deadline=None, derandomize=True, database=None,
                         suppress_health_check=list(hypothesis.HealthCheck))
    @hypothesis.given(_requests(fields))
    def check(request):
        data, count = request
        _exchange_with_fds(path, data, directory, count)
        assert cli_runner.alive(server_pid)

    check()
    assert _wait(lambda: _descriptors(server_pid) == baseline, timeout=60), (
        _descriptors(server_pid), baseline)
    assert _server_pid(env) == server_pid
    assert _run(['--version'], env).server_trace == 'hit'
