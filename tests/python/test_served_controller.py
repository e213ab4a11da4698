"""SkyPilot's managed-job controller (`sys.executable -u -msky.jobs.controller
UUID`, started by the API server through SkyPilot's own
sky.jobs.scheduler.start_controller) runs in a fork of a preloaded command
server: what it prints, how it ends and the signal state it runs with equal
a cold controller's; SkyPilot's ways of ending it (SIGTERM, and `sky api
stop`'s SIGKILL of the pid it recorded) end it. The first of a key waits
for the server it starts (SkyPilot starts a pool of them at once); it runs
cold when turned off, when no server comes up, and when its working
directory would shadow what the server imported; another environment is
another server.

Each test's servers live in a socket directory of its own (XDG_RUNTIME_DIR)
and are stopped at its end; which way a controller went is read from the
client's trace (SKY_NATIVE_SERVER_LOG).
"""
import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

import cli_runner
from cli_runner import SKY_NATIVE

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

CONTROLLER = ['-u', '-msky.jobs.controller']  # SkyPilot's shape (sky/jobs/scheduler.py)
_STATUS_SIGNALS = ('SigBlk', 'SigIgn', 'SigCgt')


@pytest.fixture
def env(tmp_path):
    run_dir = tmp_path / 'run'
    run_dir.mkdir(mode=0o700)
    home = tmp_path / 'home'
    home.mkdir()
    env = cli_runner.environment(str(home), XDG_RUNTIME_DIR=str(run_dir),
                                 SKY_NATIVE_SERVER_IDLE_SECONDS='300',
                                 IS_SKYPILOT_JOB_CONTROLLER='true')
    for name in ('SKY_NATIVE_SERVER', 'SKY_NATIVE_ZYGOTE'):
        env.pop(name, None)
    yield env
    _kill_recorded_controllers(home)
    cli_runner.stop_servers(env)


def _kill_recorded_controllers(home):
    """Every controller SkyPilot recorded under `home` (`pid,started_at`
    lines), killed as `sky api stop` kills them: a served one's server then
    kills the controller it runs."""
    records = home / '.sky' / 'job_controller_pid'
    if not records.exists():
        return
    for line in records.read_text().split():
        pid = int(line.split(',')[0])
        if cli_runner.alive(pid) and cli_runner.cmdline(pid)[1:2] == ['-u']:
            os.kill(pid, signal.SIGKILL)


def _controller(args, env, **kwargs):
    return cli_runner.run([SKY_NATIVE, *CONTROLLER, *args], env, trace_server=True, **kwargs)


def _first_served(args, env):
    """The first controller of a key: it finds no server, starts one and
    waits for it (a controller lives long; cold, it would keep its own
    import)."""
    result = _controller(args, env)
    assert result.server_trace == 'miss: no server (No such file or directory)\nhit', (
        result.server_trace)
    return result


def test_served_controller_equals_cold(env):
    """No UUID: the controller's own IndexError, through runpy's frames."""
    cold = _controller([], {**env, 'SKY_NATIVE_ZYGOTE': '0'})
    assert cold.server_trace == ''
    assert b'<frozen runpy>' in cold.stderr and b'IndexError' in cold.stderr
    hot = _first_served([], env)
    assert (hot.returncode, hot.stdout, hot.stderr) == (cold.returncode, cold.stdout,
                                                        cold.stderr)


def test_another_environment_is_another_server(env):
    _first_served([], env)
    _first_served([], {**env, 'SOME_VARIABLE_OF_THE_SHELL': '1'})
    assert _controller([], env).server_trace == 'hit'


def test_working_directory_that_shadows_runs_cold(env, tmp_path):
    """-m puts the working directory first on sys.path (unless
    PYTHONSAFEPATH): a `sky` package there is what a cold run imports."""
    _first_served([], env)
    shadowing = tmp_path / 'project'
    (shadowing / 'sky').mkdir(parents=True)
    (shadowing / 'sky' / '__init__.py').write_text('')
    served = _controller([], env, cwd=str(shadowing))
    cold = _controller([], {**env, 'SKY_NATIVE_ZYGOTE': '0'}, cwd=str(shadowing))
    assert served.server_trace == 'miss: mismatch working directory shadows a module'
    assert (served.returncode, served.stderr) == (cold.returncode, cold.stderr)
    assert b"No module named 'sky.jobs'" in cold.stderr
    # PYTHONSAFEPATH: -m leaves the working directory off sys.path.
    safe = {**env, 'PYTHONSAFEPATH': '1'}
    _first_served([], safe)
    served = _controller([], safe, cwd=str(shadowing))
    cold = _controller([], {**safe, 'SKY_NATIVE_ZYGOTE': '0'}, cwd=str(shadowing))
    assert served.server_trace == 'hit'
    assert (served.returncode, served.stderr) == (cold.returncode, cold.stderr)
    assert b'IndexError' in cold.stderr


def test_a_server_that_cannot_start_leaves_it_cold(env, tmp_path):
    """A `sky` on PYTHONPATH that exits on import: the server started for
    the key dies in its import (its lock goes with it), and the controller,
    which waited for it, runs cold as it would have."""
    broken = tmp_path / 'broken'
    (broken / 'sky').mkdir(parents=True)
    (broken / 'sky' / '__init__.py').write_text('raise SystemExit(3)\n')
    env = {**env, 'PYTHONPATH': str(broken)}
    result = _controller([], env)
    cold = _controller([], {**env, 'SKY_NATIVE_ZYGOTE': '0'})
    assert result.server_trace.endswith('cold: no server came up'), result.server_trace
    assert (result.returncode, result.stdout, result.stderr) == (3, cold.stdout, cold.stderr)
    assert cold.returncode == 3


