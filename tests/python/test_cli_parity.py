"""sky-native ARGS against SkyPilot's own `sky ARGS`, byte for byte.

Every command runs under `.venv/bin/sky` and under sky-native with the
flag unset (native on) and with SKYPILOT_USE_NATIVE=0, all with the same
environment: VIRTUAL_ENV naming the venv, usage collection off, a private
HOME. stdout, stderr and the exit code must be equal.

The server sequence (status starting the server, check, status, api status,
api stop, api status and api stop with no server) runs once under sky and
once per flag state under sky-native. The three run at the same time, each
in its own fresh HOME with its own private local API server port
(SKYPILOT_API_SERVER_LOCAL_PORT), so each binary starts, uses and stops its
own real server and none of them meets anyone else's; a finalizer stops any
server left behind, under both binaries.

What is normalised, and only there:
- in the server sequence's output, each run's private HOME path becomes
  '<home>' and its private port '<port>';
- `sky api status` prints how long ago each request was created ('54 secs
  ago') and sizes its columns to the widest cell, so in its output relative
  times become '<ago>' and runs of two or more spaces become two;
- `sky check` reports a cloud check that raised with traceback.format_exc(),
  while other check threads of the server flip the process-wide
  sys.tracebacklimit (ux_utils.print_exception_no_traceback): under sky
  itself the same reason comes out as a full traceback on one run and as its
  last line on the next. In check output a traceback is reduced to that last
  line.
Nothing else is: ANSI colour codes, other paths and the rest are compared as
they are.

With SKY_NATIVE_TEST_SERVER=1 (make test-python-server) every sky-native
command goes through a command server started for its environment before
the comparisons, and each must have been served by it ('hit').
"""
import concurrent.futures
import dataclasses
import pathlib
import time

import pytest

import cli_runner
from cli_runner import FLAG_STATES, SKY, SKY_NATIVE

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

# Commands that need no API server.
OFFLINE_COMMANDS = {
    'help': ['--help'],
    'h': ['-h'],
    'version': ['--version'],
    'v': ['-v'],
    'commit': ['-c'],
    'launch-no-such-flag': ['launch', '--no-such-flag'],
    'status-help': ['status', '--help'],
    'launch-help': ['launch', '--help'],
    'api-help': ['api', '--help'],
    'unknown-command': ['no-such-command'],
    # sky's eager options before other words keep their meaning.
    'v-then-command': ['-v', 'status'],
}
EXPECTED_EXIT = {'launch-no-such-flag': 2, 'unknown-command': 2}

# The real server's life, in order: (step name, args, normalise).
SERVER_STEPS = [
    ('status-starts-server', ['status'], None),
    ('check', ['check'], cli_runner.collapse_tracebacks),
    ('status-server-running', ['status'], None),
    ('api-status', ['api', 'status'], cli_runner.normalise_request_table),
    ('api-stop', ['api', 'stop'], None),
    ('api-status-stopped', ['api', 'status'], cli_runner.normalise_request_table),
    ('api-stop-not-running', ['api', 'stop'], None),
]
# Starting the server (and `check`, which asks every cloud) is slow on a
# loaded machine.
SERVER_TIMEOUT = 600
# The request a server starts at boot (sky.server.constants).
ON_BOOT_CHECK = 'skypilot-server-on-boot-check'


def assert_same(expected, actual, normalise=None):
    """Equal exit code, stdout and stderr, after `normalise` and after each
    run's private HOME and port (when it has them) become placeholders."""

    def view(result):
        replacements = []
        if result.home is not None:
            replacements.append((result.home.encode(), b'<home>'))
        if result.port is not None:
            replacements.append((f'127.0.0.1:{result.port}'.encode(), b'127.0.0.1:<port>'))
        streams = []
        for stream in (result.stdout, result.stderr):
            for old, new in replacements:
                stream = stream.replace(old, new)
            streams.append(normalise(stream) if normalise else stream)
        return (result.returncode, *streams)

    assert view(actual) == view(expected), (
        f'sky:\n{expected.describe()}\nsky-native:\n{actual.describe()}')
    if cli_runner.THROUGH_SERVER:
        assert actual.server_trace == 'hit', (actual.server_trace, actual.describe())


@pytest.mark.parametrize('state', FLAG_STATES)
@pytest.mark.parametrize('name', OFFLINE_COMMANDS)
def test_offline_command_parity(offline_results, name, state):
    expected = offline_results[(name, 'sky')]
    assert expected.returncode == EXPECTED_EXIT.get(name, 0), expected.describe()
    assert_same(expected, offline_results[(name, state)])


