"""sky-native ARGS against SkyPilot's own `sky ARGS`, byte for byte.

Every command runs under `.venv/bin/sky` and under sky-native with the
flag unset (native on) and with SKYPILOT_USE_NATIVE=0, all with the same
environment: the same private HOME, VIRTUAL_ENV naming the venv, usage
collection off, and (for the commands that need the API server) the same
private local API server port (SKYPILOT_API_SERVER_LOCAL_PORT), so the real
servers started here never meet anyone else's. stdout, stderr and the exit
code must be equal.

What is normalised, and only there: `sky api status` prints how long ago
each request was created ('54 secs ago') and sizes its columns to the widest
cell, so in its output relative times become '<ago>' and runs of two or more
spaces become two. Nothing else is: ANSI colour codes, the server URL with
its port, paths and the rest are compared as they are.

The server sequence (status starting the server, check, status, api status,
api stop, api status and api stop with no server) runs once under sky and
once per flag state under sky-native, each starting and stopping its own real
server; a finalizer stops any server left behind under both binaries.
"""
import concurrent.futures
import pathlib
import time

import pytest

import cli_runner
from cli_runner import FLAG_STATES, SKY, SKY_NATIVE

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
    ('status-starts-server', ['status'], False),
    ('check', ['check'], False),
    ('status-server-running', ['status'], False),
    ('api-status', ['api', 'status'], True),
    ('api-stop', ['api', 'stop'], False),
    ('api-status-stopped', ['api', 'status'], True),
    ('api-stop-not-running', ['api', 'stop'], False),
]
# Starting the server (and `check`, which asks every cloud) is slow on a
# loaded machine.
SERVER_TIMEOUT = 600


@pytest.fixture(scope='module')
def offline_results(tmp_path_factory):
    """Each offline command under sky and sky-native (both flag states)."""
    home = str(tmp_path_factory.mktemp('home'))
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for name, args in OFFLINE_COMMANDS.items():
            jobs[(name, 'sky')] = pool.submit(cli_runner.run, [SKY, *args],
                                              cli_runner.environment(home))
            for state, flag in FLAG_STATES.items():
                env = cli_runner.environment(home, native_flag=flag)
                jobs[(name, state)] = pool.submit(cli_runner.run, [SKY_NATIVE, *args], env)
        return {key: job.result() for key, job in jobs.items()}


def assert_same(expected, actual, normalise=False):
    def view(result):
        out, err = result.stdout, result.stderr
        if normalise:
            out = cli_runner.normalise_request_table(out)
            err = cli_runner.normalise_request_table(err)
        return result.returncode, out, err

    assert view(actual) == view(expected), (
        f'sky:\n{expected.describe()}\nsky-native:\n{actual.describe()}')


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


def _server_processes(port):
    """The API server on this port and its descendants: pid, exe, cmdline."""
    info = []
    for pid in cli_runner.api_server_pids(port):
        for member in [pid] + cli_runner.descendants(pid):
            try:
                exe = str(pathlib.Path(f'/proc/{member}/exe').resolve())
            except OSError:
                continue
            info.append({'pid': member, 'server': member == pid, 'exe': exe,
                         'cmdline': cli_runner.cmdline(member)})
    return info


def _run_server_sequence(binary, env, port, observe_server):
    results, observed = {}, {}
    for step, args, _ in SERVER_STEPS:
        results[step] = cli_runner.run([binary, *args], env, timeout=SERVER_TIMEOUT)
        if step == 'status-starts-server' and observe_server:
            observed['processes'] = _server_processes(port)
            # SkyPilot's own console script talks to the server sky-native
            # started; its answer must be the one sky-native gets.
            observed['sky-api-status'] = cli_runner.run([SKY, 'api', 'status'], env,
                                                        timeout=SERVER_TIMEOUT)
        if step == 'api-status' and observe_server:
            observed['own-api-status'] = results[step]
    return results, observed


@pytest.fixture(scope='module')
def server_results(tmp_path_factory):
    """The server sequence under sky, then sky-native in both flag states."""
    home = str(tmp_path_factory.mktemp('server-home'))
    port = cli_runner.free_port()
    runs = {'port': port}
    try:
        runs['sky'], _ = _run_server_sequence(SKY, cli_runner.environment(home, port),
                                              port, observe_server=False)
        for state, flag in FLAG_STATES.items():
            env = cli_runner.environment(home, port, native_flag=flag)
            runs[state], runs[f'{state}-server'] = _run_server_sequence(
                SKY_NATIVE, env, port, observe_server=True)
        yield runs
    finally:
        env = cli_runner.environment(home, port)
        for binary in (SKY_NATIVE, SKY):
            if cli_runner.api_server_pids(port):
                cli_runner.run([binary, 'api', 'stop'], env, timeout=SERVER_TIMEOUT)
        deadline = time.time() + 10
        while cli_runner.api_server_pids(port) and time.time() < deadline:
            time.sleep(0.5)
        # Only ever this test's own server: its port is unique to it.
        cli_runner.kill_trees(cli_runner.api_server_pids(port))


@pytest.mark.parametrize('state', FLAG_STATES)
@pytest.mark.parametrize('step,normalise',
                         [(step, normalise) for step, _, normalise in SERVER_STEPS])
def test_server_command_parity(server_results, step, normalise, state):
    expected = server_results['sky'][step]
    assert expected.returncode == 0, expected.describe()
    assert_same(expected, server_results[state][step], normalise)


def test_server_sequence_really_started_a_server(server_results):
    sky_runs = server_results['sky']
    port = server_results['port']
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
    port = server_results['port']
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
    assert_same(observed['sky-api-status'], observed['own-api-status'], normalise=True)
