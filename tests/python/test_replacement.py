"""The replacement hook: SkyPilot's functions are the native ones unless the flag
turns them off; code not verified and mocked dependencies keep SkyPilot's
Python."""
import json
import os
import subprocess
import sys

import pytest

import sky_native
from sky.utils import common_utils  # noqa: F401
from sky.utils import subprocess_utils  # noqa: F401
from sky_native import _functions
from sky_native import _replacement
from sky_native import _status

SKYPILOT_FUNCTIONS = [f for f in _functions.FUNCTIONS if f.module]

# Prints, for each SkyPilot function, which implementation SkyPilot's module
# holds in a fresh sky-native process.
_PROBE = '''
import json, sys, types
import sky_native
from sky.utils import common_utils, subprocess_utils
from sky_native import _functions
result = {}
for f in _functions.FUNCTIONS:
    if f.module is None:
        continue
    held = getattr(sys.modules[f.module], f.name)
    if held is getattr(sky_native, f.name, None):
        result[f.name] = 'native'
    elif (isinstance(held, types.FunctionType) and
          held.__code__.co_filename.endswith(f.module.replace('.', '/') + '.py')):
        result[f.name] = 'python'
    else:
        result[f.name] = repr(held)
from sky.utils import rust_fallback
result['rust_fallback'] = sorted({
    'native' if getattr(rust_fallback, n) is getattr(sky_native, n) else 'python'
    for n in _functions.NAMES})
result['backend'] = sky_native.get_backend_info()['backend']
print(json.dumps(result))
'''


