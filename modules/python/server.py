"""The command server: SkyPilot's CLI imported once, one fork per command.

Started by the launcher (`sky-native --native-server serve SOCKET`, the key
material on fd 3) with the environment and interpreter paths of the client
that missed it, so its import-time state is the one a cold `sky-native`
would build. It listens on SOCKET (in the user's private directory) and, per
request of a client of the same uid whose key material and state match,
forks: the child takes over the client's stdin/stdout/stderr, working
directory, umask, environment and argv, and returns from serve() to the
launcher's program, whose next line is the cold program's `_cli.main()`, so
the command runs, exits, prints tracebacks, handles KeyboardInterrupt and
finalises exactly as a cold process does. The wire format is the one of
core/include/sky/core/server_protocol.h.
"""
import atexit
import fcntl
import importlib.machinery
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import threading
import time
import types

_IDLE_SECONDS = float(os.environ.get('SKY_NATIVE_SERVER_IDLE_SECONDS', '1800'))
_TICK_SECONDS = 2.0
_MAX_PAYLOAD = 16 << 20
_PEERCRED = struct.Struct('3i')  # pid, uid, gid
_FD_COUNT = 4  # stdin, stdout, stderr, the working directory
_BLAS_THREADS = 'OPENBLAS_NUM_THREADS'
# A request's fields: key material, cwd, umask, resource limits, nice value,
# argc, then argv and the environment.
_ARGV_FIELD = 6
_RLIM_INFINITY_UNSIGNED = (1 << 64) - 1


def _encode(kind, *fields):
    payload = kind.encode() + b''.join(
        struct.pack('<I', len(f)) + f for f in (
            x if isinstance(x, bytes) else str(x).encode() for x in fields))
    return struct.pack('<I', len(payload)) + payload


def _decode(payload):
    kind, fields, at = chr(payload[0]), [], 1
    while at < len(payload):
        (size,) = struct.unpack_from('<I', payload, at)
        at += 4
        if at + size > len(payload):
            raise ValueError('field runs past the frame')
        fields.append(payload[at:at + size])
        at += size
    return kind, fields