# -- running controllers, started as SkyPilot starts them --

_START = """
import sys
from sky.jobs import scheduler
for _ in range(int(sys.argv[1])):
    scheduler.start_controller()
print(' '.join(str(record.pid) for record in scheduler.get_controller_process_records()))
"""


def _start_controllers(env, count=1, mask=()):
    """SkyPilot's start_controller(), `count` times in a row as its
    maybe_start_controllers() does, in a process of sky-native (its
    sys.executable) with `mask` blocked: {recorded pid: the pid the
    controller runs as}, once each has started its monitor loop."""
    def block():
        signal.pthread_sigmask(signal.SIG_BLOCK, mask)

    started = subprocess.run([SKY_NATIVE, '-c', _START, str(count)], env=env,
                             capture_output=True, timeout=300, check=False, preexec_fn=block)
    assert started.returncode == 0, started.stderr.decode()
    recorded = [int(pid) for pid in started.stdout.splitlines()[-1].split()][-count:]
    logs = pathlib.Path(env['HOME'], 'sky_logs', 'jobs_controller')
    running = {}
    deadline = time.time() + 300
    while len(running) < count:
        for pid in recorded:
            uuid = cli_runner.cmdline(pid)[-1]
            log = logs / f'controller_{uuid}.log'
            found = log.exists() and re.search(r'Starting monitor loop for pid (\d+)',
                                               log.read_text())
            if found:
                running[pid] = int(found.group(1))
        assert time.time() < deadline, f'controllers not started: {recorded} {running}'
        time.sleep(0.2)
    return running


def _signal_state(pid):
    lines = pathlib.Path(f'/proc/{pid}/status').read_text().splitlines()
    return {line.split(':')[0]: line.split()[1] for line in lines
            if line.startswith(_STATUS_SIGNALS)}


def _wait_gone(pids, timeout=60):
    deadline = time.time() + timeout
    while any(cli_runner.alive(pid) for pid in pids):
        assert time.time() < deadline, [pid for pid in pids if cli_runner.alive(pid)]
        time.sleep(0.1)


def test_a_pool_started_at_once_is_served_by_one_server(env):
    """SkyPilot starts its pool of controllers in a row, before any server
    exists: each waits for the one server the first started, and runs as
    its fork."""
    running = _start_controllers(env, count=3)
    servers = {int(cli_runner.stat_fields(pid)[1]) for pid in running.values()}
    assert len(servers) == 1, running
    assert cli_runner.cmdline(servers.pop())[1:3] == ['--native-server', 'serve']
    assert all(recorded != pid for recorded, pid in running.items())
    for recorded in running:
        os.kill(recorded, signal.SIGTERM)
    _wait_gone([*running, *running.values()])


def test_controller_has_a_cold_ones_signal_state(env):
    """SkyPilot's shell (`nohup bash -c ... &`) leaves SIGHUP, SIGINT and
    SIGQUIT ignored, and the blocked mask is the caller's: both as in a cold
    controller."""
    mask = {signal.SIGUSR2}
    [(cold, cold_pid)] = _start_controllers({**env, 'SKY_NATIVE_ZYGOTE': '0'}, mask=mask).items()
    [(recorded, pid)] = _start_controllers(env, mask=mask).items()
    assert cold == cold_pid and recorded != pid
    assert _signal_state(pid) == _signal_state(cold_pid)
    assert int(_signal_state(pid)['SigBlk'], 16) == 1 << (signal.SIGUSR2 - 1)
    for one in (cold, recorded):
        os.kill(one, signal.SIGTERM)
    _wait_gone([cold, recorded, pid])


def test_sigterm_ends_it(env):
    """SkyPilot's kill_local_job_controllers: SIGTERM to the recorded pid."""
    [(recorded, pid)] = _start_controllers(env).items()
    os.kill(recorded, signal.SIGTERM)
    _wait_gone([recorded, pid])


def test_sky_api_stop_ends_it(env):
    """`sky api stop` kills the recorded pid's tree with SIGKILL
    (kill_children_processes): the served controller ends too."""
    [(recorded, pid)] = _start_controllers(env).items()
    script = ('from sky.utils import subprocess_utils\n'
              f'subprocess_utils.kill_children_processes(parent_pids=[{recorded}], force=True)\n')
    stopped = subprocess.run([SKY_NATIVE, '-c', script], env=env, capture_output=True,
                             timeout=120, check=False)
    assert stopped.returncode == 0, stopped.stderr.decode()
    _wait_gone([recorded, pid])


def test_descendants_are_the_whole_tree():
    """What the server kills with a served module whose client was killed:
    every process below it, in its session or not."""
    from sky_native import _served_module
    tree = subprocess.Popen(['sh', '-c', 'sleep 600 & setsid sleep 600 & sh -c "sleep 600" & wait'])
    try:
        deadline = time.time() + 30
        while len(_served_module.descendants(tree.pid)) < 4:  # 3 below sh, 1 below the last
            assert time.time() < deadline, _served_module.descendants(tree.pid)
            time.sleep(0.05)
        below = _served_module.descendants(tree.pid)
        assert all(cli_runner.cmdline(pid)[:1] in (['sleep'], ['sh'], ['setsid']) for pid in below)
        assert tree.pid not in below
    finally:
        for pid in [*_served_module.descendants(tree.pid), tree.pid]:
            os.kill(pid, signal.SIGKILL)
        tree.wait()
