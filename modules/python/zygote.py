"""The zygote: SkyPilot API server's `spawn` children forked from a preloaded
process instead of each importing SkyPilot from scratch.

SkyPilot's server forces multiprocessing's `spawn` start method; each request
worker then starts `sys.executable` (sky-native) and imports SkyPilot again,
about 150 MiB and a second or two of CPU apiece. In a sky-native process that
has imported SkyPilot's request executor, a `spawn` child is instead forked
from a zygote: a child of that process that has SkyPilot imported, has run
the parent's main module as spawn would in each child when that is
SkyPilot's (the server's `-m sky.server.server`), has `gc.freeze()`d it all
and waits, single-threaded, on a socket pair (no file system name). The
server (`-m sky.server.server`) forks it from itself in its main block,
before it opens anything or starts a thread or a child, so that the zygote
and its children share the server's own import of SkyPilot (the server's
heap is frozen too, so that its collections keep those pages shared); any
other such process, or the server where that fork could not be made, execs
it at its first `spawn` child with the interpreter flags, executable,
environment and working directory a spawn child would get, and it imports
the SkyPilot modules its parent has imported.

Per child the parent pickles exactly what spawn pickles (the preparation data
and the process object, the descriptors the pickle refers to keeping their
numbers), and sends the zygote its standard descriptors, those descriptors,
its umask, ignored signals and signal mask. The zygote compares what its
imports depend on (environment, working directory, sys.path, executable and
flags, the installed packages and SkyPilot's config, ids, process group and
session, resource limits, and the preparation data spawn's main-module step
reads) with the parent's current ones; anything different, threads alive in
it, or any failure, and the child is spawned cold as before. Its forked child
then holds those descriptors at their numbers and nothing else, has the
parent's stdio, umask, signal dispositions and mask as a freshly exec'd Python
would, a __main__ cleaned of the zygote's names, reseeded `random`, and runs
multiprocessing's own `spawn._main` (sys.argv, sys.path, cwd and the main
module as spawn sets them; a main module the zygote ran is kept, as spawn
keeps a forked process's), then ends as `spawn_main`'s `sys.exit()` would:
non-daemon threads joined, atexit callbacks, streams flushed, an unhandled
KeyboardInterrupt killing it by SIGINT. Its exit code reaches the parent's
Popen through the zygote, as multiprocessing's forkserver reports it.

The `filelock` locks the preload made (SkyPilot makes one at import) become
the child's, as its own import would have made them (preloaded_locks.py).

On by default; SKY_NATIVE_ZYGOTE=0 turns it off (docs/zygote.md).
"""
import builtins
import fcntl
import functools
import gc
import importlib.machinery
import os
import pickle
import resource
import selectors
import signal
import socket
import struct
import sys
import threading
import types

from sky_native import _cpython_private
from sky_native import _forked_child
from sky_native import _import_state
from sky_native import _preloaded_locks

# SkyPilot's module whose presence marks an API server process.
_SERVER_MODULE = 'sky.server.requests.executor'
# The server's main module (`-m sky.server.server`), a module only its main
# block imports, and that module's function the main block calls next.
_SERVER_MAIN = 'sky.server.server'
_SERVER_MAIN_BLOCK_MODULE = 'sky.server.uvicorn'
_SERVER_LOGGING_SETUP = 'add_timestamp_prefix_for_server_logs'
_MAX_MESSAGE = 4 << 20
_MAX_FDS = 250
_READY_TIMEOUT_SECONDS = 120.0
_RETURNCODE = struct.Struct('<i')
_BLAS_THREADS = 'OPENBLAS_NUM_THREADS'
_CPU_COUNTER_FILE = '/sys/devices/system/cpu/online'
# The part of spawn's preparation data that decides what its prepare() does
# to the main module (the rest only names the child).
_MAIN_PREPARATION = ('sys_path', 'sys_argv', 'dir', 'orig_dir', 'init_main_from_name',
                     'init_main_from_path')


def enabled():
    """On unless SKY_NATIVE_ZYGOTE=0, which keeps multiprocessing's spawn."""
    from sky_native import _bootstrap
    return _bootstrap.zygote_requested()


