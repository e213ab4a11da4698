"""Whatever SkyPilot release is installed: each function is replaced exactly
when its code (and its helpers' code) is in the verified table, and the
diagnostics say what SkyPilot holds. Run against every release by
`make test-matrix` and `make test-matrix-cheap`."""
import json
import os
import subprocess
import sys

import pytest

import sky
import sky_native
from sky.utils import common_utils  # noqa: F401  (the hook replaces on import)
from sky.utils import subprocess_utils  # noqa: F401
from sky_native import _fingerprint
from sky_native import _functions
from sky_native import _replacement
from sky_native import _status
from sky_native import _verified_code

SKYPILOT_FUNCTIONS = [f for f in _functions.FUNCTIONS if f.module]


def _held(function):
    return getattr(sys.modules[function.module], function.name, None)


def _env(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')}
    env.update(changes)
    return env


@pytest.mark.parametrize('function', SKYPILOT_FUNCTIONS, ids=lambda f: f.name)
def test_replaced_exactly_where_the_code_is_verified(function, clean_env):
    module = sys.modules[function.module]
    verified = _replacement.unverified_code(module, function) is None
    if _held(function) is None:
        assert _status.function_status()[function.name][1].why is _status.Why.UNDEFINED
        return
    assert (_held(function) is getattr(sky_native, function.name)) == verified
    backend, reason = _status.function_status()[function.name]
    assert backend == ('native' if verified else 'python')
    if not verified:
        assert reason.safe
        assert reason.subject.startswith('sky.utils.')


@pytest.mark.parametrize('function', SKYPILOT_FUNCTIONS, ids=lambda f: f.name)
def test_the_table_knows_this_releases_code(function):
    """A release whose code is not in the table fails here (regenerate it
    with tests/matrix/fingerprints.py after verifying)."""
    module = sys.modules[function.module]
    for qualified in function.code_names():
        short_name = qualified.rsplit('.', 1)[1]
        obj = sky_native._original(short_name) if short_name in _functions.BY_NAME else None
        obj = obj or getattr(module, short_name, None)
        if obj is None:
            continue  # not in this release
        entry = _verified_code.CODE.get(sys.version_info[:2], {}).get(qualified, {}).get(
            _fingerprint.fingerprint(obj))
        assert entry is not None, f'{qualified} of SkyPilot {sky.__version__}: unknown code'
        assert sky.__version__ in entry[1].split(), (qualified, sky.__version__)


def test_native_info_reports_what_is_installed(native_info_command):
    out = subprocess.run([*native_info_command, '--json'], env=_env(),
                         capture_output=True, text=True, timeout=180)
    report = json.loads(out.stdout)
    assert report['skypilot_version'] == sky.__version__
    assert out.returncode == 0, report['problems']
    for function in SKYPILOT_FUNCTIONS:
        backend, reason = _status.function_status()[function.name]
        assert report['functions'][function.name] == {'backend': backend,
                                                      'reason': str(reason)}


_STATES = '''
import json, os, sys
import sky_native
from sky.utils import common_utils, subprocess_utils, rust_fallback
from sky_native import _functions
def held():
    result = {}
    for f in _functions.FUNCTIONS:
        obj = getattr(sys.modules[f.module], f.name, None) if f.module else None
        obj = obj or getattr(rust_fallback, f.name)  # rust_fallback's when SkyPilot has none
        result[f.name] = 'native' if obj is getattr(sky_native, f.name) else 'python'
    return result
def report():
    info = sky_native.get_backend_info()
    return {'held': held(), 'info': info['functions'], 'backend': info['backend'],
            'defined': [f.name for f in _functions.FUNCTIONS
                        if f.module and hasattr(sys.modules[f.module], f.name)],
            'fallback': {n: 'native' if getattr(rust_fallback, n) is getattr(sky_native, n)
                         else 'python' for n in _functions.NAMES}}
states = [report()]
os.environ['SKYPILOT_USE_NATIVE'] = os.environ.get('FLIP', '0')
states.append(report())
common_utils.format_float = lambda num, precision=1: 'mine'
states.append(report())
print(json.dumps(states))
'''


@pytest.mark.parametrize('flag', ['1', '0'])
def test_backend_info_agrees_with_the_objects_in_every_state(flag):
    states = json.loads(subprocess.run(
        [sys.executable, '-c', _STATES],
        env=_env(SKYPILOT_USE_NATIVE=flag, FLIP='1' if flag == '0' else '0'),
        check=True, capture_output=True, text=True, timeout=180).stdout)
    for state in states:
        assert state['info'] == state['held']
        skypilot = [state['held'][name] for name in state['defined']]
        assert state['backend'] == ('native' if 'native' in skypilot else 'python')
        # rust_fallback hands out what SkyPilot holds (its own: native per flag).
        assert state['fallback'] == states[0]['held']
    assert states[2]['held']['format_float'] == 'python'
