"""read_last_n_lines on files that cannot seek (pipes, FIFOs, terminals,
devices) against SkyPilot's Python: the same RuntimeError, the same
__cause__ and __context__ (io.UnsupportedOperation or OSError, with their
messages), and the same side effect of SkyPilot's handler: its
print_exception_no_traceback() leaves sys.tracebacklimit at 0 (unless
SKYPILOT_DEBUG), so the error is printed as one line."""
import os
import subprocess
import sys
import tempfile
import threading

from differential import native
from differential import original
import pytest

_WORK = tempfile.mkdtemp(prefix='sky-native-unseekable-')

# Character devices and kernel files that answer seeks in every way: not
# seekable at all (terminals, /dev/kmsg, /dev/fuse, ...), seekable with size 0
# (/dev/null, /dev/zero, ...), refusing SEEK_END (procfs seq files), sized
# (/dev/vcs). Devices whose open or read may block (serial lines, hwrng) are
# left out.
DEVICES = ('/dev/null', '/dev/zero', '/dev/full', '/dev/random', '/dev/urandom', '/dev/kmsg',
           '/dev/console', '/dev/tty', '/dev/tty0', '/dev/ptmx', '/dev/fuse', '/dev/vsock',
           '/dev/loop-control', '/dev/userfaultfd', '/dev/vcs', '/dev/vcsa', '/dev/kvm',
           '/dev/cpu_dma_latency', '/proc/self/maps', '/proc/self/mem', '/proc/self/stat',
           '/proc/self/pagemap', '/proc/kmsg', '/proc/self/environ')


def _describe(error):
    if error is None:
        return None
    return (type(error), str(error), getattr(error, 'errno', None),
            getattr(error, 'filename', None))


def _outcome(function, *args):
    """What a call gives and what it leaves in sys.tracebacklimit."""
    sys.tracebacklimit = 1000
    try:
        try:
            value = function(*args)
        except Exception as e:
            result = ('raise', _describe(e), _describe(e.__cause__), _describe(e.__context__),
                      e.__suppress_context__,
                      _describe(e.__context__.__context__) if e.__context__ else None)
        else:
            result = ('ok', value)
        return result, getattr(sys, 'tracebacklimit', 'unset')
    finally:
        sys.tracebacklimit = 1000
        del sys.tracebacklimit


def _same(path, n=2):
    expected = _outcome(original('read_last_n_lines'), path, n)
    actual = _outcome(native('read_last_n_lines'), path, n)
    assert actual == expected, path
    return actual


@pytest.mark.parametrize('device', DEVICES)
def test_devices(device):
    if not os.path.exists(device):
        pytest.skip(f'no {device} here')
    _same(device)


def test_a_device_that_is_not_seekable_raises_unsupported_operation():
    # A pseudo-terminal exists everywhere: SkyPilot's f.seek() refuses it.
    leader, follower = os.openpty()
    try:
        (result, limit) = _same(os.ttyname(follower))
        assert result[1][:2] == (
            RuntimeError, f'Failed to read last 2 lines from {os.ttyname(follower)}: '
            'File or stream is not seekable.')
        assert result[2][:2] == (__import__('io').UnsupportedOperation,
                                 'File or stream is not seekable.')
        assert result[3] == result[2] and result[4] is True
        assert limit == 0
    finally:
        os.close(leader)
        os.close(follower)


@pytest.mark.parametrize('writer_open', [True, False])
def test_pipes(writer_open):
    read_end, write_end = os.pipe()
    os.write(write_end, b'one\ntwo\nthree\n')
    if not writer_open:
        os.close(write_end)
    try:
        result = _same(f'/proc/self/fd/{read_end}')
        assert result[0][1][1].endswith('File or stream is not seekable.')
    finally:
        os.close(read_end)
        if writer_open:
            os.close(write_end)


def _fifo_outcome(function, path, data):
    def write():
        try:
            with open(path, 'wb') as writer:  # waits for the reader
                writer.write(data)
        except BrokenPipeError:  # the reader gave up first
            pass

    thread = threading.Thread(target=write)
    thread.start()
    try:
        return _outcome(function, path, 2)
    finally:
        thread.join(10)
        assert not thread.is_alive()


@pytest.mark.parametrize('data', [b'', b'a\nb\nc\n', b'x' * 100000],
                         ids=['empty', 'lines', 'large'])
def test_fifo_with_a_writer(data):
    path = os.path.join(_WORK, f'fifo-{len(data)}')
    os.mkfifo(path)
    try:
        expected = _fifo_outcome(original('read_last_n_lines'), path, data)
        actual = _fifo_outcome(native('read_last_n_lines'), path, data)
        assert actual == expected
        assert expected[0][1][1].endswith('File or stream is not seekable.')
    finally:
        os.unlink(path)


def test_nested_in_a_handler_the_context_chain_is_python_s():
    def inside_handler(function):
        try:
            raise KeyError('outer')
        except KeyError:
            return _outcome(function, '/dev/ptmx', 1)

    assert inside_handler(native('read_last_n_lines')) == inside_handler(
        original('read_last_n_lines'))


def test_skypilot_debug_keeps_the_traceback_limit(monkeypatch):
    monkeypatch.setenv('SKYPILOT_DEBUG', '1')
    result = _same('/dev/ptmx')
    assert result[1] == 1000


def test_a_patched_context_manager_is_the_one_used(monkeypatch):
    from sky.utils import common_utils
    import contextlib
    entered = []

    @contextlib.contextmanager
    def swallowing():
        entered.append(True)
        try:
            yield
        except RuntimeError:
            pass

    monkeypatch.setattr(common_utils.ux_utils, 'print_exception_no_traceback', swallowing)
    # Swallowed inside SkyPilot's handler: the function returns None.
    assert _same('/dev/ptmx') == (('ok', None), 1000)
    assert entered == [True, True]


@pytest.mark.parametrize('flag', [None, '0'])
def test_the_cli_prints_one_line_as_python_does(flag, venv_python):
    """An uncaught error from SkyPilot's function: sky-native's output is
    python's, without tracebacks (tracebacklimit 0)."""
    code = ('from sky.utils import common_utils\n'
            'common_utils.read_last_n_lines("/dev/stdin", 3)\n')
    env = dict(os.environ)
    env.pop('SKYPILOT_DEBUG', None)
    if flag is not None:
        env['SKYPILOT_USE_NATIVE'] = flag
    outputs = []
    for executable in (venv_python, sys.executable):
        done = subprocess.run([executable, '-c', code], input=b'a\nb\n', capture_output=True,
                              env=env, timeout=120, check=False)
        outputs.append((done.returncode, done.stdout, done.stderr))
    assert outputs[1] == outputs[0]
    assert outputs[0][2] == (
        b'io.UnsupportedOperation: File or stream is not seekable.\n\n'
        b'The above exception was the direct cause of the following exception:\n\n'
        b'RuntimeError: Failed to read last 3 lines from /dev/stdin: '
        b'File or stream is not seekable.\n')
