"""Every name a replaced function's Python code looks up at call time is a
dependency of the native function: patched (a test's mock, a plugin), the
native call defers to SkyPilot's Python, so both give the same result.

The names come from the code objects (the function, its nested code and its
helpers; sky-native's own functions: their Python versions), walked here
with dis, independently of the hook's derivation from co_names."""
import builtins
import dis
import io
import os
import sys
import tempfile
import types

from differential import native
from differential import original
import pytest

import sky_native
from sky.utils import common_utils
from sky.utils import subprocess_utils
from sky_native import _functions
from sky_native import _replacement
from sky_native import _python_impl

# Attribute lookups on objects other than modules, which the native code
# makes itself at the same point of the call (so a patch is seen by both).
LOOKED_UP_BY_THE_NATIVE_CODE = {
    'find_free_port': {'logger.debug'},
    'get_max_workers_for_file_mounts': {'logger.debug', 'logger.warning'},
}
# Python functions of the standard library reached by SkyPilot's code whose
# lookups of os's attributes must be dependencies too (genericpath's
# os.stat, os.getenv's environ).
_STDLIB_WRAPPERS = ('os', 'posixpath', 'genericpath')

_WORK = tempfile.mkdtemp(prefix='sky-native-dependencies-')
with open(os.path.join(_WORK, 'file.txt'), 'wb') as _file:
    _file.write(b'one\ntwo\n')

CALLS = {
    'read_last_n_lines': (os.path.join(_WORK, 'file.txt'), 1),
    'hash_file': (os.path.join(_WORK, 'file.txt'), 'md5'),
    'find_free_port': (20000,),
    'base36_encode': ('ff',),
    'format_float': (1.5,),
    'truncate_long_string': ('a long string with words', 10),
    'get_cpu_count': (),
    'get_mem_size_gb': (),
    'get_parallel_threads': ('kubernetes',),
    'get_max_workers_for_file_mounts': ({'/dst': _WORK},),
    'is_process_alive': (os.getpid(),),
    'estimate_fd_for_directory': (_WORK,),
}


def _module_of(function):
    return sys.modules[function.module] if function.module else _python_impl


def _python_functions(function):
    """The Python functions whose code a call runs: SkyPilot's function and
    its helpers, or sky-native's own Python version."""
    if function.module is None:
        return [getattr(_python_impl, function.name)]
    module = _module_of(function)
    found = []
    for qualified in function.code_names():
        name = qualified.rsplit('.', 1)[1]
        found.append(sky_native._original(name) if name in _functions.BY_NAME
                     else getattr(module, name))
    return found


def _codes(code):
    yield code
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            yield from _codes(constant)


def _lookups(code):
    """('global', name) for STORE_GLOBAL; else the dotted chains loaded:
    LOAD_GLOBAL followed by LOAD_ATTR / LOAD_METHOD."""
    chains, stores = set(), set()
    for nested in _codes(code):
        instructions = list(dis.get_instructions(nested))
        for i, instruction in enumerate(instructions):
            if instruction.opname == 'STORE_GLOBAL':
                stores.add(instruction.argval)
            if instruction.opname != 'LOAD_GLOBAL':
                continue
            chain = [instruction.argval]
            for following in instructions[i + 1:]:
                if following.opname not in ('LOAD_ATTR', 'LOAD_METHOD'):
                    break
                chain.append(following.argval)
            chains.add('.'.join(chain))
    return chains, stores


def _resolve(namespace, owner_name, chain):
    """The (owner, attribute) pairs looking up `chain` from `namespace` goes
    through, the value found, and the rest of the chain not resolved (looked
    up on an object that is not a module)."""
    first, *rest = chain.split('.')
    pairs = [(owner_name, first)]
    if first in namespace:
        value = namespace[first]
    else:
        pairs.append(('builtins', first))
        value = getattr(builtins, first)
    while rest:
        if type(value) is types.ModuleType:
            pairs.append((value.__name__, rest[0]))
            value = getattr(value, rest.pop(0))
        elif isinstance(value, types.ModuleType):  # SkyPilot's LazyImport proxy
            pairs.append((vars(value)['_module_name'], rest[0]))
            return pairs, None, []
        else:
            break
    return pairs, value, rest


def _expected(function):
    """What the code looks up (pairs), the chains through other objects, and
    the globals it assigns."""
    pairs, through_objects, stores = set(), set(), set()
    for python_function in _python_functions(function):
        chains, assigned = _lookups(python_function.__code__)
        stores |= assigned
        module = sys.modules[python_function.__module__]
        for chain in chains:
            if chain.split('.')[0] in function.state:
                continue
            resolved, value, rest = _resolve(vars(module), module.__name__, chain)
            pairs.update(resolved)
            if rest:
                through_objects.add(chain)
            if (isinstance(value, types.FunctionType) and
                    value.__module__ in _STDLIB_WRAPPERS):
                # One level into os / os.path: its lookups of os attributes.
                for inner in _lookups(value.__code__)[0]:
                    inner_pairs = _resolve(value.__globals__, value.__module__, inner)[0]
                    pairs.update(p for p in inner_pairs if p[0] == 'os')
    return pairs, through_objects, stores


def _registered(function):
    if function.module is None:
        return set(function.dependencies)
    return set(_replacement.code_dependencies(_module_of(function), function))