def _probe(**env_changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')}
    env.update(env_changes)
    out = subprocess.run([sys.executable, '-c', _PROBE], env=env, check=True,
                         capture_output=True, text=True, timeout=120).stdout
    return json.loads(out)


@pytest.mark.parametrize('function', SKYPILOT_FUNCTIONS, ids=lambda f: f.name)
def test_skypilot_holds_the_native_function(function, clean_env):
    held = getattr(sys.modules[function.module], function.name)
    assert held is getattr(sky_native, function.name)
    assert _status.function_status()[function.name][0] == 'native'


@pytest.mark.parametrize('function', SKYPILOT_FUNCTIONS, ids=lambda f: f.name)
def test_installed_code_is_verified_code(function):
    module = sys.modules[function.module]
    assert _replacement.unverified_code(module, function) is None


@pytest.mark.parametrize('flag,value', [
    ('SKYPILOT_USE_NATIVE', '0'),
    ('SKYPILOT_USE_RUST', '0'),
    ('SKYPILOT_USE_NATIVE', 'false'),
    ('SKYPILOT_USE_NATIVE', 'NO'),
    ('SKYPILOT_USE_RUST', 'Off'),
    ('SKYPILOT_USE_RUST', 'FALSE'),
])
def test_flag_off_keeps_every_original(flag, value):
    result = _probe(**{flag: value})
    assert {result[f.name] for f in SKYPILOT_FUNCTIONS} == {'python'}
    assert result['rust_fallback'] == ['python']
    assert result['backend'] == 'python'


@pytest.mark.parametrize('value', ['1', 'yes', 'true', '', 'on', '2', ' 0'])
def test_other_flag_values_keep_native(value):
    result = _probe(SKYPILOT_USE_NATIVE=value, SKYPILOT_USE_RUST=value)
    assert {result[f.name] for f in SKYPILOT_FUNCTIONS} == {'native'}
    assert result['rust_fallback'] == ['native']
    assert result['backend'] == 'native'


def test_either_flag_off_wins():
    result = _probe(SKYPILOT_USE_NATIVE='1', SKYPILOT_USE_RUST='0')
    assert {result[f.name] for f in SKYPILOT_FUNCTIONS} == {'python'}


def test_the_hook_imports_nothing_of_skypilot_early():
    out = subprocess.run(
        [sys.executable, '-c',
         'import sys; print(sorted(m for m in sys.modules '
         'if m == "sky" or m.startswith("sky.") or m == "psutil"))'],
        check=True, capture_output=True, text=True, timeout=60).stdout
    assert out.strip() == '[]'


_UNVERIFIED = '''
import sys, types
import sky_native
from sky_native import _replacement, _status
fake = types.ModuleType('sky.utils.common_utils')
def format_float(num, precision=1):
    return 'python'
def base36_encode(hex_str):
    return 'python'
fake.format_float = format_float
fake.base36_encode = base36_encode
sys.modules['sky.utils.common_utils'] = fake
_replacement._replace_in(fake)
status = _status.function_status()
print(fake.format_float is format_float, status['format_float'][0])
print(fake.base36_encode is base36_encode, status['base36_encode'][0])
print(status['format_float'][1].why.name, status['format_float'][1])
backend, reason = status['truncate_long_string']
print(backend, reason.why.name, reason)
'''


def test_unverified_code_keeps_python_and_is_reported():
    # Same signatures as SkyPilot's, other bodies: never replaced.
    lines = subprocess.run([sys.executable, '-c', _UNVERIFIED], check=True,
                           capture_output=True, text=True,
                           timeout=60).stdout.splitlines()
    assert lines[0] == 'True python'
    assert lines[1] == 'True python'
    assert lines[2] == ('UNVERIFIED sky.utils.common_utils.format_float: '
                        'code not verified for this release on Python '
                        f'{sys.version_info[0]}.{sys.version_info[1]}')
    # A function the release does not define: sky.utils.rust_fallback hands
    # out the native one, and the reason says why SkyPilot holds none.
    assert lines[3] == ('native UNDEFINED sky.utils.common_utils.truncate_long_string: '
                        'not defined in this release')


_MOCKED_AT_IMPORT = '''
from unittest import mock
with mock.patch('os.cpu_count', return_value=1000):
    from sky.utils import subprocess_utils
    import sky_native
    print(subprocess_utils.get_parallel_threads is sky_native.get_parallel_threads,
          subprocess_utils.get_parallel_threads())
print(subprocess_utils.get_parallel_threads() < 999)
'''


def test_a_mock_active_while_skypilot_is_imported_is_seen_as_a_mock():
    lines = subprocess.run([sys.executable, '-c', _MOCKED_AT_IMPORT], check=True,
                           capture_output=True, text=True,
                           timeout=60).stdout.splitlines()
    assert lines == ['True 999', 'True']


# A module whose first import fails: the hook's callbacks run on the import
# that succeeds.
_FAILED_FIRST_IMPORT = '''
import os, sys
sys.path.insert(0, sys.argv[1])
from sky_native import _importer
seen = []
_importer.when_imported('flaky_module', seen.append)
try:
    import flaky_module
except RuntimeError:
    print('first import failed', 'flaky_module' in sys.modules)
os.environ['FLAKY_OK'] = '1'
import flaky_module
print(len(seen), all(m is flaky_module for m in seen))
'''


def test_callbacks_wait_for_the_import_that_succeeds(tmp_path):
    (tmp_path / 'flaky_module.py').write_text(
        "import os\nif not os.environ.get('FLAKY_OK'):\n"
        "    raise RuntimeError('first import fails')\n")
    lines = subprocess.run([sys.executable, '-c', _FAILED_FIRST_IMPORT, str(tmp_path)],
                           check=True, capture_output=True, text=True,
                           timeout=60).stdout.splitlines()
    assert lines == ['first import failed False', '1 True']


_GUARD = '''
import types
import sky_native
owner = types.SimpleNamespace(dependency=len)
sky_native._register_original('get_parallel_threads',
                              lambda cloud_str=None: 'original')
missing = object()
sky_native._add_dependency('get_parallel_threads', owner, 'dependency', len, missing)
print(sky_native.get_parallel_threads())
owner.dependency = abs
print(sky_native.get_parallel_threads())
owner.dependency = len
print(sky_native.get_parallel_threads())
del owner.dependency
print(sky_native.get_parallel_threads())
sky_native._register_original('base36_encode', lambda hex_str: 'original')
print(sky_native.base36_encode('ff'), sky_native.base36_encode(b'ff'))
'''


def test_changed_dependency_defers_to_the_original():
    lines = subprocess.run([sys.executable, '-c', _GUARD], check=True,
                           capture_output=True, text=True,
                           timeout=60).stdout.splitlines()
    native_answer = str(max(4, os.cpu_count() - 1))
    assert lines[:4] == [native_answer, 'original', native_answer, 'original']
    # Calls the native path cannot take (bytes here) reach the original.
    assert lines[4] == '73 original'
