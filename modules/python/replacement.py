"""The replacement policy: replaces SkyPilot's Python versions of the
functions with the native ones when SkyPilot itself imports its modules
(importer.py watches for them; nothing of SkyPilot is imported early for
this), and derives what each function depends on at call time.

A function is replaced only when its code and the code of the helpers it
stands in for are implementations the native version was verified against
(their fingerprints are 'native' in verified_code.py). SKYPILOT_USE_NATIVE=0
(or SKYPILOT_USE_RUST=0; also false, no, off in any case), read once at
start-up, leaves every SkyPilot function its original object.

The originals and the start-up values of what they depend on are kept by the
native module (dispatch.cc): the one registry every native call consults. Why
SkyPilot's module holds what it holds is kept in each function's description
(`reason`, a status.Reason).
"""
import os
import sys

import sky_native
from sky_native import _fingerprint
from sky_native import _functions as functions
from sky_native import _importer as importer
from sky_native import _verified_code as verified_code

FLAGS = ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')
_OFF_VALUES = frozenset(('0', 'false', 'no', 'off'))
_MISSING = object()

# Set by install(): the flag as it was when sky-native started.
_enabled = True
# (module name, attribute) -> value when sky-native started (or when that
# module was first imported, if later); _MISSING when it had no such attribute.
_start_values = {}
# Modules every process has imported before any program code runs: their
# namespaces as they were then (install()), for the dependencies derived from
# SkyPilot's code when SkyPilot is imported, perhaps under a mock.
_STARTED_WITH = ('builtins', 'os', 'posixpath')
_start_namespaces = {}


def flag_enabled() -> bool:
    """What the flags in os.environ say now (read once by install())."""
    return not any(
        os.environ.get(flag, '1').lower() in _OFF_VALUES for flag in FLAGS)


def native_enabled() -> bool:
    """Whether replacement was on when sky-native started."""
    return _enabled


def _codes(code):
    yield code
    for constant in code.co_consts:
        if isinstance(constant, type(code)):
            yield from _codes(constant)


def code_dependencies(module, function):
    """The (module name, attribute) pairs a call of SkyPilot's `function`
    may look up, from the code objects of it and its helpers in `module`
    (nested code included): each name of their co_names that is a global of
    `module` or a builtin (then both: assigning the global shadows the
    builtin), and each of those names that is an attribute of a module
    reached so (os.path, os.SEEK_END, os.path.exists), plus
    function.dependencies. A superset of what the code looks up (co_names
    also holds the attribute names it uses on other objects), never less:
    the names of function.state excepted."""
    names = set()
    for qualified in function.code_names():
        short_name = qualified.rsplit('.', 1)[1]
        obj = (sky_native._original(short_name) if short_name in functions.BY_NAME
               else None) or getattr(module, short_name, None)
        code = getattr(obj, '__code__', None)
        if code is not None:
            for nested in _codes(code):
                names.update(nested.co_names)
    names.difference_update(function.state)
    pairs = set(function.dependencies)
    namespace = vars(module)
    builtins = sys.modules['builtins']
    reached = []
    for name in names:
        if name in namespace:
            value = namespace[name]
        elif hasattr(builtins, name):
            value = getattr(builtins, name)
            pairs.add(('builtins', name))
        else:
            continue
        pairs.add((module.__name__, name))
        reached.append(value)
    seen = set()
    while reached:
        owner = reached.pop()
        if not isinstance(owner, type(sys)):
            continue
        if type(owner) is not type(sys):
            # A module proxy (SkyPilot's LazyImport of psutil) imports its
            # module on first use, which this must not do: every name.
            proxied = vars(owner).get('_module_name')
            if isinstance(proxied, str):
                pairs.update((proxied, name) for name in names)
            continue
        if owner.__name__ in seen:
            continue
        seen.add(owner.__name__)
        for name in names.intersection(vars(owner)):
            pairs.add((owner.__name__, name))
            reached.append(vars(owner)[name])
    return sorted(pairs)


def _record_start_values(module):
    for function in functions.FUNCTIONS:
        for module_name, attribute in function.dependencies:
            if module_name == module.__name__:
                _start_values.setdefault(
                    (module_name, attribute), getattr(module, attribute, _MISSING))


