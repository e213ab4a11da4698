"""What a native function shows of itself (modules/src/native_function.cc
asks here on first use): SkyPilot's function's signature, defaults,
annotations and docstring, and __wrapped__ leading to that function, so
inspect.signature, help(), functools and mock's autospec see what they see
of SkyPilot's function.

SkyPilot's function is found as the fallback finds it (importing its module
when needed); sky-native's own functions wrap their Python versions. When
there is none (no SkyPilot, a release without the function) or its
parameters are not the native binding's (an older release), the signature is
the description's, without annotations."""
from sky_native import _functions as functions

_cache = {}


def _python_function(name):
    """The Python function the native one stands in for, or None."""
    if name not in _cache:
        from sky_native import _replacement
        try:
            _cache[name] = _replacement.original(name)
        except Exception:  # no SkyPilot, or no such function
            _cache[name] = None
    return _cache[name]


def _described_signature(name):
    import inspect
    return inspect.Signature([
        inspect.Parameter(parameter, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                          default=(inspect.Parameter.empty if default is functions.NO_DEFAULT
                                   else default))
        for parameter, default in functions.BY_NAME[name].parameters])


def _matching(name):
    """(Python function, its signature) when its parameters and defaults are
    the native binding's, else (None, the description's signature)."""
    import inspect
    described = _described_signature(name)
    python = _python_function(name)
    if python is not None:
        try:
            theirs = inspect.signature(python)
        except (TypeError, ValueError):
            theirs = None
        if theirs is not None and [
                (p.name, p.kind, p.default) for p in theirs.parameters.values()] == [
                    (p.name, p.kind, p.default) for p in described.parameters.values()]:
            return python, theirs
    return None, described


def wrapped(name):
    """__wrapped__: the Python function (AttributeError without one)."""
    python = _python_function(name)
    if python is None:
        raise AttributeError(f'sky_native.{name} wraps no Python function here')
    return python


def signature(name):
    """__signature__: the Python function's when it matches the binding."""
    return _matching(name)[1]


def annotations(name):
    """__annotations__: a copy of the matching Python function's."""
    python = _matching(name)[0]
    return dict(python.__annotations__) if python is not None else {}


def doc(name):
    """__doc__: what it is, whose version, then the Python function's
    docstring."""
    import inspect
    text = functions.BY_NAME[name].docstring()
    python = _python_function(name)
    theirs = inspect.getdoc(python) if python is not None else None
    return f'{text}\n\n{theirs}' if theirs else text
