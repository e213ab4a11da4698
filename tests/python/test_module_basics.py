"""The module is there in every sky-native process: builtin in the
launcher's, from the wheel in a plain python's."""
import sys

import pytest

import sky_native


@pytest.mark.launcher
def test_builtin_module():
    assert 'sky_native' in sys.builtin_module_names
    assert isinstance(sky_native.__version__, str)


def test_wheel_module_is_the_native_module():
    if 'sky_native' in sys.builtin_module_names:
        pytest.skip('the launcher: a builtin module')
    assert sky_native.__file__.endswith('sky_native/__init__.py')
    assert sky_native.format_float.__module__ == 'sky_native'
    assert isinstance(sky_native.__version__, str)


def test_backend_info_shape(clean_env):
    info = sky_native.get_backend_info()
    assert info['backend'] == 'native'
    assert info['available'] is True
    assert info['version'] == sky_native.__version__
