"""Signals during long calls of SkyPilot's functions, as a script:
`sky-native signal_scenarios.py SCRATCH_DIR SEED` runs every scenario in the
main thread and prints one JSON object, scenario name -> list of outcomes.
Run with SKYPILOT_USE_NATIVE=0 it records SkyPilot's Python; with the flag
on, the native functions (it checks that SkyPilot's modules hold them).
test_signals_during_native_call.py compares the two.

An outcome is what the call did -- ('raised', exception type[, cause type])
or ('returned', a digest of the result) -- plus, for the long calls, whether
each signal handler ran while the call was still at work (the file still
open, the port probe still going), which is what tells a handler run between
two reads from one run when the call is over.
"""
import errno
import hashlib
import json
import os
import random
import signal
import socket
import sys
import threading
import time

from sky.utils import common_utils


class Alarm(Exception):
    """What the SIGALRM handler raises."""


class Terminated(Exception):
    """What the SIGTERM handler raises."""


# Threads of kill_later that have not sent their signal yet.
_senders = []


def outcome(call):
    """What `call()` did; then waits for the pending senders, so that a
    signal that comes only after the call shows as 'late' here instead of
    striking later code."""
    try:
        result = call()
    except BaseException as e:
        cause = e.__cause__
        found = ['raised', type(e).__name__] + ([type(cause).__name__] if cause else [])
    else:
        if hasattr(result, 'hexdigest'):
            found = ['returned', result.hexdigest()]
        elif isinstance(result, list):
            found = ['returned', len(result),
                     hashlib.md5(''.join(result).encode('utf-8', 'surrogatepass')).hexdigest()]
        else:
            found = ['returned', repr(result)]
    while _senders and threading.current_thread() is threading.main_thread():
        try:
            _senders.pop().join()
        except BaseException as e:
            found.append(f'late {type(e).__name__}')
    return found


def main_thread_blocked():
    """Whether the main thread sleeps in the open(2) of a FIFO or in the
    read(2) of a FIFO or pipe."""
    task = f'/proc/self/task/{threading.main_thread().native_id}/wchan'
    with open(task, encoding='ascii') as f:
        return f.read() in ('wait_for_partner', 'pipe_read', 'anon_pipe_read')


def wait_until(predicate, timeout=5):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.0005)
    return True


def kill_later(delay, signum, blocking=False, when=None):
    """Sends `signum` to this process `delay` s after the main thread blocks
    (`blocking`) or after `when()` is true -- the call is under way then,
    however long starting this thread took on a loaded machine -- from
    another thread: a process-directed signal, the kernel picks the
    thread."""
    def send():
        if blocking and not wait_until(main_thread_blocked):
            return  # the outcome then shows that no signal came
        if when is not None and not wait_until(when):
            return
        time.sleep(delay)
        os.kill(os.getpid(), signum)
    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    _senders.append(thread)
    return thread


def alarm_after(delay):
    signal.setitimer(signal.ITIMER_REAL, delay)


def raise_alarm(signum, frame):
    del signum, frame
    raise Alarm()


def raise_terminated(signum, frame):
    del signum, frame
    raise Terminated()


def is_open(path):
    """Whether this process has `path` open now."""
    for fd in os.listdir('/proc/self/fd'):
        try:
            if os.readlink(f'/proc/self/fd/{fd}') == path:
                return True
        except OSError:
            pass
    return False


def delays(rng, count, low, high):
    return [rng.uniform(low, high) for _ in range(count)]


