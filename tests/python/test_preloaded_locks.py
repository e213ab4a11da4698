"""`filelock` locks made before a fork (modules/python/preloaded_locks.py):
the preloading process lists them, its forked child makes them its own, as
the zygote and the command server do for SkyPilot's import-time lock.

Each case forks this process (single-threaded at that point: pytest runs
tests in its main thread) and reports from the child through a pipe."""
import gc
import os

import filelock
import pytest

from sky_native import _preloaded_locks

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)


def _in_child(action):
    """action() in a forked child; its result (or exception) as text."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        try:
            result = str(action())
        except Exception as exc:  # what the child's caller would get
            result = f'{type(exc).__name__}: {exc}'
        os.write(write_end, result.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, 'rb') as pipe:
        result = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return result


def _take(lock):
    with lock.acquire(timeout=10):
        return 'taken'


def test_a_child_takes_over_the_preloaded_lock(tmp_path):
    lock = filelock.FileLock(str(tmp_path / 'a.lock'))
    locks, refused = _preloaded_locks.find()
    assert any(found is lock for found in locks)
    assert 'a.lock' not in (refused or '')

    def taken_over():
        _preloaded_locks.take_over(locks)
        return _take(lock)

    assert _in_child(taken_over) == 'taken'
    # What filelock does without it: the failure the zygote's children had.
    assert 'inherited across fork' in _in_child(lambda: _take(lock))
    assert _take(lock) == 'taken'  # still the parent's own


def test_a_held_lock_is_refused(tmp_path):
    lock = filelock.FileLock(str(tmp_path / 'held.lock'))
    with lock:
        _, refused = _preloaded_locks.find()
    assert refused is not None and 'held.lock' in refused


def test_a_singleton_lock_is_refused(tmp_path):
    lock = filelock.FileLock(str(tmp_path / 'one.lock'), is_singleton=True)
    _, refused = _preloaded_locks.find()
    assert refused is not None and 'one.lock' in refused
    del lock


def test_a_lock_that_is_garbage_is_not_refused(tmp_path):
    """A singleton lock only a reference cycle keeps: garbage, not a lock a
    child would have."""
    cycle = {'lock': filelock.FileLock(str(tmp_path / 'gone.lock'), is_singleton=True)}
    cycle['self'] = cycle
    del cycle
    gc.collect()  # as the command server and the exec'd zygote do first
    _, refused = _preloaded_locks.find()
    assert 'gone.lock' not in (refused or '')


def test_without_a_collection_a_lock_that_is_garbage_is_refused(tmp_path):
    """The server's zygote lists its locks without a collection: garbage it
    cannot tell from a live lock refuses the fork, never hands a child a
    singleton."""
    gc.disable()  # else an automatic collection could free it first
    try:
        cycle = {'lock': filelock.FileLock(str(tmp_path / 'left.lock'), is_singleton=True)}
        cycle['self'] = cycle
        del cycle
        _, refused = _preloaded_locks.find()
    finally:
        gc.enable()
        gc.collect()
    assert refused is not None and 'left.lock' in refused
