"""Native against SkyPilot's Python: equal results and equal exceptions."""
import contextlib
import math
import os
import sys

import pytest

import sky_native
from sky.utils import common_utils  # noqa: F401  (registers the originals)
from sky.utils import subprocess_utils  # noqa: F401
from sky_native import _functions
from sky_native import _replacement

# Hypothesis examples per property: SKY_NATIVE_EXAMPLES lowers it for the
# cheap matrix over releases whose code the pinned run already covers.
EXAMPLE_COUNT = int(os.environ.get('SKY_NATIVE_EXAMPLES', '2000'))


def skip_unless_others_can_run_this_python():
    """Root runs some checks as nobody under sys.executable. A python in a
    directory others may not enter (pyenv's under /root, behind the wheel's
    test venvs) cannot run as nobody: skip there rather than fail."""
    directory = os.path.dirname(os.path.realpath(sys.executable))
    while True:
        if not os.stat(directory).st_mode & 0o001:
            pytest.skip(f'nobody may not enter {directory} ({sys.executable})')
        if directory == '/':
            return
        directory = os.path.dirname(directory)


def original(name):
    """SkyPilot's own Python function `name` (before replacement). Skips the
    test when the installed release's code for it is not code the native
    version was verified against (it keeps SkyPilot's Python; the matrix
    checks that), unless SKY_NATIVE_VERIFY_ALL=1 asks to compare anyway (to
    verify a new release's code)."""
    function = _replacement.original(name) if _defined(name) else None
    if os.environ.get('SKY_NATIVE_VERIFY_ALL') != '1':
        problem = _replacement.unverified_code(
            sys.modules[_functions.BY_NAME[name].module], _functions.BY_NAME[name])
        if problem is not None:
            pytest.skip(str(problem))
    if function is None:
        pytest.skip(f'{name} is not defined in this release')
    return function


@contextlib.contextmanager
def native_only(name):
    """Makes any deferral to the Python original fail: proves that the call
    was answered natively."""

    def refuse(*args, **kwargs):
        raise AssertionError(f'{name} deferred to Python {args!r} {kwargs!r}')

    # Only the original is swapped; its recorded dependencies stay.
    python = original(name)
    sky_native._register_original(name, refuse)
    try:
        yield
    finally:
        sky_native._register_original(name, python)


def _defined(name):
    return sky_native._original(name) is not None


def native(name):
    return getattr(sky_native, name)


def outcome(function, *args, **kwargs):
    """('ok', type, value) or ('raise', type, message[, cause type])."""
    try:
        value = function(*args, **kwargs)
    except Exception as e:
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
