"""The builtin module is there in every sky-native process."""
import sys

import sky_native


def test_builtin_module():
    assert 'sky_native' in sys.builtin_module_names
    assert isinstance(sky_native.__version__, str)


def test_backend_info_shape(clean_env):
    info = sky_native.get_backend_info()
    assert info['backend'] == 'native'
    assert info['available'] is True
    assert info['version'] == sky_native.__version__
