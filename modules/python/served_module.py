"""A SkyPilot module that a command server runs as `python -u -m MODULE`
runs it: SkyPilot's API server starts its managed-job controllers that way
(launcher/mode.h, kServedModule), a dozen long-lived processes in deploy
mode, each importing SkyPilot anew when started cold.

The server imports what the module's top level imports (not the module
itself: a cold run executes it as __main__, and imports it under its own
name only if its code asks), freezes that heap for its children, and each
child runs the module as CPython's -m does (runpy's _run_module_as_main,
sys.argv[0] '-m' until runpy sets the module's path, sys.path[0] the working
directory unless PYTHONSAFEPATH is set)."""
import ast
import gc
import importlib.util
import os
import runpy
import sys

from sky_native import _forked_child
from sky_native import _import_state


def preload(name):
    """Runs the module-level import statements of module `name`, in its
    order, as its top level would run them (the module's package for
    relative ones); then freezes the heap, so that its children, which live
    long, never collect it and unshare its pages."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f'No module named {name}', name=name)
    with open(spec.origin, 'rb') as source:
        tree = ast.parse(source.read(), spec.origin)
    imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    namespace = {'__name__': name, '__package__': spec.parent, '__builtins__': __builtins__}
    exec(compile(ast.Module(body=imports, type_ignores=[]), spec.origin, 'exec'), namespace)
    gc.collect()
    gc.freeze()


def _first_path_entry(cwd):
    """What -m puts first on sys.path: the working directory, unless
    PYTHONSAFEPATH (sys.flags.safe_path, the server's as the client's: the
    environment is the key) says not to."""
    return [] if sys.flags.safe_path else [cwd]


def runs_alike(cwd, path_entries):
    """Whether a cold run in `cwd` would import what the server imported: a
    module in the working directory named like one the server has imported
    would shadow it."""
    return _import_state.resolves_alike([*_first_path_entry(cwd), *path_entries], path_entries)


def descendants(pid):
    """Every process below `pid` (from each task's children list)."""
    found, parents = [], [pid]
    while parents:
        parent = parents.pop()
        try:
            tasks = os.listdir(f'/proc/{parent}/task')
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f'/proc/{parent}/task/{task}/children', encoding='ascii') as children:
                    below = [int(child) for child in children.read().split()]
            except OSError:
                continue
            found += below
            parents += below
    return found


def run(name, argv, cwd):
    """In a command's child: runs module `name` with the client's command
    line `argv` (its sys.orig_argv) in `cwd`, as Py_RunMain runs `-m`.
    Returns the exit code."""
    module_at = next(i for i, arg in enumerate(argv) if arg.startswith('-m'))
    rest = argv[module_at + (2 if argv[module_at] == '-m' else 1):]
    sys.orig_argv[:] = argv
    sys.argv[:] = ['-m', *rest]
    sys.path[:0] = _first_path_entry(cwd)
    return _forked_child.run_like_cold(runpy._run_module_as_main, name, True)