def test_offline_outputs_are_not_empty(offline_results):
    # Guards the comparison itself: sky really printed something.
    for name in OFFLINE_COMMANDS:
        result = offline_results[(name, 'sky')]
        assert result.stdout or result.stderr, name
    assert b'Usage: sky' in offline_results[('help', 'sky')].stdout


# Command lines SkyPilot's server runs through a shell, and the cloud CLIs
# they start (gcloud is a shell script that starts a Python of its own on
# its own script; aws a Python script), are other programs, not SkyPilot's
# Python processes, which it starts as `sys.executable -m/-c ...`.
_SHELLS = {'/usr/bin/dash', '/usr/bin/bash', '/bin/dash', '/bin/bash'}


def _another_program(exe, command_line):
    if exe in _SHELLS:
        return True
    script = command_line[1] if len(command_line) > 1 else ''
    return (pathlib.Path(exe).name.startswith('python') and not script.startswith('-')
            and pathlib.Path(script).is_file())


def _exe(pid):
    try:
        return str(pathlib.Path(f'/proc/{pid}/exe').resolve())
    except OSError:
        return None


def _server_processes(port):
    """The API server on this port and its descendants (pid, exe, cmdline),
    except what it runs through a shell."""
    info = []
    for server in cli_runner.api_server_pids(port):
        todo = [server]
        while todo:
            member = todo.pop()
            exe, command_line = _exe(member), cli_runner.cmdline(member)
            if exe is None or _another_program(exe, command_line):
                continue  # gone, or another program's command line
            info.append({'pid': member, 'server': member == server, 'exe': exe,
                         'cmdline': command_line})
            todo += cli_runner.children(member)
    return info


def _wait_for_on_boot_check(env):
    """Until the server's own `sky check` at boot is no longer listed: it
    runs for as long as the clouds take to answer, so whether `api status`
    lists it would otherwise depend on the machine's load."""
    deadline = time.time() + SERVER_TIMEOUT
    while time.time() < deadline:
        listed = cli_runner.run([SKY, 'api', 'status'], env, timeout=SERVER_TIMEOUT)
        if ON_BOOT_CHECK.encode() not in listed.stdout:
            return
        time.sleep(1)
    pytest.fail(f'{ON_BOOT_CHECK} still listed after {SERVER_TIMEOUT} s')


def _run_server_sequence(binary, env, port, observe_server):
    results, observed = {'port': port}, {}
    for step, args, _ in SERVER_STEPS:
        if step == 'api-status':
            _wait_for_on_boot_check(env)
        results[step] = dataclasses.replace(
            cli_runner.run([binary, *args], env, timeout=SERVER_TIMEOUT), home=env['HOME'],
            port=port)
        if step == 'status-starts-server' and observe_server:
            observed['processes'] = _server_processes(port)
        if step == 'api-status' and observe_server:
            observed['own-api-status'] = results[step]
            # SkyPilot's own console script talks to the server sky-native
            # started; its answer must be the one sky-native gets.
            observed['sky-api-status'] = dataclasses.replace(
                cli_runner.run([SKY, 'api', 'status'], env, timeout=SERVER_TIMEOUT),
                home=env['HOME'], port=port)
    return results, observed