# -- what the zygote's imports depend on --


def _limits():
    return sorted((name, resource.getrlimit(getattr(resource, name)))
                  for name in dir(resource) if name.startswith('RLIMIT_'))


def _process_key():
    """What a child's start-up state depends on and the zygote cannot give
    it afterwards: equal at the zygote's start and at each request."""
    from multiprocessing import spawn
    return {
        'environ': dict(os.environb),
        'cwd': os.getcwd(),
        'executable': os.fsdecode(spawn.get_executable()),
        'flags': _cpython_private.interpreter_flags(),
        'ids': (os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getgroups()),
        'group': (os.getpgid(0), os.getsid(0)),
        'limits': _limits(),
        'nice': os.getpriority(os.PRIO_PROCESS, 0),
    }


def _installed_state(path_entries):
    return (_import_state.packages_state(path_entries), _import_state.user_config_state())


def _ignored_signals():
    ignored = []
    for number in signal.valid_signals():
        try:
            if signal.getsignal(number) == signal.SIG_IGN:
                ignored.append(int(number))
        except (OSError, ValueError):
            pass
    return ignored


def _send(sock, obj, fds=()):
    data = pickle.dumps(obj)
    if len(data) > _MAX_MESSAGE:
        raise ValueError('message too large')
    socket.send_fds(sock, [data], list(fds))


def _receive(sock):
    data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, _MAX_FDS)
    if not data:
        for fd in fds:
            os.close(fd)
        raise EOFError('the other end went away')
    return pickle.loads(data), fds


# -- the parent's side --


class _Zygote:
    """The parent's handle on its zygote process."""

    def __init__(self, pid, control, key, main, sys_path):
        self.pid = pid
        self.control = control
        self.key = key
        self.main = main
        self.sys_path = sys_path  # what its imports resolved in
        self.lock = threading.Lock()
        self.state = 'starting'  # then 'ready' or 'failed'

    @classmethod
    def started(cls, key, main):
        """A zygote exec'd as spawn's children are, that imports the SkyPilot
        modules this process has imported (a cold start's worth of time
        before it is ready)."""
        from multiprocessing import util
        parent_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [key['executable'], *key['flags'], '-c',
                f'from sky_native._zygote import main; main({zygote_end.fileno()})']
        try:
            pid = util.spawnv_passfds(os.fsencode(key['executable']), args,
                                      [zygote_end.fileno()])
        finally:
            zygote_end.close()
        zygote = cls(pid, parent_end, key, main, list(sys.path))
        main_spec = getattr(sys.modules.get('__main__'), '__spec__', None)
        main_name = main_spec.name if main_spec is not None else None
        preload = sorted(n for n in list(sys.modules)
                         if (n == 'sky' or n.startswith('sky.')) and n != main_name)
        _send(parent_end, {'key': key, 'sys_path': zygote.sys_path,
                           'preload': preload or ['sky'], 'main': main})
        return zygote

    @classmethod
    def forked(cls, key, main):
        """A zygote forked from this process, which has imported what a spawn
        child's main module imports and has started nothing yet (the server's
        main block): it shares this process's pages and is ready as soon as it
        has run the main module."""
        parent_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys_path = list(sys.path)
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()  # else the zygote's children would write it again
        # The imports' locks, listed before the freeze hides the heap from the
        # collector. The server's start waits for this step, so it makes no
        # full collection (0.1 s): the imports leave next to no garbage, and
        # what they left is frozen with the rest.
        locks = _preloaded_locks.find()
        # This process's heap is frozen too: its collections would otherwise
        # write to every object in it and unshare the pages the zygote and
        # its children share with it. What is frozen here was made by the
        # imports and lives as long as the process anyway.
        gc.freeze()
        pid = os.fork()
        if pid == 0:
            try:
                parent_end.close()
            finally:
                _forked_main(zygote_end, key, sys_path, main, locks)  # never returns
        zygote_end.close()
        return cls(pid, parent_end, key, main, sys_path)

    def usable(self, key, main):
        from multiprocessing import util
        with self.lock:
            if self.state == 'starting':
                self.control.settimeout(_READY_TIMEOUT_SECONDS)
                try:
                    reply, _ = _receive(self.control)
                    self.state = 'ready' if reply == 'ready' else 'failed'
                    if reply != 'ready':
                        util.debug(f'sky-native zygote: {reply}')
                except (OSError, EOFError, pickle.UnpicklingError):
                    self.state = 'failed'
                self.control.settimeout(None)
            return self.state == 'ready' and key == self.key and _same_main_run(main, self.main)

    def request(self, header, fds):
        """A connection to the zygote for one child: (socket, pid)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            with self.lock:
                socket.send_fds(self.control, [b'N'], [theirs.fileno()])
        finally:
            theirs.close()
        try:
            _send(ours, header, fds)
            reply, _ = _receive(ours)
        except BaseException:
            ours.close()
            raise
        if reply[0] != 'P':
            ours.close()
            return None, reply[1]
        return ours, reply[1]


_zygote = None
_zygote_lock = threading.Lock()


def _start_zygote(key, main):
    """The zygote for a parent in this state, started now if there is none
    (a fresh one replaces one started under another key or main module), or
    None if none can start."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None and (_zygote.key != key or
                                    not _same_main_run(main, _zygote.main)):
            _zygote.control.close()  # it ends when its control socket does
            _zygote = None
        if _zygote is None:
            try:
                _zygote = _Zygote.started(key, main)
            except (OSError, ValueError):
                return None
        return _zygote