@pytest.mark.parametrize('name', _functions.NAMES)
def test_every_name_the_code_looks_up_is_a_dependency(name):
    function = _functions.BY_NAME[name]
    if function.module is not None:
        original(name)  # skips code not verified for this release
    pairs, through_objects, stores = _expected(function)
    missing = pairs - _registered(function)
    assert not missing, f'{name} looks these up but does not depend on them: {sorted(missing)}'
    assert through_objects <= LOOKED_UP_BY_THE_NATIVE_CODE.get(name, set()), name
    assert stores == set(function.state), name


def _patched_calls(function, pairs):
    """For each pair: is the native call deferred while owner.attribute is
    something else (or, missing at start, appears)?"""
    name = function.name
    real = sky_native._original(name) or _replacement.original(name)
    calls = []

    def recorder(*args, **kwargs):
        calls.append((args, kwargs))
        return 'deferred'

    sentinel = object()
    not_deferred = []
    arguments = CALLS[name]
    call = getattr(sky_native, name)
    sky_native._register_original(name, recorder)
    try:
        for owner_name, attribute in pairs:
            owner = sys.modules.get(owner_name)
            if owner is None:
                continue  # registered when it is imported
            had = attribute in vars(owner)
            previous = vars(owner).get(attribute)
            set_attribute, delete_attribute = setattr, delattr
            set_attribute(owner, attribute, sentinel)
            try:
                result = call(*arguments)
            finally:
                if had:
                    set_attribute(owner, attribute, previous)
                else:
                    delete_attribute(owner, attribute)
            if result != 'deferred':
                not_deferred.append((owner_name, attribute))
        assert call(*arguments) != 'deferred', 'restored dependencies must not defer'
    finally:
        sky_native._register_original(name, real)
    return not_deferred


@pytest.mark.parametrize('name', _functions.NAMES)
def test_every_dependency_patched_defers_to_python(name):
    function = _functions.BY_NAME[name]
    if function.module is not None:
        original(name)
    pairs = sorted(_registered(function) | _expected(function)[0])
    assert _patched_calls(function, pairs) == []


# --- the mocks of the finding, compared with SkyPilot's Python -------------


def _both(name, *args):
    """(native result, Python result)."""
    python = original(name) if _functions.BY_NAME[name].module else _replacement.original(name)
    return getattr(sky_native, name)(*args), python(*args)


def test_common_utils_open_patched(monkeypatch):
    def fake_open(path, mode='r', *args, **kwargs):
        del path, args, kwargs
        return io.BytesIO(b'fake\nlines\n') if 'b' in mode else io.StringIO('fake\n')

    monkeypatch.setattr(common_utils, 'open', fake_open, raising=False)
    path = os.path.join(_WORK, 'file.txt')
    nat, python = _both('read_last_n_lines', path, 1)
    assert nat == python == ['lines']
    nat, python = _both('hash_file', path, 'md5')
    assert nat.hexdigest() == python.hexdigest()
    monkeypatch.undo()
    assert not hasattr(common_utils, 'open')
    assert native('read_last_n_lines')(path, 1) == ['two']


def test_common_utils_os_patched(monkeypatch):
    fake_os = types.SimpleNamespace(**vars(os))
    fake_os.path = types.SimpleNamespace(**vars(os.path))
    fake_os.path.exists = lambda path: True
    monkeypatch.setattr(common_utils, 'os', fake_os)
    missing = os.path.join(_WORK, 'missing')
    with pytest.raises(RuntimeError) as from_native:
        native('read_last_n_lines')(missing, 1)
    with pytest.raises(RuntimeError) as from_python:
        original('read_last_n_lines')(missing, 1)
    assert str(from_native.value) == str(from_python.value)
    fake_os.getenv = lambda key, default=None: '3' if 'CPU' in key else default
    assert _both('get_cpu_count') == (3, 3)


def test_os_listdir_patched(monkeypatch):
    monkeypatch.setattr(os, 'listdir', lambda path: ['x'] * 5000)
    assert len(set(_both('estimate_fd_for_directory', _WORK))) == 1
    assert native('estimate_fd_for_directory')(_WORK) == 25000
    mounts = {'/dst': _WORK}
    assert len(set(_both('get_max_workers_for_file_mounts', mounts))) == 1


def test_os_kill_patched(monkeypatch):
    def refuse(pid, signal_number):
        del pid, signal_number
        raise ProcessLookupError

    monkeypatch.setattr(os, 'kill', refuse)
    assert _both('is_process_alive', os.getpid()) == (False, False)


def test_a_builtin_shadowed_in_the_module(monkeypatch):
    path = os.path.join(_WORK, 'file.txt')
    unpatched = native('read_last_n_lines')(path, 5, 2)
    # The chunks left in reading order: another answer, the same for both.
    monkeypatch.setattr(common_utils, 'reversed', lambda chunks: chunks, raising=False)
    nat, python = _both('read_last_n_lines', path, 5, 2)
    assert nat == python != unpatched


def test_subprocess_utils_globals(monkeypatch):
    monkeypatch.setattr(subprocess_utils, 'max', lambda *args: 1234, raising=False)
    assert _both('get_parallel_threads') == (1234, 1234)
