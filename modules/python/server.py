"""The command server: SkyPilot's CLI imported once, one fork per command.

Started by the launcher (`sky-native --native-server serve SOCKET`, the key
material on fd 3, the socket directory on fd 4, which the client opened and
checked) with the environment, credentials and interpreter paths of the
client that missed it, so its import-time state is the one a cold
`sky-native` would build. It listens on SOCKET (its lock and the socket are
made through the directory's descriptor, never through a link) and, per
request of a client of the same uid whose key material and state match,
forks: the child takes over the client's stdin/stdout/stderr, working
directory, umask, environment and argv, runs the launcher's sky-mode program
and ends in os._exit as a cold process would end (forked_child.py), so the
command runs, exits, prints tracebacks, handles KeyboardInterrupt and
finalises as a cold process does. The wire format and the request's fields
are server_protocol.py's; docs/command-server.md describes the whole.

No client can stall or stop it: requests are read without blocking, side by
side, each with one deadline for the whole request; a malformed one is
answered (or dropped when it never completes) with every descriptor it
brought closed.
"""
import errno
import fcntl
import gc
import os
import resource
import selectors
import signal
import socket
import stat
import struct
import sys
import time

from sky_native import _forked_child
from sky_native import _preloaded_locks
from sky_native import _import_state
from sky_native import _served_module
from sky_native import _server_protocol as protocol

_IDLE_SECONDS = float(os.environ.get('SKY_NATIVE_SERVER_IDLE_SECONDS', '1800'))
_TICK_SECONDS = 2.0
# The whole request, from accept to its last byte: a slow or stalled client
# is dropped then, whatever it trickles.
_REQUEST_SECONDS = 10.0
_PEERCRED = struct.Struct('3i')  # pid, uid, gid
# Room for more descriptors than a request has, to see (and close) extras.
_FD_ROOM = 16
_BLAS_THREADS = 'OPENBLAS_NUM_THREADS'


def _close_all(fds):
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