def _zygote_for(key, main):
    """The zygote that can fork a child for a parent in this state, once it
    is ready, or None."""
    zygote = _start_zygote(key, main)
    return zygote if zygote is not None and zygote.usable(key, main) else None


def _fork_with_server(module):
    """SkyPilot's server (`-m sky.server.server`) imports sky.server.uvicorn
    in its main block once its environment is final, and then sets up its
    own logging (add_timestamp_prefix_for_server_logs, which its children
    must not have) before it opens a database or starts a thread or a child.
    Right before that call the zygote is forked from the server: it shares
    the server's import of SkyPilot instead of making its own, and is ready
    by the server's first child (the request queue's server, which the
    server waits for). Each child compares its state with the zygote's as
    always; where no zygote could be forked here, the first child starts
    one as in any other process."""
    main_module = sys.modules.get('__main__')
    if getattr(main_module, '__name__', None) != '__main__':
        return  # a spawned child: its main module is the server's, as __mp_main__
    main_spec = getattr(main_module, '__spec__', None)
    original = getattr(module, _SERVER_LOGGING_SETUP, None)
    if main_spec is None or main_spec.name != _SERVER_MAIN or original is None or \
            not _applies():
        return

    @functools.wraps(original)
    def fork_zygote_first(*args, **kwargs):
        setattr(module, _SERVER_LOGGING_SETUP, original)  # once, and as it was
        try:
            _fork_zygote()
        except Exception:  # pylint: disable=broad-except
            pass  # (a failed fork, say): the server goes on as without it
        return original(*args, **kwargs)

    setattr(module, _SERVER_LOGGING_SETUP, fork_zygote_first)


def _fork_zygote():
    global _zygote
    from multiprocessing import spawn
    main = _main_preparation(spawn.get_preparation_data(_SERVER_MAIN))
    _let_thread_pools_stop()
    if not _forked_child.is_single_threaded() or _unexpected_descriptors(()):
        return
    zygote = _Zygote.forked(_process_key(), main)
    with _zygote_lock:
        _zygote = zygote