def _receive_request(conn):
    """One frame and the descriptors sent with it: (kind, fields, fds)."""
    data, fds = b'', []
    cmsg_space = socket.CMSG_SPACE(_FD_COUNT * 4)
    while len(data) < 4 or len(data) < 4 + struct.unpack_from('<I', data)[0]:
        chunk, ancillary, _, _ = conn.recvmsg(1 << 16, cmsg_space)
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack(f'{len(payload) // 4}i',
                                          payload[:len(payload) // 4 * 4]))
        if not chunk:
            raise EOFError('the client went away')
        data += chunk
        if len(data) >= 4 and not 0 < struct.unpack_from('<I', data)[0] <= _MAX_PAYLOAD:
            raise ValueError('bad frame length')
    return (*_decode(data[4:]), fds)


def _stat_line(path):
    try:
        st = os.stat(path)
    except OSError as e:
        return (path, e.errno)
    return (path, st.st_ino, st.st_mtime_ns, st.st_size)


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


_MODULE_SUFFIXES = tuple(importlib.machinery.all_suffixes())
_METADATA_SUFFIXES = ('.pth', '.egg-link', '.dist-info', '.egg-info', '.egg')


def _packages_state(path_entries):
    """What a package install, upgrade or removal changes in sys.path: the
    importable names of each directory and the records of its packages.
    Not the directories' mtimes: files that no import can find (a build
    tree's logs next to the binary, whose directory is sys.path[0]) come
    and go there without changing anything the server imported."""
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


def _user_config_state():
    """SkyPilot's own and the user's config files, as skypilot_config finds
    them at import."""
    env = os.environ
    paths = [env.get('SKYPILOT_CONFIG') or '',
             os.path.expanduser(env.get('SKYPILOT_GLOBAL_CONFIG') or '~/.sky/config.yaml')]
    return [_stat_line(p) for p in paths]


def _project_config_state(cwd):
    """The project config a command started in `cwd` would load."""
    path = os.path.expanduser(os.environ.get('SKYPILOT_PROJECT_CONFIG') or '.sky.yaml')
    state = _stat_line(os.path.join(cwd, path))
    return None if len(state) == 2 else state  # none there: the same as none anywhere


def _parse_limits(field):
    """The client's resource limits: {resource: (soft, hard)}."""
    limits = {}
    for item in field.decode().split(','):
        if item:
            number, soft, hard = (int(x) for x in item.split(':'))
            limits[number] = tuple(resource.RLIM_INFINITY if v == _RLIM_INFINITY_UNSIGNED
                                   else v for v in (soft, hard))
    return limits


def _as_ceiling(value):
    return float('inf') if value == resource.RLIM_INFINITY else value


def _can_take(limits, niceness):
    """Whether a child of this server can have the client's limits and nice
    value: only root raises a hard limit or lowers the nice value (the
    command then runs cold, as it must run with what the client has)."""
    if os.geteuid() == 0:
        return True
    for number, (_, hard) in limits.items():
        if _as_ceiling(hard) > _as_ceiling(resource.getrlimit(number)[1]):
            return False
    return niceness >= os.getpriority(os.PRIO_PROCESS, 0)


def _is_single_threaded():
    return threading.active_count() == 1 and len(os.listdir('/proc/self/task')) == 1


def _rss_kib():
    with open('/proc/self/status', encoding='ascii') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


class _Server:
    """The accept loop. Single-threaded: it must stay so to fork safely."""

    def __init__(self, socket_path, material):
        self.socket_path = socket_path
        self.material = material
        self.started = time.time()
        self.served = 0
        self.last_activity = time.monotonic()
        self.selector = selectors.DefaultSelector()
        self.commands = {}  # pidfd -> (pid, conn)
        self.lock = None
        self.listener = None
        self.inode = None
        self.path_entries = list(sys.path)
        self.packages = None
        self.user_config = None
        self.project_config = None
        self.startup_seconds = None

    # -- life --

    def take_lock(self):
        """One server per key: the lock lives as long as the server."""
        self.lock = open(self.socket_path[:-len('.sock')] + '.lock', 'ab')  # pylint: disable=consider-using-with
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def preload(self):
        begin = time.monotonic()
        # numpy's OpenBLAS starts a thread pool at import, and the server must
        # stay single-threaded to fork. The pool only speeds up linear algebra,
        # which no CLI command does; each command gets the client's own
        # environment back wholesale.
        added = _BLAS_THREADS not in os.environ
        if added:
            os.environ[_BLAS_THREADS] = '1'
        try:
            from sky import cli  # pylint: disable=import-outside-toplevel,unused-import
            from sky_native import _cli  # pylint: disable=import-outside-toplevel,unused-import
        finally:
            if added:
                del os.environ[_BLAS_THREADS]
        self.packages = _packages_state(self.path_entries)
        self.user_config = _user_config_state()
        self.project_config = _project_config_state(os.getcwd())
        self.startup_seconds = time.monotonic() - begin

    def listen(self):
        temporary = f'{self.socket_path}.{os.getpid()}'
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            self.listener.bind(temporary)
        finally:
            os.umask(old_umask)
        self.listener.listen(64)
        os.rename(temporary, self.socket_path)  # atomic: a client sees old or new
        self.inode = os.stat(self.socket_path).st_ino
        self.selector.register(self.listener, selectors.EVENT_READ, 'accept')

    def owns_socket(self):
        try:
            return os.stat(self.socket_path).st_ino == self.inode
        except OSError:
            return False

    def retire(self):
        """Stops taking commands: the socket (if still ours) and the lock go."""
        if self.listener is not None:
            if self.owns_socket():
                try:
                    os.unlink(self.socket_path)
                except OSError:
                    pass
            self.selector.unregister(self.listener)
            self.listener.close()
            self.listener = None
        if self.lock is not None:
            self.lock.close()
            self.lock = None

    def run(self):
        """Serves until idle or retired; returns in each command's child."""
        while True:
            if self.listener is not None and not self.owns_socket():
                self.retire()  # another server took the name
            idle = time.monotonic() - self.last_activity > _IDLE_SECONDS
            if self.listener is not None and idle and not self.commands:
                self.retire()
            if self.listener is None and not self.commands:
                return None
            for key, _ in self.selector.select(_TICK_SECONDS):
                if key.data == 'accept':
                    child = self.accept()
                elif key.data == 'command':
                    child = None
                    self.command_finished(key.fileobj)
                else:
                    child = None
                    self.client_event(key.fileobj, key.data)
                if child is not None:
                    return child

    # -- one connection --

    def accept(self):
        try:
            conn, _ = self.listener.accept()
        except OSError:
            return None
        self.last_activity = time.monotonic()
        try:
            _, uid, _ = _PEERCRED.unpack(
                conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
            if uid != os.geteuid():
                conn.close()  # anyone else: not a word
                return None
            conn.settimeout(10)
            kind, fields, fds = _receive_request(conn)
        except (OSError, ValueError, EOFError, struct.error):
            conn.close()
            return None
        try:
            return self.dispatch(conn, kind, fields, fds)
        finally:
            for fd in fds:
                os.close(fd)

    def dispatch(self, conn, kind, fields, fds):
        if kind == 'S':
            self.reply(conn, 'I', self.describe())
        elif kind == 'Q':
            self.reply(conn, 'I', 'stopping')
            self.retire()
        elif kind == 'R':
            return self.request(conn, fields, fds)
        conn.close()
        return None

    def describe(self):
        return (f'pid {os.getpid()}, rss {_rss_kib() // 1024} MiB, up '
                f'{time.time() - self.started:.0f} s, start-up {self.startup_seconds:.2f} s, '
                f'{self.served} commands, {len(self.commands)} running')

    @staticmethod
    def reply(conn, kind, *fields):
        try:
            conn.sendall(_encode(kind, *fields))
        except OSError:
            pass

    def mismatch(self, conn, reason, respawn):
        self.reply(conn, 'M', reason, '1' if respawn else '0')
        conn.close()

    def request(self, conn, fields, fds):
        if len(fields) < _ARGV_FIELD or len(fds) != _FD_COUNT:
            return self.mismatch(conn, 'malformed request', False)
        material, argc = fields[0], int(fields[_ARGV_FIELD - 1])
        if material != self.material:
            return self.mismatch(conn, 'key', True)
        cwd = os.fsdecode(fields[1])
        changed = [name for name, now, then in (
            ('packages', _packages_state(self.path_entries), self.packages),
            ('config', _user_config_state(), self.user_config)) if now != then]
        if changed:
            # Installed packages or the user's config changed: this server's
            # imports are stale for every client. The socket and lock go first
            # so that the fresh server the client starts can take them.
            self.retire()
            return self.mismatch(conn, f'stale {"+".join(changed)}', True)
        if _project_config_state(cwd) != self.project_config:
            return self.mismatch(conn, 'project config', False)
        limits, niceness = _parse_limits(fields[3]), int(fields[4])
        if not _can_take(limits, niceness):
            return self.mismatch(conn, 'resource limits', False)
        if not _is_single_threaded():
            return self.mismatch(conn, 'threads running', False)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            return self.become_command(conn, fields, fds, argc, limits, niceness)
        self.served += 1
        pidfd = os.pidfd_open(pid)
        self.commands[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, 'command')
        conn.settimeout(None)
        self.selector.register(conn, selectors.EVENT_READ, pidfd)
        self.reply(conn, 'P', pid)
        return None

    def client_event(self, conn, pidfd):
        """Data or EOF from a client while its command runs: it went away."""
        try:
            data = conn.recv(1, socket.MSG_DONTWAIT)
        except BlockingIOError:
            return
        except OSError:
            data = b''
        if not data and pidfd in self.commands:
            try:
                os.kill(self.commands[pidfd][0], signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.selector.unregister(conn)

    def command_finished(self, pidfd):
        pid, conn = self.commands.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            self.reply(conn, 'K', os.WTERMSIG(status))
        else:
            self.reply(conn, 'X', os.waitstatus_to_exitcode(status))
        try:
            self.selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()
        self.last_activity = time.monotonic()

    # -- in the child --

    def become_command(self, conn, fields, fds, argc, limits, niceness):
        os.setpgid(0, 0)  # the client forwards terminal signals to this group
        for pidfd, (_, other) in self.commands.items():
            os.close(pidfd)
            other.close()
        self.selector.close()
        self.listener.close()
        self.lock.close()
        conn.close()
        for target, fd in enumerate(fds[:3]):
            os.dup2(fd, target)
        os.fchdir(fds[3])
        os.umask(int(fields[2], 8))
        for number, limit in limits.items():
            resource.setrlimit(number, limit)
        os.setpriority(os.PRIO_PROCESS, 0, niceness)
        argv = [os.fsdecode(a) for a in fields[_ARGV_FIELD:_ARGV_FIELD + argc]]
        os.environ.clear()
        for entry in fields[_ARGV_FIELD + argc:]:
            name, _, value = entry.partition(b'=')
            os.environb[name] = value
        # The stdio objects stay the ones SkyPilot's modules captured at
        # import (logging handlers hold them); their files are now the
        # client's, so buffering follows the client's files as at start-up.
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            if stream is not None and not stream.write_through:
                stream.reconfigure(line_buffering=stream is sys.stderr or stream.isatty())
        sys.argv[:] = [sys.argv[0], *argv[1:]]
        os._exit(_run_like_cold())


# The launcher's sky-mode program (kSkyCliProgram in launcher/launcher.cc).
_COLD_PROGRAM = 'import sky_native._cli as _cli\n_cli.main()\n'


def _exit_code_of_system_exit(exc):
    """What CPython's handle_system_exit makes of an unhandled SystemExit."""
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF  # as exit() passes it on
    try:
        sys.stderr.write(str(code) + '\n')
    except Exception:  # pylint: disable=broad-except
        pass
    return 1


def _unraisable(obj):
    sys.unraisablehook(types.SimpleNamespace(exc_type=type(sys.exception()),
                                             exc_value=sys.exception(),
                                             exc_traceback=sys.exception().__traceback__,
                                             err_msg=None, object=obj))


def _disable_signal_handling():
    """What Py_FinalizeEx's _PySignal_Fini does right after flushing the
    standard streams: each signal with a Python handler (SIGINT's
    default_int_handler included) goes back to SIG_DFL, so a Ctrl-C that
    arrives while the process ends kills it by SIGINT as it kills a cold
    one, instead of being caught by a handler that never runs."""
    for number in signal.valid_signals():
        try:
            handler = signal.getsignal(number)
        except (OSError, ValueError):
            continue
        if callable(handler):
            signal.signal(number, signal.SIG_DFL)


def _run_like_cold():
    """Runs the cold program in __main__ as Py_RunMain would and finalises
    as Py_FinalizeEx does up to what a user can see: unhandled exceptions
    printed by sys.excepthook with the same traceback (this frame left out),
    SystemExit codes, non-daemon threads joined, atexit callbacks, the
    standard streams flushed (a failure there exits 120), an unhandled
    KeyboardInterrupt ending by SIGINT. It skips the collection of every
    object: in a fork that would copy the whole preloaded heap (about a
    second) for nothing a command prints."""
    code = 0
    interrupted = False
    main_globals = sys.modules['__main__'].__dict__
    for name in [n for n in main_globals if not n.startswith('__')]:
        del main_globals[name]
    try:
        exec(compile(_COLD_PROGRAM, '<string>', 'exec'), main_globals)  # pylint: disable=exec-used
    except SystemExit as exc:
        code = _exit_code_of_system_exit(exc)
    except BaseException as exc:  # pylint: disable=broad-except
        interrupted = isinstance(exc, KeyboardInterrupt)
        exc = exc.with_traceback(exc.__traceback__.tb_next)
        sys.last_type, sys.last_value, sys.last_traceback = type(exc), exc, exc.__traceback__
        sys.excepthook(type(exc), exc, exc.__traceback__)
        code = 1
    try:
        threading._shutdown()  # pylint: disable=protected-access
    except BaseException:  # pylint: disable=broad-except
        pass
    atexit._run_exitfuncs()  # pylint: disable=protected-access
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None and not stream.closed:
                stream.flush()
        except Exception:  # pylint: disable=broad-except
            _unraisable(stream)
            code = 120
    _disable_signal_handling()
    if interrupted:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    return code


def serve(socket_path, material_fd=3):
    """The server process's program; each command's child ends in os._exit."""
    with os.fdopen(material_fd, 'rb') as source:
        material = source.read()
    server = _Server(socket_path, material)
    if not server.take_lock():
        sys.exit(0)  # a server for this key is running or starting
    try:
        server.preload()
    except BaseException:  # pylint: disable=broad-except
        # No server: clients keep running cold. Why, is in the log.
        import traceback  # pylint: disable=import-outside-toplevel
        traceback.print_exc()
        sys.exit(1)
    if not _is_single_threaded():
        sys.stderr.write('sky-native: threads run after the import; cannot fork safely\n')
        sys.exit(1)
    try:
        server.listen()
    except OSError as e:
        sys.stderr.write(f'sky-native: cannot listen on {socket_path}: {e}\n')
        sys.exit(1)
    server.run()
    sys.exit(0)
