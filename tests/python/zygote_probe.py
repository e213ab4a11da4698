"""A parent that starts multiprocessing `spawn` children the way SkyPilot's
API server does, and prints as JSON what each child sees of the differences
a fork could make (tests/python/test_zygote.py runs it with and without the
zygote).

Usage: sky-native zygote_probe.py [--as-server]

--as-server: the parent's main module is, for spawn, SkyPilot's server module
and it runs the server's main block up to where sky-native forks the zygote
from the server (see _as_server_main_block); otherwise the zygote is started
at the first child, as in any process that imported SkyPilot's executor.
"""
import json
import multiprocessing
import os
import random
import signal
import stat
import sys
import threading

import cli_runner  # beside this script, on its sys.path

# An API server process: what makes sky-native fork its spawn children from
# the zygote.
import sky.server.requests.executor  # noqa: F401


def _descriptors():
    fds = {}
    for entry in os.listdir('/proc/self/fd'):
        fd = int(entry)
        try:
            st = os.fstat(fd)
        except OSError:
            continue  # the listing's own
        fds[fd] = {'type': stat.S_IFMT(st.st_mode), 'inheritable': os.get_inheritable(fd),
                   'inode': st.st_ino if fd <= 2 else None}
    return fds


def _signals():
    result = {}
    for number in signal.valid_signals():
        try:
            handler = signal.getsignal(number)
        except (OSError, ValueError):
            continue
        result[signal.Signals(number).name if number in signal.Signals.__members__.values()
               else str(int(number))] = repr(handler)
    return result


def _ssh_config_lock():
    """Takes the `filelock` lock SkyPilot makes at import time (on
    ~/.sky/locks/.ssh_config.lock, for SSHConfigHelper.add_cluster): what a
    launch does. filelock refuses a lock made in another process."""
    from sky.utils import cluster_utils
    from sky.utils import lock_events
    wrapper = cluster_utils.SSHConfigHelper.add_cluster.__func__
    event, = [cell.cell_contents for cell in wrapper.__closure__
              if isinstance(cell.cell_contents, lock_events.FileLockEvent)]
    try:
        with event:
            return 'taken'
    except Exception as exc:  # what the launch would raise
        return f'{type(exc).__name__}: {exc}'


def report(queue):
    umask = os.umask(0)
    os.umask(umask)
    main = sys.modules['__main__']
    queue.put({
        'pid': os.getpid(),
        'ppid': os.getppid(),
        'ppid_cmdline': cli_runner.cmdline(os.getppid()),
        'parent_process': multiprocessing.parent_process().pid,
        'random': random.random(),
        'urandom': os.urandom(8).hex(),
        'threads': threading.active_count(),
        'tasks': len(os.listdir('/proc/self/task')),
        'descriptors': _descriptors(),
        'signals': _signals(),
        'mask': sorted(int(s) for s in signal.pthread_sigmask(signal.SIG_BLOCK, [])),
        'main_name': main.__name__,
        'main_names': sorted(n for n in vars(main) if not n.startswith('__')),
        'environ': dict(os.environ),
        'cwd': os.getcwd(),
        'argv': sys.argv,
        'umask': umask,
        'executable': sys.executable,
        'flags': str(sys.flags),
        'path': sys.path,
        'ssh_config_lock': _ssh_config_lock(),
    })


def report_main(queue):
    """What a child of a parent run as `-m sky.server.server` has as its
    main module (the zygote runs it once; spawn in every child)."""
    import gc
    from multiprocessing import spawn
    main = sys.modules['__main__']
    queue.put({
        'ppid': os.getppid(),
        'main_name': main.__name__,
        'main_spec': main.__spec__.name,
        'main_names': sorted(n for n in vars(main) if not n.startswith('__')),
        'is_mp_main': sys.modules.get('__mp_main__') is main,
        'sky_server_imported': 'sky.server.server' in sys.modules,
        'old_mains': [sorted(n for n in vars(m) if not n.startswith('__'))
                      for m in spawn.old_main_modules],
        # gc.freeze()'s permanent generation is not listed: a main module
        # run in the zygote is there, one run in this child is not.
        'main_frozen': not any(o is vars(main) for o in gc.get_objects()),
    })