def _let_thread_pools_stop():
    """Libraries that keep a pool of threads stop it when the process forks
    and start it again on their next use (numpy's OpenBLAS, through
    pthread_atfork): a fork whose child exits at once leaves this process
    with no such thread, so that the check for other threads that follows
    sees only the ones that would not stop."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


def _make_popen_class():
    from multiprocessing import popen_spawn_posix, reduction, spawn, util
    from multiprocessing import resource_tracker
    from multiprocessing.context import set_spawning_popen
    import io

    class ZygotePopen(popen_spawn_posix.Popen):
        """spawn's Popen, its child forked from the zygote when it can be."""

        def __init__(self, process_obj):
            self._zygote_conn = None
            super().__init__(process_obj)

        def _launch(self, process_obj):
            if not _applies():
                return super()._launch(process_obj)
            prep_data = spawn.get_preparation_data(_cpython_private.process_name(process_obj))
            key = _process_key()
            main = _main_preparation(prep_data)
            zygote = _zygote_for(key, main)
            if zygote is None:
                return super()._launch(process_obj)
            # As popen_spawn_posix.Popen._launch, up to how the child starts.
            initial_fds = list(self._fds)
            tracker_fd = resource_tracker.getfd()
            self._fds.append(tracker_fd)
            fp = io.BytesIO()
            set_spawning_popen(self)
            try:
                reduction.dump(prep_data, fp)
                reduction.dump(process_obj, fp)
            finally:
                set_spawning_popen(None)
            parent_r = child_w = child_r = parent_w = None
            try:
                # spawn's two pipes, in spawn's order: the child holds the
                # write end of the first (here nobody reads it: the zygote
                # reports the exit) and reads its pickle from the second.
                parent_r, child_w = os.pipe()
                child_r, parent_w = os.pipe()
                numbers = list(dict.fromkeys([0, 1, 2, *self._fds, child_r, child_w]))
                header = {'numbers': numbers, 'tracker_fd': tracker_fd, 'pipe': child_r,
                          'umask': _current_umask(), 'ignored': _ignored_signals(),
                          'mask': sorted(int(s) for s in signal.pthread_sigmask(
                              signal.SIG_BLOCK, [])),
                          'key': key, 'main': zygote.main}
                try:
                    conn, answer = zygote.request(header, numbers)
                except (OSError, EOFError, ValueError, pickle.UnpicklingError):
                    conn, answer = None, 'no zygote'
                if conn is None:
                    # Cold, exactly as spawn does (self._fds is as it was).
                    self._fds = initial_fds
                    for fd in (parent_r, child_w, child_r, parent_w):
                        os.close(fd)
                    parent_r = child_w = child_r = parent_w = None
                    util.debug(f'sky-native zygote: spawning cold ({answer})')
                    return super()._launch(process_obj)
                self.pid = answer
                self._zygote_conn = conn
                self.sentinel = conn.fileno()
                with open(parent_w, 'wb', closefd=False) as f:
                    f.write(fp.getbuffer())
            finally:
                for fd in (parent_r, child_w, child_r, parent_w):
                    if fd is not None:
                        os.close(fd)
            self.finalizer = util.Finalize(self, conn.close)
            return None

        def poll(self, flag=os.WNOHANG):
            if self._zygote_conn is None:
                return super().poll(flag)
            if self.returncode is None:
                from multiprocessing.connection import wait
                if not wait([self.sentinel], 0 if flag == os.WNOHANG else None):
                    return None
                try:
                    data = self._zygote_conn.recv(_RETURNCODE.size)
                    self.returncode = _RETURNCODE.unpack(data)[0]
                except (OSError, struct.error):
                    self.returncode = 255  # the zygote went away, as forkserver says
            return self.returncode

    return ZygotePopen


def _main_preparation(prep_data):
    main = {name: prep_data[name] for name in _MAIN_PREPARATION if name in prep_data}
    if 'sys_path' in main:
        # Imports search sys.path in the order of each entry's first
        # occurrence (SkyPilot's server prepends '.' more than once): a
        # repeated entry changes nothing the main module's run finds. The
        # child still gets the parent's own list from spawn's prepare().
        main['sys_path'] = list(dict.fromkeys(main['sys_path']))
    return main


def _same_main_run(now, then):
    """Whether running the main module under spawn's preparation `then` (a
    zygote's) imported what running it under `now` would: equal, or equal
    but for sys.path entries added (SkyPilot's database set-up prepends '.'
    after the zygote started) that hold none of the top-level modules
    this process has imported, so that every import resolves as before."""
    if now == then:
        return True
    rest_now, rest_then = dict(now), dict(then)
    path_now, path_then = rest_now.pop('sys_path', []), rest_then.pop('sys_path', [])
    return rest_now == rest_then and _import_state.resolves_alike(path_now, path_then)


