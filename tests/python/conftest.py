"""Shared fixtures for the tests that run under sky-native (`make test-python`)."""
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def _sky_native_source():
    """'launcher' (sky-native runs the tests: sky_native is builtin), 'wheel'
    (a plain python with the wheel installed), or None."""
    if 'sky_native' in sys.builtin_module_names:
        return 'launcher'
    import importlib.util
    if importlib.util.find_spec('_sky_native_startup') and importlib.util.find_spec('sky_native'):
        return 'wheel'
    return None


SOURCE = _sky_native_source()


def pytest_configure(config):
    config.addinivalue_line(
        'markers', 'launcher: about the sky-native launcher itself; skipped under the wheel')
    config.addinivalue_line('markers', 'xdist_group(name): one pytest-xdist worker runs the group')
    if SOURCE is None:
        raise pytest.UsageError(
            'these tests run under sky-native (build/sky-native -m pytest tests/python) '
            'or a python with the sky_native wheel installed')


# The files whose tests start SkyPilot API servers without namespaces of
# their own: `sky api stop` ends every server on the machine, so they never
# run beside each other.
_API_SERVER_FILES = ('test_cli_parity.py', 'test_processes_use_native.py')


def _group_for_workers(items):
    """pytest-xdist's `--dist loadgroup` (make test-python runs two workers):
    each file's tests stay in one worker (module fixtures run once), the API
    server files all in the same one."""
    for item in items:
        name = item.path.name
        group = 'api-server' if name in _API_SERVER_FILES else name
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    del config
    _group_for_workers(items)
    if SOURCE == 'wheel':
        skip = pytest.mark.skip(reason='about the launcher; this python has the wheel')
        for item in items:
            if item.get_closest_marker('launcher'):
                item.add_marker(skip)


@pytest.fixture(scope='session')
def native_info_command() -> list:
    """The installation check: `sky-native --native-info`, or from the
    wheel `python -m sky_native`."""
    if SOURCE == 'wheel':
        return [sys.executable, '-m', 'sky_native']
    return [sys.executable, '--native-info']


@pytest.fixture(scope='session')
def sky_native_binary() -> str:
    """The launcher running these tests (sys.executable is sky-native)."""
    return sys.executable


@pytest.fixture(scope='session')
def sky_console_script() -> str:
    """SkyPilot's own `sky` from the same venv, for output comparison."""
    path = pathlib.Path(sys.prefix) / 'bin' / 'sky'
    if not path.exists():
        pytest.fail(f'no SkyPilot console script at {path}')
    return str(path)


@pytest.fixture(scope='session')
def venv_python() -> str:
    """The plain CPython of the same venv."""
    return str(pathlib.Path(sys.prefix) / 'bin' / 'python')


@pytest.fixture
def clean_env(monkeypatch):
    """No sky-native flag and no SkyPilot resource override."""
    for name in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST',
                 'SKYPILOT_POD_CPU_CORE_LIMIT', 'SKYPILOT_POD_MEMORY_GB_LIMIT',
                 'SKYPILOT_POD_MEMORY_BYTES_LIMIT'):
        monkeypatch.delenv(name, raising=False)
    return os.environ