def _as_server_module():
    """This process's main module is, for spawn, SkyPilot's server module (as
    under `sky-native -m sky.server.server`): each child runs it as
    __mp_main__, and unpickles its target from this module imported by name."""
    import importlib.util
    sys.modules['__main__'].__spec__ = importlib.util.find_spec('sky.server.server')


def _as_server_main_block():
    """What the server's main block does before it opens anything or starts
    a thread or a child: imports sky.server.uvicorn and sets up the server's
    logging, which sky-native precedes by forking the zygote from this
    process."""
    _as_server_module()
    from sky.server import uvicorn as skyuvicorn
    skyuvicorn.add_timestamp_prefix_for_server_logs()


def _main_as_server_module():
    """A child started while this process's main module is, for spawn,
    SkyPilot's server module."""
    import zygote_probe  # the child unpickles its target from there
    _as_server_module()
    queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=zygote_probe.report_main, args=(queue,))
    child.start()
    result = queue.get(timeout=120)
    child.join(60)
    return result


def exit_with(code):
    sys.exit(code)


def exit_hard(code):
    os._exit(code)


def raise_error():
    raise RuntimeError('raised in the child')


def wait_forever():
    threading.Event().wait()


def exit_at_exit(path):
    import atexit

    def write():
        with open(path, 'w', encoding='utf-8') as f:
            f.write('ran')

    atexit.register(write)


def _run(target, *args):
    child = multiprocessing.Process(target=target, args=args)
    child.start()
    child.join(60)
    return child.exitcode


def main():
    multiprocessing.set_start_method('spawn', force=True)
    # The children's targets, where they unpickle them from.
    probe = sys.modules[__name__]
    if sys.argv[1:] == ['--as-server']:
        # The first child's environment: the zygote forked here serves it;
        # the changes below make the next ones start a zygote of their own.
        os.environ['ZYGOTE_PROBE_STEP'] = '0'
        _as_server_main_block()
        import zygote_probe as probe
    # What the children must not inherit and must inherit.
    signal.signal(signal.SIGUSR1, signal.SIG_IGN)
    signal.signal(signal.SIGUSR2, lambda *_: None)
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGWINCH])
    random.seed(1234)
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    os.umask(0o027)
    results = {'parent_pid': os.getpid(), 'parent_cmdline': cli_runner.cmdline(os.getpid()),
               'parent_descriptors': _descriptors()}
    children = []
    for step in range(3):
        # An environment change after the first child reaches the next ones.
        os.environ['ZYGOTE_PROBE_STEP'] = str(step)
        queue = multiprocessing.Queue()
        child = multiprocessing.Process(target=probe.report, args=(queue,))
        child.start()
        children.append(queue.get(timeout=120))
        child.join(60)
    results['children'] = children
    results['exit_codes'] = {
        'sys.exit(3)': _run(probe.exit_with, 3),
        'sys.exit(None)': _run(probe.exit_with, None),
        'os._exit(7)': _run(probe.exit_hard, 7),
        'raise': _run(probe.raise_error),
    }
    victim = multiprocessing.Process(target=probe.wait_forever)
    victim.start()
    victim.terminate()
    victim.join(60)
    results['exit_codes']['terminate'] = victim.exitcode
    at_exit = os.path.join(os.getcwd(), 'atexit-ran')
    results['exit_codes']['atexit'] = _run(probe.exit_at_exit, at_exit)
    results['atexit_ran'] = os.path.exists(at_exit)
    results['main_by_name'] = _main_as_server_module()
    stop.set()
    json.dump(results, sys.stdout)


if __name__ == '__main__':
    main()