def _current_umask():
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


def _applies():
    """Only in an API server process (the one whose children import SkyPilot),
    only while this interpreter is the one spawn starts, only when turned on."""
    from multiprocessing import spawn
    return (enabled() and _SERVER_MODULE in sys.modules and
            os.fsdecode(spawn.get_executable()) == sys.executable)


def _patch_spawn(context_module):
    popen_class = None

    def _popen(process_obj):
        nonlocal popen_class
        if popen_class is None:
            popen_class = _make_popen_class()
        return popen_class(process_obj)

    _cpython_private.set_spawn_popen(context_module, _popen)


def install():
    """Called at start-up in every sky-native process."""
    if not enabled():
        return
    from sky_native import _importer
    _importer.when_imported('multiprocessing.context', _patch_spawn)
    _importer.when_imported(_SERVER_MAIN_BLOCK_MODULE, _fork_with_server)


# -- the zygote's side --


def _open_descriptors():
    listed = [int(entry) for entry in os.listdir('/proc/self/fd')]
    open_now = []
    for fd in listed:  # the listing's own descriptor is closed by now
        try:
            os.fstat(fd)
            open_now.append(fd)
        except OSError:
            pass
    return open_now


def _describe(fd):
    try:
        return os.readlink(f'/proc/self/fd/{fd}')
    except OSError:
        return '?'


def _unexpected_descriptors(expected):
    """Open descriptors other than stdio, `expected` and the native CPU
    counter's (sky_native's counter checks its descriptor before each use
    and reopens it: core/functions/include/sky/functions/online_cpus.h)."""
    return [fd for fd in _open_descriptors()
            if fd not in (0, 1, 2, *expected) and _describe(fd) != _CPU_COUNTER_FILE]


def _preload(names):
    added = _BLAS_THREADS not in os.environ
    if added:
        # numpy's OpenBLAS would start a thread pool at import: no fork then.
        os.environ[_BLAS_THREADS] = '1'
    try:
        for name in names:
            try:
                __import__(name)
            except Exception:
                pass  # the child imports it (and fails) as a spawned one would
    finally:
        if added:
            del os.environ[_BLAS_THREADS]


def _prerun_main(main):
    """Runs a SkyPilot main module (the server's `-m sky.server.server`) as
    `__mp_main__` here, as spawn's prepare() runs it in every child, which
    then finds it run (spawn's own "if this process was forked" case). A
    script or another program's module is left to each child: its top level
    may depend on when and where it runs. Returns why the children cannot
    share it (it raised or wrote output a spawned child would), or None."""
    from multiprocessing import spawn
    if not main.get('init_main_from_name', '').startswith('sky.'):
        return None
    output = os.memfd_create('sky-native-zygote-main', os.MFD_CLOEXEC)
    saved = [os.dup(1), os.dup(2)]
    try:
        for fd in (1, 2):
            os.dup2(output, fd)
        try:
            spawn.prepare(main)
        except BaseException as exc:  # a spawned child would raise it
            return f'main module raised {type(exc).__name__}'
        finally:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
            for fd, original in zip((1, 2), saved):
                os.dup2(original, fd)
        if os.fstat(output).st_size:
            return 'main module writes output'
        return None
    finally:
        for fd in (output, *saved):
            os.close(fd)


