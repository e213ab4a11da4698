"""Native against SkyPilot's Python: equal results and equal exceptions."""
import math

import sky_native
from sky.utils import common_utils  # noqa: F401  (registers the originals)
from sky.utils import subprocess_utils  # noqa: F401
from sky_native import _hook


def original(name):
    """SkyPilot's own Python function `name` (before replacement)."""
    return _hook._originals[name]


def native(name):
    return getattr(sky_native, name)


def outcome(function, *args, **kwargs):
    """('ok', type, value) or ('raise', type, message[, cause type])."""
    try:
        value = function(*args, **kwargs)
    except Exception as e:  # pylint: disable=broad-except
        cause = type(e.__cause__) if e.__cause__ is not None else None
        return ('raise', type(e), str(e), cause)
    return ('ok', type(value), _comparable(value))


def _comparable(value):
    if isinstance(value, float) and math.isnan(value):
        return 'nan'
    if isinstance(value, list):
        return [(type(v), v) for v in value]
    return value


def assert_same(name, *args, **kwargs):
    """Calls sky_native's and SkyPilot's `name` with the same arguments and
    asserts the same outcome; returns it."""
    expected = outcome(original(name), *args, **kwargs)
    actual = outcome(native(name), *args, **kwargs)
    assert actual == expected, f'{name}{args!r}{kwargs!r}'
    return actual
