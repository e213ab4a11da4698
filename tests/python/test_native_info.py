"""`sky-native --native-info [--json]`, the installation check."""
import json
import os
import subprocess
import sys
import sysconfig

import pytest
import sky

from sky_native import _functions

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)


def _run(*args, **env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')}
    env.update(env_changes)
    for key in [k for k, v in env.items() if v is None]:
        del env[key]
    return subprocess.run([sys.executable, '--native-info', *args], env=env,
                          capture_output=True, text=True, timeout=120,
                          check=False)


def test_json_report_of_a_healthy_installation():
    result = _run('--json')
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report['ok'] is True and report['problems'] == []
    assert report['executable'] == sys.executable
    assert report['skypilot_version'] == sky.__version__
    assert report['skypilot_location'] == os.path.dirname(sky.__file__)
    # sky-native links libpython statically: no libpython is mapped in this
    # process (run by it), and the report names the archive linked into the binary.
    with open('/proc/self/maps', encoding='utf-8') as maps:
        mapped = {line.split()[-1] for line in maps if 'libpython' in line}
    assert not mapped
    assert report['libpython'] == (
        f'{sysconfig.get_config_var("LIBRARY")} linked statically into {sys.executable}')
    assert ([p for p in report['sys_path'] if 'site-packages' in p] ==
            [p for p in sys.path if 'site-packages' in p])
    assert report['native_enabled'] is True
    assert set(report['functions']) == set(_functions.NAMES)
    assert {f['backend'] for f in report['functions'].values()} == {'native'}
    assert report['tls_certificates']


def test_text_report():
    result = _run()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith('sky-native ')
    for name in _functions.NAMES:
        assert name in result.stdout
    assert result.stdout.rstrip().endswith('status:      ok')


def test_flag_off_is_reported_not_broken():
    result = _run('--json', SKYPILOT_USE_NATIVE='0')
    assert result.returncode == 0
    report = json.loads(result.stdout)
    assert report['native_enabled'] is False
    assert report['flags']['SKYPILOT_USE_NATIVE'] == '0'
    assert {f['backend'] for f in report['functions'].values()} == {'python'}


def test_missing_skypilot_is_broken():
    # Without the venv the binary runs on the system Python, which has no
    # SkyPilot.
    result = _run('--json', VIRTUAL_ENV=None, PYTHONPATH=None)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report['ok'] is False
    assert any('SkyPilot cannot be imported' in p for p in report['problems'])


def test_usage_error():
    result = _run('--bogus')
    assert result.returncode == 2
    assert 'usage: sky-native --native-info' in result.stderr