class _ZygoteServer:
    """Single-threaded: forks only while no other thread exists."""

    def __init__(self, control, key, sys_path, main, original_main):
        self.control = control
        self.key = key
        self.sys_path = sys_path
        self.main = main
        self.original_main = original_main  # the `-c` one spawn's child has
        self.installed = None
        self.locks = []  # filelock's, made by the preload (preloaded_locks.py)
        self.selector = None
        self.children = {}  # pidfd -> (pid, conn)

    def run(self):
        """Serves until the parent closes the control socket (it went away
        or started a zygote for another state), then reports its children's
        exits until the last one ends (their Popen objects wait on them);
        returns a child's request in it."""
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.control, selectors.EVENT_READ, 'control')
        accepting = True
        while accepting or self.children:
            for key, _ in self.selector.select():
                if key.data == 'control':
                    try:
                        _, fds, _, _ = socket.recv_fds(self.control, 1, 1)
                    except OSError:
                        fds = []
                    if not fds:
                        self.selector.unregister(self.control)
                        accepting = False
                        continue
                    conn = socket.socket(fileno=fds[0])
                    child = self.serve(conn)
                    if child is not None:
                        return child
                else:
                    self.reap(key.fileobj)
        return None

    def serve(self, conn):
        fds = []
        try:
            header, fds = _receive(conn)
            reason = self.mismatch(header, fds)
            if reason is not None:
                _send(conn, ('M', reason))
                raise EOFError(reason)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                return (conn, header, fds)
            pidfd = os.pidfd_open(pid)
            self.children[pidfd] = (pid, conn)
            self.selector.register(pidfd, selectors.EVENT_READ, 'child')
            _send(conn, ('P', pid))
        except (OSError, EOFError, ValueError, pickle.UnpicklingError):
            conn.close()
        finally:
            if not (fds and os.getpid() != self.pid):
                for fd in fds:
                    os.close(fd)
        return None

    def mismatch(self, header, fds):
        if len(fds) != len(header['numbers']):
            return 'descriptors'
        if header['key'] != self.key or _process_key() != self.key:
            return 'state'
        if header['main'] != self.main:
            return 'main module'
        if _installed_state(self.sys_path) != self.installed:
            return 'installed packages or config'
        if not _forked_child.is_single_threaded():
            return 'threads running'
        return None

    def reap(self, pidfd):
        pid, conn = self.children.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        try:
            conn.send(_RETURNCODE.pack(os.waitstatus_to_exitcode(status)))
        except OSError:
            pass
        conn.close()

    pid = os.getpid()


def _restore_descriptors(header, fds):
    """The child's descriptors: the parent's, at the parent's numbers."""
    numbers = header['numbers']
    top = max(numbers + fds) + 1  # above every number in play
    moved = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, top) for fd in fds]
    keep = set(numbers)
    for fd in _open_descriptors():
        # The CPU counter's stays as a spawn child's import leaves it (a
        # passed one that takes its number makes it reopen).
        if fd not in keep and fd not in moved and _describe(fd) != _CPU_COUNTER_FILE:
            try:
                os.close(fd)
            except OSError:
                pass
    # spawn's fork_exec passes them inheritable.
    for number, fd in zip(numbers, moved):
        os.dup2(fd, number, inheritable=True)
    for fd in moved:
        os.close(fd)


def _restore_signals(header):
    """Dispositions as after exec + Python's start-up: what the parent
    ignores stays ignored, everything else is the default (SIGINT Python's
    KeyboardInterrupt handler unless ignored); the parent's mask."""
    ignored = set(header['ignored'])
    for number in signal.valid_signals():
        if number in (signal.SIGKILL, signal.SIGSTOP):
            continue
        if number in ignored:
            wanted = signal.SIG_IGN
        elif number == signal.SIGINT:
            wanted = signal.default_int_handler
        else:
            wanted = signal.SIG_DFL
        try:
            signal.signal(number, wanted)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, header['mask'])


