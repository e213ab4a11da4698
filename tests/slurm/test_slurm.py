"""End-to-end on the local Slurm cluster (`make test-slurm`, which brings it
up with tests/slurm/cluster.sh and takes it down): real tasks launched by
SkyPilot's own `sky` and by sky-native, in client sessions of their own
(tests/slurm/client.sh), and their outputs compared.

Run under sky-native: sys.executable is the launcher, sys.prefix the venv.
"""
import os
import pathlib
import re
import subprocess
import sys
import textwrap

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / 'python'))
import cli_runner  # noqa: E402

SKY_NATIVE = sys.executable
SKY = str(pathlib.Path(sys.prefix) / 'bin' / 'sky')
CLIENT = str(HERE / 'client.sh')
MANY_FILES = 300


def client(home: pathlib.Path, *argv: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    env = dict(os.environ, VIRTUAL_ENV=sys.prefix,
               PATH=f'{pathlib.Path(sys.prefix) / "bin"}:{os.environ["PATH"]}')
    return subprocess.run([CLIENT, str(home), *argv], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def write_task(directory: pathlib.Path) -> pathlib.Path:
    """A task with a workdir and a file mount of MANY_FILES files."""
    (directory / 'workdir').mkdir(parents=True)
    (directory / 'workdir' / 'message.txt').write_text('from the workdir\n')
    many = directory / 'many'
    many.mkdir()
    for number in range(MANY_FILES):
        (many / f'file-{number:03d}.txt').write_text(f'file {number}\n' * (number % 7 + 1))
    task = directory / 'task.yaml'
    task.write_text(textwrap.dedent('''\
        name: e2e
        workdir: ./workdir
        file_mounts:
          ~/many: ./many
        run: |
          cat message.txt
          echo "mounted: $(ls ~/many | wc -l) files, $(cat ~/many/* | wc -l) lines"
          echo "last line"
        '''))
    return task


def session(cli: str, tmp_path: pathlib.Path, name: str, *extra: str) -> dict:
    """Runs session.py for one CLI; returns {step: (rc, stdout, stderr)}."""
    task = write_task(tmp_path / name / 'task')
    out = tmp_path / name / 'out'
    done = client(tmp_path / name / 'home', SKY_NATIVE, str(HERE / 'session.py'), cli, str(out),
                  'e2e', str(task), *extra)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {}
    for rc_file in sorted(out.glob('*.rc')):
        step = rc_file.stem.split('-', 1)[1]
        steps[step] = (int(rc_file.read_text()), rc_file.with_suffix('.out').read_text(),
                       rc_file.with_suffix('.err').read_text())
    return steps


_NORMALISE = [
    (re.compile(r'\x1b\[[0-9;]*[A-Za-z]'), ''),
    (re.compile(r'sky-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-\d+'), '<request>'),
    (re.compile(r'\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b'), '<request>'),
    (re.compile(r'\b(?:\d{4}-)?\d\d-\d\d[ T]\d\d:\d\d:\d\d(?:[.,]\d+)?'), '<time>'),
    (re.compile(r'\b(pid|PID)=\d+'), r'\1=<pid>'),
    (re.compile(r'\be2e-[0-9a-f]{8}\b'), 'e2e-<hash>'),
    (re.compile(r'/tmp/[\w./-]+'), '<path>'),
    (re.compile(r'\ba few secs? ago\b'), '<dur> ago'),
    (re.compile(r'(?:< )?\b\d+(?:\.\d+)?\s?(?:ms|s|m|h|d|sec|secs|min|mins)\b(?: \d+s)?'),
     '<dur>'),
    (re.compile(r'\b\d+:\d\d:\d\d\b'), '<elapsed>'),
]


# Progress lines printed or not by the timing of a poll.
_TIMING_LINES = re.compile(
    r'^.*(?:Waiting for task resources on \d+ nodes?\.|'
    r'Waiting \d+s for the logs to be written\.\.\.)\S*\n', re.M)


def normalise(text: str, home: str) -> str:
    text = _TIMING_LINES.sub('', text.replace(home, '<home>'))
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return cli_runner.normalise_request_table(text.encode()).decode()


@pytest.fixture(scope='module')
def sessions(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('slurm')
    # The managed job through sky-native only (CI time).
    return {
        'sky': (session(SKY, tmp_path, 'sky'), str(tmp_path / 'sky')),
        'sky-native': (session(SKY_NATIVE, tmp_path, 'sky-native', '--jobs'),
                       str(tmp_path / 'sky-native')),
    }


@pytest.mark.parametrize('cli', ['sky', 'sky-native'])
def test_the_task_runs_with_its_workdir_and_many_file_mounts(sessions, cli):
    steps, _ = sessions[cli]
    rc, out, err = steps['launch']
    assert rc == 0, out + err
    assert 'from the workdir' in out
    assert f'mounted: {MANY_FILES} files' in out
    assert 'Job finished (status: SUCCEEDED)' in out
    rc, out, err = steps['logs']
    assert rc == 0 and f'mounted: {MANY_FILES} files' in out, out + err
    rc, out, err = steps['exec']
    assert rc == 0 and f'exec: {MANY_FILES} files in ~/many' in out, out + err
    rc, out, err = steps['queue']
    assert rc == 0 and 'SUCCEEDED' in out, out + err
    for step in ('down', 'api-stop'):
        assert steps[step][0] == 0, steps[step]


@pytest.mark.parametrize('cli', ['sky', 'sky-native'])
def test_logs_tail_prints_the_last_lines(sessions, cli):
    steps, _ = sessions[cli]
    rc, out, err = steps['logs-tail']
    assert rc == 0, out + err
    assert 'last line' in out
    assert 'from the workdir' not in out


def test_a_managed_job_on_this_node_stops_at_the_controller_resources(sessions):
    """Managed jobs on Slurm need a jobs controller cluster of 4+ CPUs
    (sky/jobs/constants.py CONTROLLER_RESOURCES): on this 2-CPU node
    `jobs launch` fails before anything is launched, and says why."""
    steps, _ = sessions['sky-native']
    rc, out, err = steps['jobs-launch']
    assert rc != 0, out + err
    assert 'cpus=4+' in (out + err).replace(' ', ''), out + err


@pytest.mark.parametrize('cli,origin', [('sky', 'spawned'), ('sky-native', 'zygote')])
def test_executors_killed_by_sigkill_are_replaced(sessions, cli, origin):
    """Every executor process of the API server killed with SIGKILL (as the
    OOM killer would) before `queue`: the server replaces its broken pools
    and `queue` runs (compared with sky's below); under sky-native the new
    executors come from the zygote again."""
    steps, _ = sessions[cli]
    assert steps['kill-executors'][:2] == (0, 'killed\n'), steps['kill-executors']
    rc, out, err = steps['queue']
    assert rc == 0 and 'SUCCEEDED' in out, out + err
    assert steps['executors'][1] == f'{origin}\n', steps['executors']


@pytest.mark.parametrize('cli', ['sky', 'sky-native'])
def test_a_streaming_request_is_cancelled(sessions, cli):
    """`api cancel` of a running `logs` request (an executor process of the
    API server runs it; under sky-native one forked from the zygote): the
    request is cancelled, its client says so and fails, and the server goes
    on serving (the job's cancel and `down` after it)."""
    steps, _ = sessions[cli]
    rc, out, err = steps['api-cancel']
    assert rc == 0 and 'Cancelled 1 request' in out, out + err
    rc, out, err = steps['logs-cancelled']
    assert rc != 0 and 'RequestCancelled' in err, out + err
    for step in ('cancel-job', 'down'):
        assert steps[step][0] == 0, steps[step]


@pytest.mark.parametrize('step', ['check', 'launch', 'logs', 'logs-tail', 'exec', 'queue',
                                  'exec-sleep', 'api-cancel', 'logs-cancelled', 'cancel-job',
                                  'down'])
def test_sky_native_prints_what_sky_prints(sessions, step):
    (sky_steps, sky_home), (native_steps, native_home) = sessions['sky'], sessions['sky-native']
    sky_rc, sky_out, sky_err = sky_steps[step]
    native_rc, native_out, native_err = native_steps[step]
    assert native_rc == sky_rc
    assert normalise(native_out, native_home) == normalise(sky_out, sky_home)
    assert normalise(native_err, native_home) == normalise(sky_err, sky_home)
