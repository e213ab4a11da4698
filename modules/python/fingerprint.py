"""The fingerprint of a Python function's code: what decides whether the
native version may replace it.

Fingerprints differ between Python versions (the bytecode does); the
verified table keeps them by version.

It covers what the function does (the bytecode, the constants, the names it
looks up, its parameters, defaults and the exception table), recursively for
nested code (comprehensions, lambdas, inner functions), and nothing about
where the code came from: not the source text, line numbers, file names or
mtimes. Two releases whose function bodies compile to the same code get the
same fingerprint; any change of behaviour in the body changes it.

Stable across processes: frozenset constants (`x in {...}`) are ordered by
their canonical form, never by hash (string hashes are randomized).
"""
_CODE_TYPE = type((lambda: None).__code__)


def _canonical(value):
    """A repr-able tree of `value` that does not depend on the process."""
    if isinstance(value, _CODE_TYPE):
        # co_exceptiontable exists from 3.11 (before, the bytecode holds the
        # exception blocks).
        return ('code', value.co_code, getattr(value, 'co_exceptiontable', b''),
                tuple(_canonical(c) for c in value.co_consts), value.co_names,
                value.co_varnames, value.co_freevars, value.co_cellvars,
                value.co_argcount, value.co_posonlyargcount,
                value.co_kwonlyargcount, value.co_flags, value.co_name)
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_canonical(v) for v in value))
    if isinstance(value, (frozenset, set)):
        return (type(value).__name__,
                tuple(sorted(repr(_canonical(v)) for v in value)))
    if isinstance(value, dict):
        return ('dict', tuple(sorted(
            (repr(_canonical(k)), _canonical(v)) for k, v in value.items())))
    if isinstance(value, float):
        return ('float', value.hex())
    if isinstance(value, complex):
        return ('complex', value.real.hex(), value.imag.hex())
    return (type(value).__name__, value)


def fingerprint(function):
    """A 16-hex-digit digest of `function`'s code, defaults and keyword
    defaults; None when it is not a Python function."""
    code = getattr(function, '__code__', None)
    if not isinstance(code, _CODE_TYPE):
        return None
    tree = (_canonical(code), _canonical(function.__defaults__),
            _canonical(function.__kwdefaults__))
    text = repr(tree).encode('utf-8', 'surrogatepass')
    # Imported here: SkyPilot's modules have imported it by then, and
    # start-up stays without it.
    import hashlib
    return hashlib.sha256(text).hexdigest()[:16]
