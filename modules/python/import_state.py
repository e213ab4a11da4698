"""What a preloaded process's imports depend on and a later change would
make stale: the packages on sys.path, SkyPilot's config files, and sys.path
entries that would shadow an imported module. The command server
(server.py) and the API server's zygote (zygote.py) compare it at each
request with what it was when they imported SkyPilot."""
import importlib.machinery
import os
import sys


def _stat_line(path):
    try:
        st = os.stat(path)
    except OSError as e:
        return (path, e.errno)
    return (path, st.st_ino, st.st_mtime_ns, st.st_size)


_MODULE_SUFFIXES = tuple(importlib.machinery.all_suffixes())
_METADATA_SUFFIXES = ('.pth', '.egg-link', '.dist-info', '.egg-info', '.egg')


def _importable(name):
    """Whether an entry of a sys.path directory can be what an import or the
    site module finds (a module, a package, a .pth file, a package's
    metadata); a build directory's logs and temporaries cannot."""
    if name.startswith('.'):
        return False
    if name.endswith(_METADATA_SUFFIXES):
        return True
    stem, dot, _ = name.partition('.')
    return stem.isidentifier() and (not dot or name.endswith(_MODULE_SUFFIXES))


def packages_state(path_entries):
    """What a package install, upgrade or removal changes in sys.path: the
    importable names of each directory and the records of its packages.
    Not the directories' mtimes: files that no import can find (logs and
    temporaries in a directory on sys.path) come and go there without
    changing anything the server imported."""
    state = []
    for entry in path_entries:
        directory = os.path.abspath(entry or '.')
        try:
            names = sorted(n for n in os.listdir(directory) if _importable(n))
        except OSError as e:
            state.append((directory, e.errno))
            continue
        state.append((directory, names))
        for name in names:
            if name.endswith(('.dist-info', '.egg-info')):
                record = os.path.join(directory, name, 'RECORD')
                state.append(_stat_line(record if os.path.exists(record) else
                                        os.path.join(directory, name)))
            elif name.endswith(('.pth', '.egg-link')):
                state.append(_stat_line(os.path.join(directory, name)))
    return state


def user_config_state():
    """SkyPilot's own and the user's config files, as skypilot_config finds
    them at import."""
    env = os.environ
    paths = [env.get('SKYPILOT_CONFIG') or '',
             os.path.expanduser(env.get('SKYPILOT_GLOBAL_CONFIG') or '~/.sky/config.yaml')]
    return [_stat_line(p) for p in paths]


def project_config_state(cwd):
    """The project config a command started in `cwd` would load."""
    path = os.path.expanduser(os.environ.get('SKYPILOT_PROJECT_CONFIG') or '.sky.yaml')
    state = _stat_line(os.path.join(cwd, path))
    return None if len(state) == 2 else state  # none there: the same as none anywhere


def resolves_alike(path_now, path_then):
    """Whether every top-level module this process has imported resolves in
    sys.path `path_now` as in `path_then`: the same entries in the same
    order, and entries added that hold none of them."""
    path_now, path_then = list(dict.fromkeys(path_now)), list(dict.fromkeys(path_then))
    remaining = iter(path_now)
    if not all(entry in remaining for entry in path_then):
        return False  # not path_then with entries added
    added = [entry for entry in path_now if entry not in path_then]
    names = {name.partition('.')[0] for name in list(sys.modules)}
    return not any(shadows(entry, name) for entry in added for name in names)


def shadows(entry, name):
    """Whether sys.path entry `entry`, put before the others, could change
    what the imported top-level module `name` is: it holds a module or
    package of that name, or a namespace portion of it while it is a
    namespace package (a portion alone never wins over a regular package
    or module found anywhere on the path)."""
    spec = importlib.machinery.PathFinder.find_spec(name, [entry])
    if spec is None:
        return False
    if spec.loader is not None:
        return True
    module_spec = getattr(sys.modules.get(name), '__spec__', None)
    return module_spec is not None and module_spec.origin is None
