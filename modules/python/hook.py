"""Replaces SkyPilot's Python versions of the functions with the native ones
when SkyPilot itself imports its modules; nothing of SkyPilot is imported
early for this.

SKYPILOT_USE_NATIVE=0 (or SKYPILOT_USE_RUST=0; also false, no, off in any
case) leaves every SkyPilot function its original object.
"""
import os
import sys

import sky_native
from sky_native import _functions as functions

FLAGS = ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')
_OFF_VALUES = frozenset(('0', 'false', 'no', 'off'))

# name -> (backend, reason) for the diagnostics.
_status = {}
# name -> SkyPilot's original Python function.
_originals = {}
# module name -> callbacks to run once it is imported.
_on_import = {}


def native_enabled() -> bool:
    return not any(
        os.environ.get(flag, '1').lower() in _OFF_VALUES for flag in FLAGS)


def _when_imported(module_name, callback):
    module = sys.modules.get(module_name)
    if module is not None:
        callback(module)
    else:
        _on_import.setdefault(module_name, []).append(callback)


def _watch_dependency(function_name, module_name, attribute):
    _when_imported(
        module_name, lambda owner: sky_native._add_dependency(
            function_name, owner, attribute))


def _replace_in(module):
    enabled = native_enabled()
    defined_here = [f for f in functions.FUNCTIONS if f.module == module.__name__]
    for function in defined_here:
        original = getattr(module, function.name, None)
        if original is None:
            _status[function.name] = (
                'python', f'{module.__name__} has no {function.name}')
            continue
        _originals[function.name] = original
        sky_native._register_original(function.name, original)
        native = getattr(sky_native, function.name, None)
        mismatch = functions.signature_mismatch(original, function)
        if native is None:
            _status[function.name] = ('python', 'no native version in this build')
        elif mismatch:
            _status[function.name] = ('python', f'signature mismatch: {mismatch}')
        elif not enabled:
            _status[function.name] = ('python', 'turned off by the flag')
        else:
            setattr(module, function.name, native)
            _status[function.name] = ('native', f'replaced in {module.__name__}')
    # After the replacements, so that a replaced function that is itself a
    # dependency (get_parallel_threads) is recorded as replaced.
    for function in defined_here:
        for module_name, attribute in function.dependencies:
            _watch_dependency(function.name, module_name, attribute)


class _NotifyingLoader:
    """Runs the callbacks after the real loader has executed the module."""

    def __init__(self, loader, callbacks):
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        self._loader.exec_module(module)
        module.__loader__ = module.__spec__.loader = self._loader
        for callback in self._callbacks:
            callback(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class ReplacementFinder:
    """A meta path finder that only wraps the loaders of watched modules."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        callbacks = _on_import.pop(fullname, None)
        if callbacks is None:
            return None
        for finder in sys.meta_path:
            if finder is cls or not hasattr(finder, 'find_spec'):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            _on_import[fullname] = callbacks
            return None
        if spec.loader is None or not hasattr(spec.loader, 'exec_module'):
            return spec
        spec.loader = _NotifyingLoader(spec.loader, callbacks)
        return spec


def install():
    for function in functions.FUNCTIONS:
        if function.module is None:
            _status[function.name] = (
                ('native', 'sky-native function')
                if hasattr(sky_native, function.name) else
                ('python', 'no native version in this build'))
        else:
            _status[function.name] = (
                'native' if native_enabled() else 'python',
                f'{function.module} not imported yet')
    for module_name in {f.module for f in functions.FUNCTIONS if f.module}:
        _when_imported(module_name, _replace_in)
    sys.meta_path.insert(0, ReplacementFinder)


def implementation(name):
    """The function SkyPilot code paths get for `name` under the flag."""
    function = next(f for f in functions.FUNCTIONS if f.name == name)
    if native_enabled() and hasattr(sky_native, name):
        return getattr(sky_native, name)
    if function.module is None:
        from sky_native import _python_impl  # pylint: disable=import-outside-toplevel
        return getattr(_python_impl, name)
    if name not in _originals:
        __import__(function.module)
    return _originals[name]


def function_status():
    """name -> (backend, reason), as of now."""
    if not native_enabled():
        return {
            name: ('python', reason if backend == 'python' else
                   'turned off by the flag')
            for name, (backend, reason) in _status.items()
        }
    return dict(_status)


def backend_info():
    enabled = native_enabled()
    return {
        'backend': 'native' if enabled else 'python',
        'version': sky_native.__version__,
        'available': True,
        'functions': {
            name: backend for name, (backend, _) in function_status().items()
        },
    }
