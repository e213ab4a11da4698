"""Makes sky_native's embedded Python files importable and installs the
replacement hook.

Run by the launcher right after the interpreter starts, in every mode (sky
CLI, Python mode, the children SkyPilot starts), so that SkyPilot's own
imports find the native functions everywhere; from the wheel, by the import
of the sky_native package (wheel/python), which SkyPilot's first import of
its modules brings about.
"""
import marshal
import sys

import sky_native

_PREFIX = 'sky_native._'
# Modules outside the sky_native namespace that sky_native provides.
_ALIASES = {'sky.utils.rust_fallback': 'rust_fallback'}


def _stem(fullname):
    if fullname in _ALIASES:
        return _ALIASES[fullname]
    if fullname.startswith(_PREFIX):
        return fullname[len(_PREFIX):]
    return None


class EmbeddedImporter:
    """Finds and loads the Python files compiled into the binary."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        del path, target  # the files do not live on any path
        stem = _stem(fullname)
        if stem is None or sky_native._embedded_source(stem) is None:
            return None
        from importlib.machinery import ModuleSpec
        return ModuleSpec(fullname, cls, origin=f'<sky_native/{stem}.py>')

    @staticmethod
    def create_module(spec):
        del spec  # the default module object
        return None

    @staticmethod
    def exec_module(module):
        # Compiled at build time by the same Python version.
        code = marshal.loads(sky_native._embedded_code(_stem(module.__spec__.name)))
        exec(code, module.__dict__)

    @staticmethod
    def get_source(fullname):
        """For tracebacks (linecache asks the module's loader)."""
        return sky_native._embedded_source(_stem(fullname))


def install(start=None):
    """`start`: the wheel's state from interpreter start (the flag and the
    namespaces replacement.install() would read); None in the launcher, which
    runs this at start-up."""
    # The launcher's sky_native is a builtin module; a __path__ lets it hold
    # submodules. The wheel's is a package: its own __path__ stays.
    if not hasattr(sky_native, '__path__'):
        sky_native.__path__ = []
    sys.meta_path.insert(0, EmbeddedImporter)
    from sky_native import _replacement
    _replacement.install(start)
    # The zygote forks children of sky-native's own interpreter (the
    # launcher's sys.executable), never of a plain python.
    if 'sky_native' in sys.builtin_module_names and zygote_requested():
        # Only then: the zygote's module brings sockets, selectors and pickle
        # into a process that may never start a child.
        from sky_native import _zygote
        _zygote.install()


def zygote_requested():
    """The API server zygote is on unless SKY_NATIVE_ZYGOTE=0 (false, no,
    off)."""
    import os
    value = os.environ.get('SKY_NATIVE_ZYGOTE', '')
    return value.strip().lower() not in ('0', 'false', 'no', 'off')
