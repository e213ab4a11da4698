"""sky.utils.rust_fallback: the compatibility API of the v1.0 release notes.

Exports the 12 functions, native or SkyPilot's Python per the flag
(SKYPILOT_USE_NATIVE / SKYPILOT_USE_RUST), and get_backend_info().
"""
import sky_native
from sky_native import _functions
from sky_native import _replacement

__all__ = list(_functions.NAMES) + ['get_backend_info']

for _name in _functions.NAMES:
    globals()[_name] = _replacement.implementation(_name)
del _name

get_backend_info = sky_native.get_backend_info