def unverified_code(module, function):
    """Why SkyPilot's code for `function` (and its helpers) in `module` is not
    code the native version was verified against (a status.Reason), or None
    when it is."""
    # Here, not at the top: status imports enum, which only processes that
    # import SkyPilot (and so enum) should pay for.
    from sky_native._status import Reason, Why
    for qualified in function.code_names():
        short_name = qualified.rsplit('.', 1)[1]
        obj = getattr(module, short_name, None)
        if short_name in functions.BY_NAME:  # itself replaced, maybe
            obj = sky_native._original(short_name) or obj
        if obj is None:
            return Reason(Why.UNDEFINED, qualified)
        known = verified_code.CODE.get(sys.version_info[:2], {}).get(qualified, {}).get(
            _fingerprint.fingerprint(obj))
        if known is None or known[0] != 'native':
            return Reason(Why.UNVERIFIED, qualified)
    return None


def _replace_in(module):
    from sky_native._status import Reason, Why  # see unverified_code
    defined_here = [f for f in functions.FUNCTIONS if f.module == module.__name__]
    for function in defined_here:
        original = getattr(module, function.name, None)
        if original is not None:
            sky_native._register_original(function.name, original)
    # Every verdict before any replacement: a replaced function can be
    # another one's helper (get_parallel_threads).
    verdicts = {f.name: unverified_code(module, f) for f in defined_here}
    for function in defined_here:
        problem = verdicts[function.name]
        if problem is not None:
            function.reason = problem
        elif not _enabled:
            function.reason = Reason(Why.TURNED_OFF)
        else:
            setattr(module, function.name, getattr(sky_native, function.name))
            function.reason = Reason(Why.REPLACED, module.__name__)
    # Module attributes (common_utils.psutil ...) as the module's own code
    # left them, after the replacements (get_parallel_threads is recorded as
    # replaced).
    _record_start_values(module)
    for function in defined_here:
        _add_dependencies(function, code_dependencies(module, function))


def _add_dependencies(function, pairs):
    for module_name, attribute in pairs:
        importer.when_imported(module_name, lambda owner, name=function.name,
                               attribute=attribute: _add_dependency(name, owner, attribute))


def _add_dependency(name, owner, attribute):
    key = (owner.__name__, attribute)
    if key not in _start_values:  # not seen earlier: as it was at start, or now
        namespace = _start_namespaces.get(owner.__name__)
        _start_values[key] = (namespace.get(attribute, _MISSING) if namespace is not None
                              else getattr(owner, attribute, _MISSING))
    sky_native._add_dependency(name, owner, attribute, _start_values[key], _MISSING)


def install(start=None):
    """`start`: (flag enabled, {module: namespace}) as they were when the
    interpreter started, from the wheel's _sky_native_startup; None when
    that is now (the launcher)."""
    global _enabled
    if start is None:
        start = (flag_enabled(),
                 {name: dict(vars(sys.modules[name])) for name in _STARTED_WITH})
    _enabled, namespaces = start
    _start_namespaces.update(namespaces)
    # What every dependency is now, before any code of the program runs: a
    # mock that is active when SkyPilot is imported is then seen as a mock.
    external = {m for f in functions.FUNCTIONS for m, _ in f.dependencies
                if m not in functions.SKYPILOT_MODULES}
    for module_name in sorted(external):
        importer.when_imported(module_name, _record_start_values)
    for module_name in functions.SKYPILOT_MODULES:
        importer.when_imported(module_name, _replace_in)
    # sky-native's own functions: their Python versions' names, as listed.
    for function in functions.FUNCTIONS:
        if function.module is None:
            _add_dependencies(function, function.dependencies)
    importer.install()


def original(name):
    """SkyPilot's own Python function `name` (importing its module)."""
    function = functions.BY_NAME[name]
    if function.module is None:
        from sky_native import _python_impl
        return getattr(_python_impl, name)
    held = sky_native._original(name)
    if held is None:
        __import__(function.module)
        held = sky_native._original(name)
    if held is None:
        raise AttributeError(f'{function.qualified()} is not defined in this release')
    return held


def implementation(name):
    """What SkyPilot's code paths get for `name`: the object SkyPilot's module
    holds (importing it), or for sky-native's own functions the native one
    unless the flag turned replacement off."""
    function = functions.BY_NAME[name]
    if function.module is None:
        return getattr(sky_native, name) if _enabled else original(name)
    module = __import__(function.module, fromlist=['_'])
    held = getattr(module, name, None)
    # A release without it has no Python version to choose.
    return held if held is not None else getattr(sky_native, name)
