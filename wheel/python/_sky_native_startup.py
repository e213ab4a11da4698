"""Run at every interpreter start, by sky_native.pth (sky_native.start from
Python 3.15, PEP 829): puts a finder first on sys.meta_path that waits for
SkyPilot's modules. Nothing else is imported or loaded here: sky_native
(the native module and its replacement hook) is imported when SkyPilot's
code first asks for one of those modules, so a Python process that never
imports SkyPilot pays one set lookup per import and nothing more.

What the launcher reads when it starts is read here, at interpreter start,
and taken by sky_native when it is imported (started()): the flags and the
namespaces every process has before any program code runs (replacement.py's
rules; tests/python/test_wheel.py checks that both lists are the same).
"""
import os
import sys

# SkyPilot's modules that hold the replaced functions, and the module
# sky_native provides in SkyPilot's namespace.
WATCHED = frozenset(('sky.utils.common_utils', 'sky.utils.subprocess_utils',
                     'sky.utils.rust_fallback'))
FLAGS = ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')
OFF_VALUES = frozenset(('0', 'false', 'no', 'off'))
STARTED_WITH = ('builtins', 'os', 'posixpath')

# (flag enabled, {module name: its namespace}) at interpreter start.
_start = None


class SkyPilotFinder:
    """Imports sky_native when one of WATCHED is first imported, then finds
    that module through the finders sky_native has put first on
    sys.meta_path (its replacement hook wraps the module's loader)."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname not in WATCHED:
            return None
        import sky_native  # noqa: F401 (its import takes this finder out)
        for finder in list(sys.meta_path):
            find_spec = getattr(finder, 'find_spec', None)
            spec = find_spec(fullname, path, target) if finder is not cls and find_spec else None
            if spec is not None:
                return spec
        return None


def install():
    """Records the start-up state and puts the finder first (once)."""
    global _start
    if _start is not None:
        return
    enabled = not any(os.environ.get(flag, '1').lower() in OFF_VALUES for flag in FLAGS)
    _start = (enabled, {name: dict(vars(sys.modules[name])) for name in STARTED_WITH})
    sys.meta_path.insert(0, SkyPilotFinder)


def started():
    """For sky_native's import (under its import lock): the start-up state,
    None if install() never ran; the finder's work is done."""
    if SkyPilotFinder in sys.meta_path:
        sys.meta_path.remove(SkyPilotFinder)
    return _start
