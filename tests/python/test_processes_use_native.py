"""The CLI process and the real local API server started by `sky-native
status` (under the wheel: SkyPilot's own `sky status`) both hold the native
functions in SkyPilot's modules (reported by each process itself, see
probes/sitecustomize.py), and none when the flag is off."""
import glob
import json
import os
import pathlib
import subprocess
import sys

import pytest

import cli_runner

PROBES = pathlib.Path(__file__).resolve().parent / 'probes'


def _reports(directory):
    reports = []
    for path in glob.glob(os.path.join(directory, '*.json')):
        with open(path, encoding='utf-8') as f:
            reports.append(json.load(f))
    return reports


@pytest.mark.parametrize('flag,expected', [(None, 'native'), ('0', 'python')])
def test_cli_and_api_server_processes(tmp_path, flag, expected):
    if sys.version_info < (3, 10):
        # Without sky-native too: asyncio.Event() in an AnyIO worker thread.
        pytest.skip("SkyPilot 0.14.1's local API server fails its requests on 3.9 "
                    "(RuntimeError: There is no current event loop)")
    probe_dir = tmp_path / 'reports'
    probe_dir.mkdir()
    env = dict(os.environ)
    env.pop('SKYPILOT_USE_RUST', None)
    env.pop('SKYPILOT_USE_NATIVE', None)
    if flag is not None:
        env['SKYPILOT_USE_NATIVE'] = flag
    env.update({
        'HOME': str(tmp_path / 'home'),
        'SKYPILOT_API_SERVER_LOCAL_PORT': str(cli_runner.free_port()),
        'SKY_NATIVE_PROBE_DIR': str(probe_dir),
        'PYTHONPATH': os.pathsep.join(
            [str(PROBES)] + [p for p in [os.environ.get('PYTHONPATH')] if p]),
    })
    (tmp_path / 'home').mkdir()

    # The launcher is `sky`; from the wheel, SkyPilot's console script is.
    command = [sys.executable] if 'sky_native' in sys.builtin_module_names else [
        str(pathlib.Path(sys.executable).parent / 'sky')]

    def sky(*args):
        return subprocess.run([*command, *args], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=300,
                              check=False)

    try:
        status = sky('status')
        assert status.returncode == 0, status.stdout + status.stderr
        api = sky('api', 'status')
        assert api.returncode == 0, api.stdout + api.stderr
    finally:
        sky('api', 'stop')

    reports = _reports(probe_dir)
    cli = [r for r in reports
           if os.path.basename(r['argv'][0]) == 'sky' and r['argv'][1:2] == ['status']]
    # The server process itself (its children, forked from the API server
    # zygote, hold what the zygote's imports put in place).
    server = [r for r in reports if 'sky.server.server' in r['orig_argv']]
    assert cli, reports
    assert server, reports
    # Under sky-native the server's zygote is forked from it (and reports
    # nothing: it imports nothing), and every child the server starts is
    # forked from that one: no zygote was exec'd and no child was spawned
    # cold (each such process reports once it imported SkyPilot).
    zygotes = [r for r in reports if 'sky_native._zygote' in ' '.join(r['orig_argv'])]
    spawned = [r for r in reports if 'spawn_main' in ' '.join(r['orig_argv'])]
    if 'sky_native' in sys.builtin_module_names:
        assert zygotes == [] and spawned == [], (zygotes, spawned)
    else:
        assert spawned, reports
    for report in reports:
        assert report['executable'] == sys.executable, report
        assert set(report['functions'].values()) == {expected}, report
        assert isinstance(report['cpu_count'], int)