@pytest.fixture(scope='module')
def background(tmp_path_factory):
    """Starts every command of this file at once, in the background.

    The offline commands (sky and sky-native in both flag states, two at a
    time) share one HOME. The server sequences of sky and of sky-native in
    each flag state run side by side, each with a fresh HOME and port of its
    own. The finalizer waits for all of them, then makes sure no server of
    this test is left, stopping it under both binaries.
    """
    home = str(tmp_path_factory.mktemp('home'))
    envs = {'sky': cli_runner.environment(str(tmp_path_factory.mktemp('sky-home')),
                                          cli_runner.free_port())}
    for state, flag in FLAG_STATES.items():
        envs[state] = cli_runner.environment(str(tmp_path_factory.mktemp(f'{state}-home')),
                                             cli_runner.free_port(), native_flag=flag)
    ports = {name: int(env['SKYPILOT_API_SERVER_LOCAL_PORT']) for name, env in envs.items()}
    assert len(set(ports.values())) == len(ports)
    offline_pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    server_pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(envs))
    try:
        if cli_runner.THROUGH_SERVER:
            native_envs = [env for name, env in envs.items() if name != 'sky'] + [
                cli_runner.environment(home, native_flag=flag) for flag in FLAG_STATES.values()]
            list(server_pool.map(cli_runner.ensure_server, native_envs))
        server = {name: server_pool.submit(_run_server_sequence,
                                           SKY if name == 'sky' else SKY_NATIVE, env,
                                           ports[name], observe_server=name != 'sky')
                  for name, env in envs.items()}
        offline = {}
        for name, args in OFFLINE_COMMANDS.items():
            offline[(name, 'sky')] = offline_pool.submit(cli_runner.run, [SKY, *args],
                                                         cli_runner.environment(home))
            for state, flag in FLAG_STATES.items():
                env = cli_runner.environment(home, native_flag=flag)
                offline[(name, state)] = offline_pool.submit(cli_runner.run,
                                                             [SKY_NATIVE, *args], env)
        yield {'offline': offline, 'server': server}
    finally:
        offline_pool.shutdown(wait=True)
        server_pool.shutdown(wait=True)
        for name, env in envs.items():
            for binary in (SKY_NATIVE, SKY):
                if cli_runner.api_server_pids(ports[name]):
                    cli_runner.run([binary, 'api', 'stop'], env, timeout=SERVER_TIMEOUT)
        deadline = time.time() + 10
        while any(cli_runner.api_server_pids(p) for p in ports.values()) and (
                time.time() < deadline):
            time.sleep(0.5)
        # Only ever this test's own servers: their ports are private to it.
        for port in ports.values():
            cli_runner.kill_trees(cli_runner.api_server_pids(port))
        if cli_runner.THROUGH_SERVER:
            cli_runner.stop_servers(cli_runner.environment(home))


@pytest.fixture(scope='module')
def offline_results(background):
    """Each offline command under sky and sky-native (both flag states)."""
    return {key: job.result() for key, job in background['offline'].items()}


@pytest.fixture(scope='module')
def server_results(background):
    """The server sequence under sky and sky-native in both flag states."""
    runs = {}
    for name, job in background['server'].items():
        runs[name], runs[f'{name}-server'] = job.result()
    return runs


@pytest.mark.parametrize('state', FLAG_STATES)
@pytest.mark.parametrize('step', [step for step, _, _ in SERVER_STEPS])
def test_server_command_parity(server_results, step, state):
    normalise = {name: function for name, _, function in SERVER_STEPS}[step]
    expected = server_results['sky'][step]
    assert expected.returncode == 0, expected.describe()
    assert_same(expected, server_results[state][step], normalise)


def test_server_sequence_really_started_a_server(server_results):
    sky_runs = server_results['sky']
    port = sky_runs['port']
    started = sky_runs['status-starts-server'].stdout + sky_runs['status-starts-server'].stderr
    assert f'127.0.0.1:{port}'.encode() in started
    assert b'SkyPilot API server started' in started
    stopped = sky_runs['api-stop'].stdout + sky_runs['api-stop'].stderr
    assert b'SkyPilot API server stopped.' in stopped
    assert b'RUNNING' in sky_runs['api-status'].stdout


@pytest.mark.parametrize('state', FLAG_STATES)
def test_api_server_runs_under_sky_native(server_results, state):
    """SkyPilot started its server as `sys.executable -m sky.server.server`."""
    processes = server_results[f'{state}-server']['processes']
    servers = [p for p in processes if p['server']]
    assert len(servers) == 1, processes
    server = servers[0]
    port = server_results[state]['port']
    assert server['cmdline'] == [SKY_NATIVE, '-m', 'sky.server.server', '--host=127.0.0.1',
                                 f'--port={port}'], server
    # The server and every worker it started are the sky-native binary, so
    # `sky_native` is a builtin module in each of them.
    real_binary = str(pathlib.Path(SKY_NATIVE).resolve())
    assert {p['exe'] for p in processes} == {real_binary}, processes
    assert any(not p['server'] for p in processes), 'the server started no workers'


@pytest.mark.parametrize('state', FLAG_STATES)
def test_sky_talks_to_the_server_sky_native_started(server_results, state):
    observed = server_results[f'{state}-server']
    assert observed['sky-api-status'].returncode == 0, observed['sky-api-status'].describe()
    assert_same(observed['sky-api-status'], observed['own-api-status'],
                cli_runner.normalise_request_table)
