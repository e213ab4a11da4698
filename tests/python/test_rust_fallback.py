"""sky.utils.rust_fallback, the compatibility API of the v1.0 release notes."""
import subprocess
import sys

import sky_native
from sky.utils import common_utils
from sky.utils import rust_fallback
from sky_native import _functions
from sky_native import _replacement


def test_exports_the_twelve_functions_and_backend_info():
    assert set(rust_fallback.__all__) == set(_functions.NAMES) | {'get_backend_info'}
    for name in _functions.NAMES:
        assert callable(getattr(rust_fallback, name))


def test_native_when_on(clean_env):
    for name in _functions.NAMES:
        assert getattr(rust_fallback, name) is getattr(sky_native, name)


def test_get_backend_info(clean_env):
    info = rust_fallback.get_backend_info()
    assert info['backend'] == 'native'
    assert info['version'] == sky_native.__version__
    assert info['available'] is True
    assert set(info['functions']) == set(_functions.NAMES)
    assert set(info['functions'].values()) == {'native'}


_OFF = '''
import sky_native
from sky.utils import rust_fallback
from sky_native import _python_impl, _replacement
names = ['read_last_n_lines', 'hash_file', 'find_free_port', 'base36_encode',
         'format_float', 'truncate_long_string', 'get_cpu_count',
         'get_mem_size_gb', 'get_parallel_threads',
         'get_max_workers_for_file_mounts']
print(all(getattr(rust_fallback, n) is _replacement.original(n) for n in names))
print(rust_fallback.is_process_alive is _python_impl.is_process_alive)
print(rust_fallback.estimate_fd_for_directory is
      _python_impl.estimate_fd_for_directory)
print(rust_fallback.get_backend_info()['backend'],
      set(rust_fallback.get_backend_info()['functions'].values()))
print(rust_fallback.format_float(2.25), rust_fallback.is_process_alive(0))
'''


def test_python_when_off():
    out = subprocess.run([sys.executable, '-c', _OFF], check=True,
                         capture_output=True, text=True, timeout=120,
                         env={'SKYPILOT_USE_RUST': '0', 'PATH': '/usr/bin:/bin',
                              **{k: v for k, v in __import__('os').environ.items()
                                 if k in ('VIRTUAL_ENV', 'HOME', 'PYTHONPATH')}}
                         ).stdout.splitlines()
    assert out == ['True', 'True', 'True', "python {'python'}", '2.2 False']


def test_same_results_as_skypilot(clean_env):
    original = _replacement.original('truncate_long_string')
    text = 'sky launch -c mycluster --gpus A100:8 task.yaml'
    assert rust_fallback.truncate_long_string(text, 20) == original(text, 20)
    assert common_utils.truncate_long_string is rust_fallback.truncate_long_string
