"""`filelock` locks that preloaded modules made at import time, taken over
by the children forked from the preloading process (the zygote's spawn
children, the command server's commands).

filelock (4.x) binds each lock to the process that made it: in a forked
child its at-fork hook empties every inherited lock and marks it void, and
using one raises "RuntimeError: UnixFileLock on ... was inherited across
fork; construct a new instance". SkyPilot makes such a lock when
sky/utils/cluster_utils.py is imported (`SSHConfigHelper.add_cluster` is
decorated with a `FileLockEvent` on ~/.sky/locks/.ssh_config.lock); a cold
process's own import makes its own. The hook has already reset everything the
lock held, so what is left of being that fresh lock is belonging to the
child. A lock that cannot be taken over so (held, or a singleton that filelock
hands to later constructors from a registry the hook empties) keeps the
preloading process from forking children at all.
"""
import gc
import os
import sys


def find():
    """In the preloading process, before it forks: (the locks its imports
    made, why a child could not take them over or None). A lock that is
    garbage is nobody's: after a collection it is neither taken over nor
    refused; without one it counts as any other (at worst refused, and
    nothing forks from this process)."""
    filelock = sys.modules.get('filelock')
    if filelock is None:
        return [], None
    pid = os.getpid()
    locks, refused = [], []
    from_filelock = {}  # type -> whether filelock defines it
    for obj in gc.get_objects():
        kind = type(obj)
        ours = from_filelock.get(kind)
        if ours is None:
            module = getattr(kind, '__module__', None)
            ours = from_filelock[kind] = isinstance(module, str) and \
                module.partition('.')[0] == 'filelock'
        # Older filelock releases bind nothing to the process: no _creator_pid.
        if not ours or getattr(obj, '_creator_pid', None) != pid:
            continue
        if isinstance(obj, filelock.BaseFileLock) and not obj.is_singleton and not obj.is_locked:
            locks.append(obj)
        else:
            refused.append(f'{kind.__name__} on {getattr(obj, "lock_file", "?")}')
    return locks, ('filelock ' + ', '.join(refused) if refused else None)


def take_over(locks):
    """In the forked child: each lock becomes this process's, as the one its
    own import would have made."""
    pid = os.getpid()
    for lock in locks:
        lock._creator_pid = pid  # pylint: disable=protected-access
