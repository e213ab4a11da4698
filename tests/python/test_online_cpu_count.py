"""get_parallel_threads reads the online CPUs through a descriptor it keeps
(sky::core::OnlineCpuCounter): the number stays os.cpu_count()'s after fork,
os.closerange and dup2 over that descriptor, and the file put on its number
is left alone. Each case runs in a forked child, so the test process keeps
its descriptors."""
import os

import pytest

import sky_native
from sky.utils import subprocess_utils

ONLINE = '/sys/devices/system/cpu/online'


def _expected():
    return max(4, (os.cpu_count() or 1) - 1)


def _kept_descriptor():
    """The descriptor of the online list that the native counter keeps."""
    for name in os.listdir('/proc/self/fd'):
        try:
            if os.readlink(f'/proc/self/fd/{name}') == ONLINE:
                return int(name)
        except OSError:
            continue
    return None


def _in_child(body):
    """Runs body() in a forked child; fails unless it returned True."""
    pid = os.fork()
    if pid == 0:
        try:
            ok = body()
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


@pytest.fixture(autouse=True)
def _counter_open():
    if not os.path.exists(ONLINE):
        pytest.skip(f'no {ONLINE}')
    assert sky_native.get_parallel_threads() == _expected()
    assert _kept_descriptor() is not None


def test_same_number_as_python():
    for cloud in (None, 'kubernetes', 'aws'):
        assert (sky_native.get_parallel_threads(cloud) ==
                subprocess_utils.get_parallel_threads(cloud))


def test_after_fork():
    fd = _kept_descriptor()
    _in_child(lambda: sky_native.get_parallel_threads() == _expected() and
              _kept_descriptor() == fd)


def test_after_closerange():

    def body():
        os.closerange(3, 1 << 16)
        # A new file takes the lowest free number, maybe the kept one's.
        with open(os.devnull, 'rb') as unrelated:
            ok = sky_native.get_parallel_threads() == _expected()
            ok = ok and os.readlink(f'/proc/self/fd/{unrelated.fileno()}') == os.devnull
            return ok and _kept_descriptor() is not None

    _in_child(body)


def test_dup2_over_the_descriptor(tmp_path):
    other = tmp_path / 'other'
    other.write_bytes(b'0-255\n')

    def body():
        fd = _kept_descriptor()
        source = os.open(other, os.O_RDONLY)
        os.dup2(source, fd)
        ok = sky_native.get_parallel_threads() == _expected()
        # The file dup2 put there is still there, its offset unmoved.
        ok = ok and os.readlink(f'/proc/self/fd/{fd}') == str(other)
        ok = ok and os.read(fd, 16) == b'0-255\n'
        return ok and _kept_descriptor() not in (None, fd)

    _in_child(body)