def _become_child(server, conn, header, fds):
    from multiprocessing import spawn
    for pidfd, (_, other) in server.children.items():
        os.close(pidfd)
        other.close()
    server.selector.close()
    server.control.close()
    conn.close()
    _preloaded_locks.take_over(server.locks)
    _restore_descriptors(header, fds)
    os.umask(header['umask'])
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if stream is not None and not stream.write_through:
            stream.reconfigure(line_buffering=stream is sys.stderr or stream.isatty())
    main_globals = server.original_main.__dict__
    for name in [n for n in main_globals if not n.startswith('__')]:
        del main_globals[name]
    main_globals['spawn_main'] = spawn.spawn_main  # what spawn's -c imports
    _cpython_private.set_resource_tracker_fd(header['tracker_fd'])
    # The preloaded heap stays frozen: a collection that walked it would
    # write to every page of it and unshare them all.
    _restore_signals(header)
    code, interrupted = 0, False
    try:
        pipe = header['pipe']
        code = _cpython_private.spawn_child_main(pipe, os.dup(pipe))
    except SystemExit as exc:
        code = _forked_child.exit_code_of_system_exit(exc)
    except BaseException as exc:
        interrupted = isinstance(exc, KeyboardInterrupt)
        sys.excepthook(type(exc), exc, exc.__traceback__)
        code = 1
    else:
        code = _forked_child.exit_code_of_system_exit(SystemExit(code))
    os._exit(_forked_child.finalize(code, interrupted))


def main(control_fd):
    """The exec'd zygote's program (started with spawn's flags)."""
    # Terminal signals go to the parent's process group: the zygote outlives
    # them as long as its parent does, and ends when the parent's end closes.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    control = socket.socket(fileno=control_fd)
    try:
        setup, _ = _receive(control)
    except (OSError, EOFError, pickle.UnpicklingError):
        sys.exit(1)
    sys.path[:] = setup['sys_path']
    _preload(setup['preload'])
    _serve(control, setup['key'], setup['sys_path'], setup['main'], sys.modules['__main__'])


def _forked_main(control, key, sys_path, main_preparation, locks):
    """The forked zygote's program: as the exec'd zygote's from the point
    where its imports are done. It never returns into the server's code."""
    global _zygote, _zygote_lock
    try:
        _zygote, _zygote_lock = None, threading.Lock()  # its children's own
        _restore_signals({'ignored': [*_ignored_signals(), signal.SIGINT],
                          'mask': signal.pthread_sigmask(signal.SIG_BLOCK, [])})
        original_main = _command_line_main()
        sys.modules['__main__'] = original_main
        _serve(control, key, sys_path, main_preparation, original_main, locks)
    except BaseException:  # pylint: disable=broad-except
        sys.excepthook(*sys.exc_info())  # as an exec'd zygote's would be printed
        os._exit(1)
    os._exit(0)


def _command_line_main():
    """A __main__ as `python -c` starts with it (spawn's command line)."""
    module = types.ModuleType('__main__')
    module.__annotations__ = {}
    module.__builtins__ = builtins
    module.__loader__ = importlib.machinery.BuiltinImporter
    return module


def _serve(control, key, sys_path, main_preparation, original_main, inherited_locks=([], None)):
    """Runs the main module, reports whether the zygote is ready, then forks
    children until the parent closes the control socket. Returns when the
    zygote ends; in each child, runs it and exits. inherited_locks: what
    preloaded_locks.find() gave in the process this one was forked from,
    whose heap is frozen (a scan here sees only what is not)."""
    main_unsafe = _prerun_main(main_preparation)
    server = _ZygoteServer(control, _process_key(), sys_path, main_preparation, original_main)
    server.pid = os.getpid()
    server.installed = _installed_state(sys_path)
    gc.collect()  # before the locks are listed, and the heap frozen below
    locks, locks_refused = _preloaded_locks.find()
    server.locks = [*inherited_locks[0], *locks]
    locks_refused = inherited_locks[1] or locks_refused
    # A descriptor the imports left open could collide with one the parent
    # passes (a spawn child opens it after those): such a zygote serves none.
    extra = _unexpected_descriptors((control.fileno(),))
    unsafe = [reason for reason, bad in (
        (main_unsafe, main_unsafe),
        (locks_refused, locks_refused),
        ('state', server.key != key),
        ('threads', not _forked_child.is_single_threaded()),
        ('descriptors ' + ' '.join(f'{fd}:{_describe(fd)}' for fd in extra), extra)) if bad]
    gc.freeze()  # the preloaded heap stays shared with every child
    try:
        _send(control, 'unsafe: ' + ', '.join(unsafe) if unsafe else 'ready')
    except OSError:
        return
    if unsafe:
        return
    child = server.run()
    if child is not None:
        _become_child(server, *child)
