"""Runs callbacks when a module is imported: a meta path finder that wraps
only the loaders of the modules something waits for, so that nothing is
imported early for it (SkyPilot's modules least of all).

The replacement hook (replacement.py) waits here for SkyPilot's modules and
for the modules their functions depend on; the zygote for
multiprocessing.context.
"""
import sys

# module name -> callbacks to run once it is imported.
_on_import = {}


def when_imported(module_name, callback):
    """Calls callback(module) now if `module_name` is imported, else right
    after its first successful import."""
    module = sys.modules.get(module_name)
    if module is not None:
        callback(module)
    else:
        _on_import.setdefault(module_name, []).append(callback)


class _NotifyingLoader:
    """Runs the callbacks after the real loader has executed the module."""

    def __init__(self, loader, callbacks):
        self._loader = loader
        self._callbacks = callbacks

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module):
        try:
            self._loader.exec_module(module)
        except BaseException:
            # The import failed and the module leaves sys.modules: the
            # callbacks wait for the next import of it.
            waiting = _on_import.get(module.__name__, [])
            _on_import[module.__name__] = list(self._callbacks) + waiting
            raise
        module.__loader__ = module.__spec__.loader = self._loader
        for callback in self._callbacks:
            callback(module)

    def __getattr__(self, name):
        return getattr(self._loader, name)


class WatchingFinder:
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
    """Puts the finder first on sys.meta_path (once per process)."""
    sys.meta_path.insert(0, WatchingFinder)