def scenarios(scratch, rng):
    fifo = os.path.join(scratch, 'fifo')
    os.mkfifo(fifo)
    results = {}

    def record(name, value):
        results.setdefault(name, []).append(value)

    # SIGINT with Python's own handler (KeyboardInterrupt): open(2) of a FIFO
    # with no writer, in hash_file and read_last_n_lines.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for delay in delays(rng, 4, 0.005, 0.03):
        kill_later(delay, signal.SIGINT, blocking=True)
        record('hash_file, FIFO without writer, SIGINT',
               outcome(lambda: common_utils.hash_file(fifo, 'md5')))
    for delay in delays(rng, 3, 0.005, 0.03):
        kill_later(delay, signal.SIGINT, blocking=True)
        record('read_last_n_lines, FIFO without writer, SIGINT',
               outcome(lambda: common_utils.read_last_n_lines(fifo, 5)))

    # A SIGTERM handler that raises: read(2) of a FIFO whose writer writes
    # nothing.
    signal.signal(signal.SIGTERM, raise_terminated)
    silent_writer = os.open(fifo, os.O_RDWR)
    for delay in delays(rng, 3, 0.005, 0.03):
        kill_later(delay, signal.SIGTERM, blocking=True)
        record('hash_file, FIFO with a silent writer, SIGTERM handler raising',
               outcome(lambda: common_utils.hash_file(fifo, 'md5')))
    os.close(silent_writer)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    # A SIGALRM handler that raises: an empty pipe (its writer open) and
    # /dev/zero, which never ends.
    signal.signal(signal.SIGALRM, raise_alarm)
    read_end, write_end = os.pipe()
    for delay in delays(rng, 3, 0.005, 0.03):
        alarm_after(delay)
        record('hash_file, empty pipe, SIGALRM handler raising',
               outcome(lambda: common_utils.hash_file(f'/proc/self/fd/{read_end}', 'md5')))
    os.close(read_end)
    os.close(write_end)
    for delay in delays(rng, 3, 0.005, 0.03):
        alarm_after(delay)
        record('hash_file, /dev/zero, SIGALRM handler raising',
               outcome(lambda: common_utils.hash_file('/dev/zero', 'md5')))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for delay in delays(rng, 2, 0.005, 0.03):
        kill_later(delay, signal.SIGINT, when=lambda: is_open('/dev/zero'))
        record('hash_file, /dev/zero, SIGINT',
               outcome(lambda: common_utils.hash_file('/dev/zero', 'md5')))

    # A handler raising an OSError (TimeoutError) inside read_last_n_lines:
    # SkyPilot's `except OSError` wraps it in RuntimeError.
    def raise_timeout(signum, frame):
        del signum, frame
        raise TimeoutError(errno.ETIMEDOUT, 'timed out')
    signal.signal(signal.SIGALRM, raise_timeout)
    for delay in delays(rng, 2, 0.005, 0.03):
        alarm_after(delay)
        record('read_last_n_lines, FIFO without writer, SIGALRM handler raising TimeoutError',
               outcome(lambda: common_utils.read_last_n_lines(fifo, 5)))

    # A SIGALRM handler that returns: the call goes on (open(2) is retried)
    # and completes once a writer comes, with the right result.
    def returning_handler(released):
        def handler(signum, frame):
            del signum, frame
            released.set()
        return handler

    def writer_after(released, data):
        def write():
            released.wait()
            try:
                with open(fifo, 'wb') as f:
                    f.write(data)
            except BrokenPipeError:  # the reader gave up (cannot seek)
                pass
        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        return thread

    for delay in delays(rng, 3, 0.005, 0.03):
        released = threading.Event()
        signal.signal(signal.SIGALRM, returning_handler(released))
        writer = writer_after(released, b'written after the signal\n' * 1000)
        alarm_after(delay)
        record('hash_file, FIFO without writer, SIGALRM handler returning',
               outcome(lambda: common_utils.hash_file(fifo, 'sha256')))
        writer.join()
    for delay in delays(rng, 2, 0.005, 0.03):
        released = threading.Event()
        signal.signal(signal.SIGALRM, returning_handler(released))
        writer = writer_after(released, b'a\nb\n')
        alarm_after(delay)
        # Opened once the writer comes; a FIFO cannot seek (RuntimeError).
        record('read_last_n_lines, FIFO without writer, SIGALRM handler returning',
               outcome(lambda: common_utils.read_last_n_lines(fifo, 5))[:2])
        writer.join()

    # The signal delivered to another thread (pthread_kill): the blocked
    # open(2) is not interrupted, as CPython's own is not; the handler runs
    # once a writer lets the call go on, at the call's next check.
    signal.signal(signal.SIGALRM, raise_alarm)

    def signal_self_then_write():
        wait_until(main_thread_blocked)
        signal.pthread_kill(threading.get_ident(), signal.SIGALRM)
        time.sleep(0.05)
        try:
            with open(fifo, 'wb') as f:
                f.write(b'x')
        except BrokenPipeError:  # the reader raised as soon as it opened
            pass
    for _ in range(2):
        helper = threading.Thread(target=signal_self_then_write, daemon=True)
        helper.start()
        record('hash_file, FIFO without writer, SIGALRM delivered to another thread',
               outcome(lambda: common_utils.hash_file(fifo, 'md5')))
        helper.join()

    # SA_RESTART (signal.siginterrupt(..., False)): the kernel restarts
    # open(2), so neither CPython nor the native call sees EINTR; the handler
    # runs once a writer lets the call go on.
    signal.siginterrupt(signal.SIGALRM, False)

    def write_once_blocked():
        wait_until(main_thread_blocked)
        time.sleep(0.1)  # the alarm fires meanwhile
        try:
            with open(fifo, 'wb') as f:
                f.write(b'x')
        except BrokenPipeError:  # the reader raised as soon as it opened
            pass
    writer = threading.Thread(target=write_once_blocked, daemon=True)
    writer.start()
    alarm_after(0.01)
    record('hash_file, FIFO, SIGALRM handler raising, installed with SA_RESTART',
           outcome(lambda: common_utils.hash_file(fifo, 'md5')))
    writer.join()
    signal.signal(signal.SIGALRM, raise_alarm)  # without SA_RESTART again

    # Long calls, signals at random points: the handler must run between two
    # reads (the file still open), not when the call is over.
    sparse = os.path.join(scratch, 'sparse')
    with open(sparse, 'wb') as f:
        f.truncate(128 << 20)

    # A long call in a worker thread: only the main thread runs handlers (its
    # join is interrupted); the worker's call completes with its result.
    finished = []
    worker = threading.Thread(
        target=lambda: finished.append(outcome(lambda: common_utils.hash_file(sparse, 'md5'))),
        daemon=True)
    worker.start()
    joining = threading.Event()
    kill_later(0.02, signal.SIGINT, when=joining.is_set)
    joining.set()
    record('hash_file in a worker thread, SIGINT', outcome(worker.join))
    wait_until(lambda: finished, timeout=60)
    record('hash_file in a worker thread, SIGINT', finished)
    zeros = os.path.join(scratch, 'zeros.log')  # no newline: read to the start
    with open(zeros, 'wb') as f:
        f.truncate(32 << 20)
    for name, path, call, count in (
            ('hash_file, 128 MiB sparse file', sparse,
             lambda: common_utils.hash_file(sparse, 'md5'), 4),
            ('read_last_n_lines, 32 MiB without newline, 512-byte chunks', zeros,
             lambda: common_utils.read_last_n_lines(zeros, 10, 512), 4)):
        seen = []

        def seeing(signum, frame, path=path, seen=seen):
            del signum, frame
            seen.append(is_open(path))
        signal.signal(signal.SIGALRM, seeing)
        for delay in delays(rng, count, 0.002, 0.02):
            alarm_after(delay)
            record(f'{name}, SIGALRM handler returning', outcome(call) + [seen[-1:]])

        def seeing_and_raising(signum, frame, path=path, seen=seen):
            seeing(signum, frame)
            raise Alarm()
        signal.signal(signal.SIGALRM, seeing_and_raising)
        for delay in delays(rng, count, 0.002, 0.02):
            alarm_after(delay)
            record(f'{name}, SIGALRM handler raising', outcome(call) + [seen[-1:]])
        signal.signal(signal.SIGINT, lambda s, f, seeing=seeing: (seeing(s, f),
                                                                 signal.default_int_handler(s, f)))
        for delay in delays(rng, count, 0.0, 0.01):
            # Timed from the open: the sending thread may wait for the GIL.
            kill_later(delay, signal.SIGINT, when=lambda path=path: is_open(path))
            record(f'{name}, SIGINT', outcome(call) + [seen[-1:]])
        signal.signal(signal.SIGINT, signal.default_int_handler)

    # find_free_port over many taken ports: a handler that frees them (and
    # returns) makes the probe stop at a port inside the range only when it
    # ran between two probes.
    first = 40000
    for delay in delays(rng, 3, 0.002, 0.006):
        taken = []
        for port in range(first, first + 15000):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(('', port))
            except OSError:
                pass
            taken.append(s)

        def free_ports(signum, frame, taken=taken):
            del signum, frame
            for s in taken:
                s.close()
        signal.signal(signal.SIGALRM, free_ports)
        alarm_after(delay)
        port = common_utils.find_free_port(first)
        for s in taken:
            s.close()
        record('find_free_port over 15,000 taken ports, SIGALRM handler freeing them',
               ['returned', 'inside the taken range' if port < first + 15000 else 'after it'])
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    return results


def main():
    scratch, seed = sys.argv[1], int(sys.argv[2])
    import sky_native
    native = common_utils.hash_file is sky_native.hash_file
    if native != (os.environ.get('SKYPILOT_USE_NATIVE') != '0'):
        raise SystemExit(f'SkyPilot holds the {"native" if native else "Python"} functions')
    print(json.dumps(scenarios(scratch, random.Random(seed))))


if __name__ == '__main__':
    main()