class _PendingRequest:
    """A request being read without blocking: its bytes and descriptors so
    far, and the moment it must be complete."""

    def __init__(self, conn):
        self.conn = conn
        self.data = b''
        self.fds = []
        self.deadline = time.monotonic() + _REQUEST_SECONDS

    def read(self):
        """Takes what has arrived. Returns (kind, fields) once the frame is
        complete, None while it is not; raises ValueError or EOFError for a
        request that can never be served."""
        try:
            chunk, ancillary, _, _ = self.conn.recvmsg(
                1 << 16, socket.CMSG_SPACE(_FD_ROOM * 4), socket.MSG_DONTWAIT)
        except (BlockingIOError, InterruptedError):
            return None
        for level, kind, payload in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                self.fds += struct.unpack(f'{len(payload) // 4}i',
                                          payload[:len(payload) // 4 * 4])
        if not chunk:
            raise EOFError('the client went away')
        self.data += chunk
        if len(self.data) < 4:
            return None
        size = protocol.payload_size(self.data)
        if len(self.data) < 4 + size:
            return None
        return protocol.decode(self.data[4:4 + size])

    def drop(self):
        _close_all(self.fds)
        self.fds = []
        self.conn.close()


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


def _rss_kib():
    with open('/proc/self/status', encoding='ascii') as status:
        for line in status:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    return 0


class _Server:
    """The accept loop. Single-threaded: it must stay so to fork safely."""

    def __init__(self, socket_path, material, directory_fd):
        self.socket_path = socket_path  # what status shows
        self.name = os.path.basename(socket_path)[:-len('.sock')]
        self.directory_fd = directory_fd
        self.material = material
        self.module = protocol.served_module(material)  # None: SkyPilot's CLI
        self.started = time.time()
        self.served = 0
        self.last_activity = time.monotonic()
        self.selector = selectors.DefaultSelector()
        self.commands = {}  # pidfd -> (pid, conn)
        self.pending = {}  # conn -> _PendingRequest
        self.lock = None
        self.listener = None
        self.inode = None
        self.path_entries = list(sys.path)
        self.packages = None
        self.user_config = None
        self.project_config = None
        self.startup_seconds = None
        self.locks = []  # filelock's, made by the preload (preloaded_locks.py)

    # -- life --

    def take_lock(self):
        """One server per key: the lock lives as long as the server. The
        lock file stays between servers; it is opened without following a
        link and used only when it is a regular file of this user (or
        root) that nobody else may write."""
        name, flags = f'{self.name}.lock', os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            self.lock = os.open(name, flags | os.O_CREAT | os.O_EXCL, 0o600,
                                dir_fd=self.directory_fd)
        except FileExistsError:
            self.lock = os.open(name, flags, dir_fd=self.directory_fd)
        st = os.fstat(self.lock)
        if (not stat.S_ISREG(st.st_mode) or st.st_uid not in (os.geteuid(), 0)
                or st.st_mode & 0o022):
            os.close(self.lock)
            self.lock = None
            raise PermissionError(f'{name}: not a private file of this user')
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
            if self.module is not None:
                _served_module.preload(self.module)
            else:
                from sky import cli  # noqa: F401  (imported to be preloaded)
                from sky_native import _cli  # noqa: F401
        finally:
            if added:
                del os.environ[_BLAS_THREADS]
        self.packages = _import_state.packages_state(self.path_entries)
        self.user_config = _import_state.user_config_state()
        self.project_config = _import_state.project_config_state(os.getcwd())
        self.startup_seconds = time.monotonic() - begin

    def listen(self):
        # bind() makes a new name (it fails on any existing entry, a link
        # included); through /proc/self/fd it is made in the checked
        # directory itself, never in whatever its path names now.
        temporary = f'{self.name}.sock.{os.getpid()}'
        try:
            os.unlink(temporary, dir_fd=self.directory_fd)
        except FileNotFoundError:
            pass
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)
        try:
            self.listener.bind(f'/proc/self/fd/{self.directory_fd}/{temporary}')
        finally:
            os.umask(old_umask)
        self.listener.listen(64)
        self.listener.setblocking(False)
        # Atomic: a client sees the old socket or the new one.
        os.rename(temporary, f'{self.name}.sock', src_dir_fd=self.directory_fd,
                  dst_dir_fd=self.directory_fd)
        self.inode = self.socket_inode()
        self.selector.register(self.listener, selectors.EVENT_READ, 'accept')

    def socket_inode(self):
        return os.stat(f'{self.name}.sock', dir_fd=self.directory_fd,
                       follow_symlinks=False).st_ino

    def owns_socket(self):
        try:
            return self.socket_inode() == self.inode
        except OSError:
            return False

    def retire(self):
        """Stops taking commands: the socket (if still ours) and the lock go,
        and requests not yet complete are hung up on (their clients run
        cold)."""
        for conn in list(self.pending):
            self.drop_pending(conn)
        if self.listener is not None:
            if self.owns_socket():
                try:
                    os.unlink(f'{self.name}.sock', dir_fd=self.directory_fd)
                except OSError:
                    pass
            self.selector.unregister(self.listener)
            self.listener.close()
            self.listener = None
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def run(self):
        """Serves until idle or retired. A command's child never returns
        here: it ends in os._exit (become_command)."""
        while True:
            if self.listener is not None and not self.owns_socket():
                self.retire()  # another server took the name
            idle = time.monotonic() - self.last_activity > _IDLE_SECONDS
            if self.listener is not None and idle and not self.commands:
                self.retire()
            if self.listener is None and not self.commands and not self.pending:
                return None
            self.drop_late_requests()
            for key, _ in self.selector.select(self.wait_seconds()):
                if key.data == 'accept':
                    self.accept()
                elif key.data == 'command':
                    self.command_finished(key.fileobj)
                elif key.data == 'request':
                    self.request_event(key.fileobj)
                else:
                    self.client_event(key.fileobj, key.data)

    def wait_seconds(self):
        """Until the next tick or the earliest request deadline."""
        if not self.pending:
            return _TICK_SECONDS
        first = min(p.deadline for p in self.pending.values())
        return max(0.0, min(_TICK_SECONDS, first - time.monotonic()))

    def drop_late_requests(self):
        now = time.monotonic()
        for conn in [c for c, p in self.pending.items() if p.deadline <= now]:
            self.drop_pending(conn)

    def drop_pending(self, conn):
        self.selector.unregister(conn)
        self.pending.pop(conn).drop()

    # -- one connection --

    def accept(self):
        """A new connection: kept, unread, until its request is complete;
        anyone but this user is hung up on at once."""
        try:
            conn, _ = self.listener.accept()
        except OSError as e:
            if e.errno in (errno.EMFILE, errno.ENFILE) and self.pending:
                # Out of descriptors: the oldest request, the likeliest to
                # be stalled, makes room.
                self.drop_pending(min(self.pending, key=lambda c: self.pending[c].deadline))
            return
        self.last_activity = time.monotonic()
        try:
            _, uid, _ = _PEERCRED.unpack(
                conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
        except OSError:
            uid = -1
        if uid != os.geteuid():
            conn.close()  # anyone else: not a word
            return
        conn.setblocking(False)
        self.pending[conn] = _PendingRequest(conn)
        self.selector.register(conn, selectors.EVENT_READ, 'request')

    def request_event(self, conn):
        """Bytes of a pending request arrived: dispatched once complete."""
        pending = self.pending[conn]
        try:
            frame = pending.read()
        except (OSError, ValueError, EOFError):
            self.drop_pending(conn)
            return
        if frame is None:
            return
        self.selector.unregister(conn)
        del self.pending[conn]
        kind, fields = frame
        conn.setblocking(True)
        conn.settimeout(_REQUEST_SECONDS)  # for the replies
        try:
            self.dispatch(conn, kind, fields, pending.fds)
        except Exception:
            # A request that should have been refused as malformed: one
            # client's fault never ends the server.
            import traceback
            traceback.print_exc()
            self.mismatch(conn, 'server error', False)
        finally:
            _close_all(pending.fds)

    def dispatch(self, conn, kind, fields, fds):
        if kind == protocol.STATUS:
            self.reply(conn, protocol.INFO, self.describe())
        elif kind == protocol.STOP:
            self.reply(conn, protocol.INFO, 'stopping')
            self.retire()
        elif kind == protocol.REQUEST:
            self.request(conn, fields, fds)
            return
        conn.close()

    def describe(self):
        return (f'pid {os.getpid()}, rss {_rss_kib() // 1024} MiB, up '
                f'{time.time() - self.started:.0f} s, start-up {self.startup_seconds:.2f} s, '
                f'{self.served} commands, {len(self.commands)} running')

    @staticmethod
    def reply(conn, kind, *fields):
        try:
            conn.sendall(protocol.encode(kind, *fields))
        except OSError:
            pass

    def mismatch(self, conn, reason, respawn):
        self.reply(conn, protocol.MISMATCH, reason, protocol.RESPAWN if respawn else '0')
        conn.close()

    def request(self, conn, fields, fds):
        if not fields or fields[protocol.KEY_MATERIAL_FIELD] != self.material:
            return self.mismatch(conn, 'key', True)
        try:
            request = protocol.parse_request(fields, fds)
        except (protocol.BadRequest, OSError) as e:
            return self.mismatch(conn, f'malformed request: {e}', False)
        changed = [name for name, now, then in (
            ('packages', _import_state.packages_state(self.path_entries), self.packages),
            ('config', _import_state.user_config_state(), self.user_config)) if now != then]
        if changed:
            # Installed packages or the user's config changed: this server's
            # imports are stale for every client. The socket and lock go first
            # so that the fresh server the client starts can take them.
            self.retire()
            return self.mismatch(conn, f'stale {"+".join(changed)}', True)
        if _import_state.project_config_state(request.cwd) != self.project_config:
            return self.mismatch(conn, 'project config', False)
        if self.module is not None and not _served_module.runs_alike(request.cwd,
                                                                     self.path_entries):
            return self.mismatch(conn, 'working directory shadows a module', False)
        if not _can_take(request.limits, request.niceness):
            return self.mismatch(conn, 'resource limits', False)
        if not _forked_child.is_single_threaded():
            return self.mismatch(conn, 'threads running', False)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.become_command(conn, request, fds)  # never returns
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:
            # Without a way to wait for it, the command may not run here;
            # the client runs it cold.
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return self.mismatch(conn, 'server busy', False)
        self.served += 1
        self.commands[pidfd] = (pid, conn)
        self.selector.register(pidfd, selectors.EVENT_READ, 'command')
        conn.settimeout(None)
        self.selector.register(conn, selectors.EVENT_READ, pidfd)
        self.reply(conn, protocol.STARTED, pid)
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
            pid = self.commands[pidfd][0]
            # A killed client was the command's process: a cold one killed
            # leaves its children running. A served module's client is
            # killed by SkyPilot's `sky api stop`, which kills the
            # controller's whole tree (kill_children_processes of the pid it
            # recorded, the client's), and the client has no children: its
            # command's tree goes too.
            doomed = [pid] + (_served_module.descendants(pid) if self.module else [])
            for victim in doomed:
                try:
                    os.kill(victim, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.selector.unregister(conn)

    def command_finished(self, pidfd):
        pid, conn = self.commands.pop(pidfd)
        self.selector.unregister(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            self.reply(conn, protocol.KILLED, os.WTERMSIG(status))
        else:
            self.reply(conn, protocol.EXITED, os.waitstatus_to_exitcode(status))
        try:
            self.selector.unregister(conn)
        except (KeyError, ValueError):
            pass
        conn.close()
        self.last_activity = time.monotonic()

    # -- in the child --

    def become_command(self, conn, request, fds):
        try:
            self.leave_server(conn)
            _preloaded_locks.take_over(self.locks)
            for target, fd in enumerate(fds[:3]):
                os.dup2(fd, target)
            os.fchdir(fds[3])
            _close_all(fds)
            os.umask(request.umask)
            for number, limit in request.limits.items():
                resource.setrlimit(number, limit)
            os.setpriority(os.PRIO_PROCESS, 0, request.niceness)
            os.environ.clear()
            for name, value in request.env:
                os.environb[name] = value
            for number in request.ignored:
                try:
                    signal.signal(number, signal.SIG_IGN)
                except (OSError, ValueError):
                    pass  # one nobody can ignore (SIGKILL, SIGSTOP)
            signal.pthread_sigmask(signal.SIG_SETMASK, request.blocked)
        except BaseException as e:
            # Never back into the server's loop: this process is a command.
            os.write(2, f'sky-native: cannot start the command: {e}\n'.encode())
            os._exit(1)
        # The stdio objects stay the ones SkyPilot's modules captured at
        # import (logging handlers hold them); their files are now the
        # client's, so buffering follows the client's files as at start-up.
        for stream in (sys.stdin, sys.stdout, sys.stderr):
            if stream is not None and not stream.write_through:
                stream.reconfigure(line_buffering=stream is sys.stderr or stream.isatty())
        if self.module is not None:
            os._exit(_served_module.run(self.module, request.argv, request.cwd))
        sys.orig_argv[:] = request.argv
        sys.argv[:] = [sys.argv[0], *request.argv[1:]]
        os._exit(_forked_child.run_like_cold(
            exec, compile(protocol.COLD_PROGRAM, '<string>', 'exec'),
            sys.modules['__main__'].__dict__))

    def leave_server(self, conn):
        """In a command's child: everything of the server's goes."""
        os.setpgid(0, 0)  # the client forwards terminal signals to this group
        for pidfd, (_, other) in self.commands.items():
            os.close(pidfd)
            other.close()
        for pending in self.pending.values():
            pending.drop()
        self.selector.close()
        if self.listener is not None:
            self.listener.close()
        if self.lock is not None:
            os.close(self.lock)
        os.close(self.directory_fd)
        conn.close()


def serve(socket_path, material_fd=protocol.MATERIAL_FD, directory_fd=protocol.DIRECTORY_FD):
    """The server process's program; each command's child ends in os._exit."""
    with os.fdopen(material_fd, 'rb') as source:
        material = source.read()
    os.set_inheritable(directory_fd, False)
    server = _Server(socket_path, material, directory_fd)
    try:
        if not server.take_lock():
            sys.exit(0)  # a server for this key is running or starting
    except OSError as e:
        sys.stderr.write(f'sky-native: no lock for {socket_path}: {e}\n')
        sys.exit(1)
    try:
        server.preload()
    except BaseException:
        # No server: clients keep running cold. Why, is in the log.
        import traceback
        traceback.print_exc()
        sys.exit(1)
    if not _forked_child.is_single_threaded():
        sys.stderr.write('sky-native: threads run after the import; cannot fork safely\n')
        sys.exit(1)
    gc.collect()  # a lock only garbage holds is not listed
    server.locks, refused = _preloaded_locks.find()
    if refused is not None:
        sys.stderr.write(f'sky-native: the import made {refused}; a command cannot take it\n')
        sys.exit(1)
    try:
        server.listen()
    except OSError as e:
        sys.stderr.write(f'sky-native: cannot listen on {socket_path}: {e}\n')
        sys.exit(1)
    server.run()
    sys.exit(0)
