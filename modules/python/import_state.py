"""What a preloaded process's imports depend on and a later change would
make stale: the packages on sys.path and SkyPilot's config files. The
command server (server.py) and the API server's zygote (zygote.py) compare
it at each request with what it was when they imported SkyPilot."""
import importlib.machinery
import os


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
