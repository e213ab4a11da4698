"""sky_native from the wheel: the native module (sky_native._native, the
launcher's builtin `sky_native` built for this Python) under the same name,
so that SkyPilot's code, sky_native's Python side and users see one module
however sky-native was installed. Importing it installs what the launcher
installs at start-up (the embedded Python files and the replacement hook),
with the state _sky_native_startup recorded when the interpreter started."""
from sky_native import _native

globals().update(
    (name, value) for name, value in vars(_native).items()
    if name not in ('__name__', '__file__', '__loader__', '__spec__', '__package__'))
del _native


def _start_state():
    try:
        import _sky_native_startup
    except ImportError:  # not from the wheel's site-packages
        return None
    return _sky_native_startup.started()


_install(_start_state())  # noqa: F821 (from _native)
