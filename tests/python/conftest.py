"""Shared fixtures for the tests that run under sky-native (`make test-python`)."""
import os
import pathlib
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))


def pytest_configure(config):
    del config
    if 'sky_native' not in sys.builtin_module_names:
        raise pytest.UsageError(
            'these tests run under sky-native: build/sky-native -m pytest tests/python')


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
