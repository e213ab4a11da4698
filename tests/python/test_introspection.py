"""The native functions introspect as SkyPilot's: inspect.signature gives
its parameters, defaults and annotations, mock's autospec rejects what the
original rejects, __wrapped__ and __doc__ lead back to it; pickling, copying
and help() work as for a builtin."""
import copy
import functools
import inspect
import pickle
import pydoc
import subprocess
import sys
from unittest import mock

from differential import native
from differential import original
import pytest

from sky_native import _functions
from sky_native import _replacement

NAMES = _functions.NAMES


def _python(name):
    """SkyPilot's function (code verified for this release), or sky-native's
    own Python version."""
    if _functions.BY_NAME[name].module is None:
        return _replacement.original(name)
    return original(name)


def _calls(name):
    """Argument lists around the function's parameters: each count from none
    to one too many, each keyword, an unknown one, one given twice."""
    parameters = [p for p, _ in _functions.BY_NAME[name].parameters]
    calls = [((None,) * count, {}) for count in range(len(parameters) + 2)]
    for parameter in parameters:
        calls.append(((), {parameter: None}))
        calls.append(((None,), {parameter: None}))
        calls.append(((None,) * (len(parameters) - 1), {parameter: None}))
    calls.append(((), {'no_such_parameter': None}))
    calls.append(((), {p: None for p in parameters}))
    return calls


def _accepts(mocked, args, kwargs):
    try:
        mocked(*args, **kwargs)
    except TypeError:
        return False
    return True


@pytest.mark.parametrize('name', NAMES)
def test_signature_is_skypilot_s(name):
    python = _python(name)
    assert inspect.signature(native(name)) == inspect.signature(python)
    assert native(name).__annotations__ == python.__annotations__
    assert native(name).__annotations__ is not python.__annotations__


@pytest.mark.parametrize('name', NAMES)
def test_autospec_rejects_what_the_original_rejects(name):
    python = _python(name)
    from_native = mock.create_autospec(native(name))
    from_python = mock.create_autospec(python)
    for args, kwargs in _calls(name):
        assert _accepts(from_native, args, kwargs) == _accepts(from_python, args, kwargs), (
            name, args, kwargs)


@pytest.mark.parametrize('name', [n for n in NAMES if _functions.BY_NAME[n].module])
def test_mock_patch_autospec_of_the_replaced_function(name):
    module = sys.modules[_functions.BY_NAME[name].module]
    original(name)
    assert getattr(module, name) is native(name)
    required = [p for p, d in _functions.BY_NAME[name].parameters
                if d is _functions.NO_DEFAULT]
    with mock.patch.object(module, name, autospec=True) as patched:
        getattr(module, name)(*([None] * len(required)))
        patched.assert_called_once()
        with pytest.raises(TypeError):
            getattr(module, name)(*([None] * (len(_functions.BY_NAME[name].parameters) + 1)))
    assert getattr(module, name) is native(name)


@pytest.mark.parametrize('name', NAMES)
def test_wrapped_and_doc_lead_back(name):
    python = _python(name)
    function = native(name)
    assert function.__wrapped__ is python
    assert inspect.unwrap(function) is python
    assert function.__doc__.startswith(_functions.BY_NAME[name].summary)
    if _functions.BY_NAME[name].module:
        assert f"SkyPilot's {_functions.BY_NAME[name].qualified()}" in function.__doc__
    if python.__doc__:
        assert function.__doc__.endswith(inspect.getdoc(python))
    assert (function.__name__, function.__qualname__, function.__module__) == (
        name, name, 'sky_native')
    assert function.__text_signature__ == _functions.BY_NAME[name].signature()[len(name):]


@pytest.mark.parametrize('name', NAMES)
def test_behaves_as_a_builtin(name):
    function = native(name)
    assert pickle.loads(pickle.dumps(function)) is function
    assert copy.copy(function) is function and copy.deepcopy(function) is function
    assert inspect.isroutine(function) and callable(function)
    assert repr(function) == f'<built-in function {name}>'

    class Holder:  # a class attribute stays itself, as a builtin does
        held = function

    assert Holder().held is function
    assert f'{name}(' in pydoc.render_doc(function, renderer=pydoc.plaintext)

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        return function(*args, **kwargs)

    assert wrapper.__wrapped__ is function
    assert inspect.signature(wrapper) == inspect.signature(function)
    with pytest.raises(TypeError):
        type(function)()


def test_introspection_before_skypilot_is_imported():
    code = ('import inspect, sys, sky_native\n'
            'print("sky.utils.common_utils" in sys.modules)\n'
            'print(inspect.signature(sky_native.hash_file))\n'
            'print(sky_native.hash_file.__wrapped__.__module__)\n')
    lines = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                           check=True, timeout=120).stdout.splitlines()
    assert lines == ['False', "(path: str, hash_alg: str) -> 'hashlib._Hash'",
                     'sky.utils.common_utils']
