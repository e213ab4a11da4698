"""find_free_port, get_parallel_threads, get_max_workers_for_file_mounts
(native against the installed SkyPilot), estimate_fd_for_directory and
is_process_alive (native against sky_native._python_impl)."""
import contextlib
import enum
import logging
import os
import pathlib
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from unittest import mock

from differential import EXAMPLE_COUNT
from differential import assert_same
from differential import outcome
from differential import skip_unless_others_can_run_this_python
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

import sky_native
from sky.utils import common_utils
from sky.utils import subprocess_utils
from sky_native import _python_impl

KUBERNETES_VARIANTS = ('kubernetes', 'Kubernetes', 'KUBERNETES', 'kUbErNeTeS',
                       '\u212aubernetes', '\u212aUBERNETES', 'kubernetes ',
                       ' kubernetes', 'k8s', 'SSH', 'aws', 'kubernete',
                       'kubernetes\x00', 'KUBERNETEß', 'kubernetes\u0130')
WARNING_TEXT = ('Open file descriptor limit ({}) is low. File sync to remote '
                'clusters may be slow. Consider increasing the limit using '
                '`ulimit -n <number>` or modifying system limits.')
IS_ROOT = os.geteuid() == 0
NOBODY = 65534


def assert_same_as_python_impl(name, *args, **kwargs):
    expected = outcome(getattr(_python_impl, name), *args, **kwargs)
    actual = outcome(getattr(sky_native, name), *args, **kwargs)
    assert actual == expected, f'{name}{args!r}{kwargs!r}'
    return actual


@contextlib.contextmanager
def captured(logger, level):
    """Records of `logger` at `level` and above, with the level restored."""
    records = []

    class Handler(logging.Handler):

        def emit(self, record):
            records.append((record.levelno, record.getMessage()))

    handler = Handler(level)
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


@contextlib.contextmanager
def soft_nofile(limit):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def warning_flag():
    """Restores subprocess_utils._fd_limit_warning_shown afterwards."""
    saved = subprocess_utils._fd_limit_warning_shown
    yield
    subprocess_utils._fd_limit_warning_shown = saved


def run_as_nobody(code):
    """Runs `code` under this launcher as an unprivileged user, with a home
    of its own (SkyPilot's import writes ~/.sky)."""
    skip_unless_others_can_run_this_python()
    home = tempfile.mkdtemp()
    try:
        os.chown(home, NOBODY, NOBODY)
        env = dict(os.environ, HOME=home)
        result = subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                                user=NOBODY, group=NOBODY, extra_groups=[],
                                capture_output=True, text=True, cwd='/',
                                env=env, timeout=120, check=False)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def spec_directory(parent):
    """One entry of each kind: a, b, .hidden, sub/ (with a file), dangling."""
    d = pathlib.Path(parent) / 'spec'
    d.mkdir()
    for name in ('a', 'b', '.hidden'):
        (d / name).write_text('x')
    (d / 'sub').mkdir()
    (d / 'sub' / 'inner').write_text('x')
    (d / 'dangling').symlink_to(pathlib.Path(parent) / 'nowhere')
    return d


@pytest.fixture(scope='module')
def pool(tmp_path_factory):
    """Directories with 0..40 entries and a few special paths, made once for
    the generated file-mount dicts."""
    root = tmp_path_factory.mktemp('mounts')
    paths = []
    for count in (0, 1, 2, 3, 5, 8, 13, 21, 40, 184, 185, 200):
        d = root / f'dir{count}'
        d.mkdir()
        for i in range(count):
            (d / (f'.f{i}' if i % 7 == 0 else f'f{i}')).write_text('')
        paths.append(str(d))
    (root / 'file').write_text('x')
    os.symlink(root / 'dir8', root / 'link-to-dir8')
    os.symlink(root / 'nowhere', root / 'dangling')
    spec = spec_directory(root)
    paths += [
        str(root / 'file'), str(root / 'link-to-dir8'), str(root / 'dangling'),
        str(root / 'missing'), str(spec), '', '.', 'a\x00b', '\udcff', '\ud800',
        str(root / 'dir3') + '/'
    ]
    return paths


# ---------------------------------------------------------------- find_free_port


@contextlib.contextmanager
def occupied(family, address, listening=False):
    s = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind((address, 0))
    if listening:
        s.listen(1)
    try:
        yield s.getsockname()[1]
    finally:
        s.close()


@pytest.mark.parametrize('family,address,listening', [
    (socket.AF_INET, '0.0.0.0', False),
    (socket.AF_INET, '127.0.0.1', False),
    (socket.AF_INET, '0.0.0.0', True),
    (socket.AF_INET6, '::', True),
])
def test_find_free_port_skips_occupied(family, address, listening):
    with occupied(family, address, listening) as port:
        kind, value_type, value = assert_same('find_free_port', port)
        assert kind == 'ok' and value_type is int and value > port
        assert sky_native.find_free_port(start_port=port) == value


def test_find_free_port_reuse_addr_listener_still_busy():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        assert assert_same('find_free_port', port)[2] != port
    finally:
        s.close()


@pytest.mark.parametrize('start', [
    0, 65534, 65535, 65536, 70000, 2**31, 2**63, 2**64, 2**70, -1, -5, -65535,
    -2**63, -2**70, True, False, '8000', 8000.0, None, b'8000', [8000]
])
def test_find_free_port_edges(start):
    assert_same('find_free_port', start)


def test_find_free_port_values():
    assert sky_native.find_free_port(0) == 0
    assert type(sky_native.find_free_port(True)) is int
    with pytest.raises(OSError, match=r'^No free ports available\.$') as info:
        sky_native.find_free_port(65535)
    assert info.value.errno is None and info.value.args == (
        'No free ports available.',)
    with pytest.raises(OverflowError, match=r'^bind\(\): port must be 0-65535\.$'):
        sky_native.find_free_port(-5)


def test_find_free_port_last_port_busy():
    try:
        busy = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        busy.bind(('', 65534))
    except OSError:
        pytest.skip('port 65534 in use already')
    try:
        assert assert_same('find_free_port', 65534)[0] == 'raise'
    finally:
        busy.close()


def test_find_free_port_subclasses_and_arguments():

    class Port(enum.IntEnum):
        HTTP = 8000

    class MyInt(int):
        pass

    for args, kwargs in [((Port.HTTP,), {}), ((MyInt(8000),), {}), ((), {}),
                         ((8000, 1), {}), ((), {'start_port': 8000}),
                         ((), {'port': 8000}), ((8000,), {'start_port': 1})]:
        assert_same('find_free_port', *args, **kwargs)


def test_find_free_port_debug_log_lines():
    with occupied(socket.AF_INET, '0.0.0.0') as port:
        with occupied(socket.AF_INET, '127.0.0.1') as other:
            start = min(port, other)
            with captured(common_utils.logger, logging.DEBUG) as expected:
                want = subprocess_utils_original('find_free_port')(start)
            with captured(common_utils.logger, logging.DEBUG) as actual:
                got = sky_native.find_free_port(start)
    assert got == want
    assert actual == expected
    assert (logging.DEBUG,
            f'Error binding port {start}: [Errno 98] Address already in use'
           ) in actual


def test_find_free_port_no_log_when_not_debug():
    with occupied(socket.AF_INET, '0.0.0.0') as port:
        with captured(common_utils.logger, logging.INFO) as records:
            sky_native.find_free_port(port)
    assert not records


def test_find_free_port_mocked_socket_defers():

    class NeverBinds(socket.socket):

        def bind(self, address):
            raise OSError(98, 'mock busy')

    with mock.patch('socket.socket', NeverBinds):
        assert_same('find_free_port', 65530)
        with pytest.raises(OSError, match='No free ports available.'):
            sky_native.find_free_port(65000)


def subprocess_utils_original(name):
    from differential import original
    return original(name)


# ---------------------------------------------------------- get_parallel_threads


@settings(max_examples=EXAMPLE_COUNT, deadline=None)
@given(st.one_of(st.text(), st.sampled_from(KUBERNETES_VARIANTS), st.none()))
def test_get_parallel_threads_generated(cloud_str):
    assert_same('get_parallel_threads', cloud_str)
    assert_same('get_parallel_threads', cloud_str=cloud_str)


@pytest.mark.parametrize('cloud_str', KUBERNETES_VARIANTS + (None, ''))
def test_get_parallel_threads_variants(cloud_str):
    assert_same('get_parallel_threads', cloud_str)


def test_get_parallel_threads_values():
    n = os.cpu_count() or 1
    assert sky_native.get_parallel_threads() == max(4, n - 1)
    assert sky_native.get_parallel_threads('Kubernetes') == max(4, n - 1) * 4
    assert sky_native.get_parallel_threads('\u212aubernetes') == max(4, n - 1) * 4
    assert sky_native.get_parallel_threads('k8s') == max(4, n - 1)


@pytest.mark.parametrize('cloud_str', [
    0, 1, False, True, b'kubernetes', b'', [], ['x'], 1.5, object(),
    type('S', (str,), {})('kubernetes')
])
def test_get_parallel_threads_other_types(cloud_str):
    assert_same('get_parallel_threads', cloud_str)


def test_get_parallel_threads_bad_arguments():
    assert_same('get_parallel_threads', 'a', 'b')
    assert_same('get_parallel_threads', cloud='aws')
    assert_same('get_parallel_threads', 'a', cloud_str='b')


@pytest.mark.parametrize('count,expected', [(64, 63), (8, 7), (2, 4), (None, 4)])
def test_get_parallel_threads_mocked_cpu_count(count, expected):
    with mock.patch('os.cpu_count', return_value=count):
        assert sky_native.get_parallel_threads() == expected
        assert subprocess_utils.get_parallel_threads() == expected
        assert subprocess_utils.get_parallel_threads('kubernetes') == expected * 4


def test_get_parallel_threads_mocked_multiplier():
    with mock.patch.object(subprocess_utils, '_get_thread_multiplier',
                           return_value=10):
        n = os.cpu_count() or 1
        assert sky_native.get_parallel_threads() == max(4, n - 1) * 10


def test_replaced_in_skypilot():
    info = sky_native.get_backend_info()
    if info['backend'] != 'native':
        pytest.skip('native backend turned off')
    for name in ('get_parallel_threads', 'get_max_workers_for_file_mounts'):
        assert getattr(subprocess_utils, name) is getattr(sky_native, name)
    subprocess_utils_original('find_free_port')  # skips where not verified
    assert common_utils.find_free_port is sky_native.find_free_port


# ----------------------------------------------- get_max_workers_for_file_mounts


@settings(max_examples=EXAMPLE_COUNT, deadline=None)
@given(data=st.data())
def test_get_max_workers_generated(pool, data):
    sources = data.draw(st.lists(st.sampled_from(pool), max_size=6))
    keys = data.draw(
        st.lists(st.text(max_size=8), min_size=len(sources),
                 max_size=len(sources), unique=True))
    cloud_str = data.draw(st.sampled_from((None, 'kubernetes', 'aws', '')))
    limit = data.draw(
        st.sampled_from((128, 150, 500, 1023, 1024, 1025, 2048, 5000, 20000)))
    mounts = dict(zip(keys, sources))
    saved = subprocess_utils._fd_limit_warning_shown
    try:
        with soft_nofile(limit):
            subprocess_utils._fd_limit_warning_shown = True
            assert_same('get_max_workers_for_file_mounts', mounts, cloud_str)
            assert_same('get_max_workers_for_file_mounts', mounts,
                        cloud_str=cloud_str)
    finally:
        subprocess_utils._fd_limit_warning_shown = saved


def test_get_max_workers_worked_examples(pool, tmp_path):
    d = tmp_path / 'd300'
    d.mkdir()
    for i in range(300):
        (d / str(i)).write_text('')
    threads = sky_native.get_parallel_threads()
    with soft_nofile(1024):
        assert sky_native.get_max_workers_for_file_mounts({}) == min(184, threads)
        assert sky_native.get_max_workers_for_file_mounts({'/x': str(d)}) == 1
        assert_same('get_max_workers_for_file_mounts', {'/x': str(d)})
        assert_same('get_max_workers_for_file_mounts', {'/x': str(d)}, 'kubernetes')


def test_get_max_workers_warning_once(pool, warning_flag):
    del warning_flag
    logger = subprocess_utils.logger
    mounts = {'/a': pool[3]}
    with soft_nofile(500):
        subprocess_utils._fd_limit_warning_shown = False
        with captured(logger, logging.WARNING) as expected:
            want = subprocess_utils_original('get_max_workers_for_file_mounts')(mounts)
            subprocess_utils_original('get_max_workers_for_file_mounts')(mounts)
        subprocess_utils._fd_limit_warning_shown = False
        with captured(logger, logging.WARNING) as actual:
            got = sky_native.get_max_workers_for_file_mounts(mounts)
            assert subprocess_utils._fd_limit_warning_shown is True
            # Interleaved with the Python version: still once.
            subprocess_utils_original('get_max_workers_for_file_mounts')(mounts)
            sky_native.get_max_workers_for_file_mounts(mounts)
    assert got == want
    assert actual == expected == [(logging.WARNING, WARNING_TEXT.format(500))]
    # A limit of exactly 1024 does not warn.
    with soft_nofile(1024):
        subprocess_utils._fd_limit_warning_shown = False
        with captured(logger, logging.WARNING) as records:
            sky_native.get_max_workers_for_file_mounts(mounts)
        assert not records and subprocess_utils._fd_limit_warning_shown is False


def test_get_max_workers_debug_line(pool, warning_flag):
    del warning_flag
    subprocess_utils._fd_limit_warning_shown = True
    mounts = {'/a': pool[5], '/b': pool[-3]}
    with captured(subprocess_utils.logger, logging.DEBUG) as expected:
        subprocess_utils_original('get_max_workers_for_file_mounts')(mounts, 'aws')
    with captured(subprocess_utils.logger, logging.DEBUG) as actual:
        value = sky_native.get_max_workers_for_file_mounts(mounts, 'aws')
    assert actual == expected == [(logging.DEBUG,
                                   f'Using {value} workers for file mounts.')]


@pytest.mark.parametrize('mounts', [
    {'/a': b'/tmp'}, {'/a': pathlib.Path('/tmp')}, {'/a': 3}, {'/a': None},
    {'/a': '/tmp', '/b': b'/'}, [('/a', '/tmp')], None, 'abc', (),
    type('D', (dict,), {})(a='/tmp')
])
def test_get_max_workers_other_types(mounts, warning_flag):
    del warning_flag
    subprocess_utils._fd_limit_warning_shown = True
    assert_same('get_max_workers_for_file_mounts', mounts)
    assert_same('get_max_workers_for_file_mounts', mounts, 1)
    assert_same('get_max_workers_for_file_mounts', mounts, b'x')


def test_get_max_workers_bad_arguments():
    assert_same('get_max_workers_for_file_mounts')
    assert_same('get_max_workers_for_file_mounts', {}, None, 3)
    assert_same('get_max_workers_for_file_mounts', mounts={})
    assert_same('get_max_workers_for_file_mounts', cloud_str='aws')
    assert_same('get_max_workers_for_file_mounts', common_file_mounts={},
                cloud_str='Kubernetes')


def test_get_max_workers_cloud_non_str_after_listing(pool, warning_flag):
    del warning_flag
    subprocess_utils._fd_limit_warning_shown = True
    # Truthy non-str cloud_str: AttributeError only after the listing.
    assert_same('get_max_workers_for_file_mounts', {'/a': pool[4]}, 7)
    assert_same('get_max_workers_for_file_mounts', {'/a': pool[4]}, 0)


def test_get_max_workers_mocks(pool, warning_flag):
    del warning_flag
    subprocess_utils._fd_limit_warning_shown = True
    with mock.patch('resource.getrlimit', return_value=(-1, -1)):
        assert sky_native.get_max_workers_for_file_mounts({}) == 1
    with mock.patch('resource.getrlimit', return_value=(1_000_000, 1_000_000)):
        with mock.patch('os.cpu_count', return_value=64):
            assert sky_native.get_max_workers_for_file_mounts({'/a': pool[0]}) == 63
    with mock.patch('os.listdir', return_value=list(range(1000))):
        with soft_nofile(20000):
            assert sky_native.get_max_workers_for_file_mounts({'/a': pool[0]}) == 3


def test_unreadable_directory_as_nobody():
    """os.listdir's PermissionError propagates from
    get_max_workers_for_file_mounts; estimate_fd_for_directory gives 0."""
    parent = pathlib.Path(tempfile.mkdtemp())
    try:
        parent.chmod(0o755)
        d = spec_directory(parent)
        d.chmod(0)
        code = f'''
            import sys
            sys.path.insert(0, {str(pathlib.Path(__file__).parent)!r})
            from differential import assert_same, original
            import sky_native
            from sky_native import _python_impl
            from sky.utils import subprocess_utils
            subprocess_utils._fd_limit_warning_shown = True
            mounts = {{'/x': {str(d)!r}}}
            result = assert_same('get_max_workers_for_file_mounts', mounts)
            assert result[1] is PermissionError, result
            for function in (original('get_max_workers_for_file_mounts'),
                             sky_native.get_max_workers_for_file_mounts):
                try:
                    function(mounts)
                except PermissionError as error:
                    assert error.filename == {str(d)!r} and error.errno == 13
            print(result[2])
            print(sky_native.estimate_fd_for_directory({str(d)!r}),
                  _python_impl.estimate_fd_for_directory({str(d)!r}))
        '''
        if IS_ROOT:
            out = run_as_nobody(code)
        else:
            out = subprocess.run([sys.executable, '-c', textwrap.dedent(code)],
                                 capture_output=True, text=True, check=True).stdout
        assert out.split('\n')[:2] == [f"[Errno 13] Permission denied: '{d}'", '0 0']
    finally:
        d.chmod(0o755)
        shutil.rmtree(parent)


# ------------------------------------------------------ estimate_fd_for_directory


def test_estimate_fd_spec_vectors(tmp_path):
    d = spec_directory(tmp_path)
    (tmp_path / 'link').symlink_to(d)
    (tmp_path / 'empty').mkdir()
    many = tmp_path / 'many'
    many.mkdir()
    for i in range(300):
        (many / str(i)).write_text('')
    (tmp_path / 'file').write_text('x')
    (tmp_path / 'loop').symlink_to(tmp_path / 'loop')
    vectors = [(d, 25), (tmp_path / 'link', 25), (tmp_path / 'empty', 0),
               (many, 1500), ('/nonexistent', 0), ('', 0),
               (tmp_path / 'file', 0), (tmp_path / 'loop', 0), ('a' * 5000, 0),
               (str(tmp_path / 'file') + '/x', 0)]
    for path, expected in vectors:
        for form in (str(path), pathlib.Path(path)) if path != '' else ('',):
            assert sky_native.estimate_fd_for_directory(form) == expected, form
            assert_same_as_python_impl('estimate_fd_for_directory', form)
    # Agreement with SkyPilot's per-directory term.
    for path in (d, tmp_path / 'link', many, tmp_path / 'empty'):
        assert (sky_native.estimate_fd_for_directory(str(path)) ==
                len(os.listdir(path)) * 5)


class FsPath:

    def __init__(self, value):
        self.value = value

    def __fspath__(self):
        return self.value


@pytest.mark.parametrize('path', [
    None, 3, 0, -1, 1.5, b'/tmp', bytearray(b'/tmp'), ['/tmp'],
    FsPath(b'/tmp'), FsPath(3), FsPath(None), 'a\x00b', '\ud800', '\0\ud800',
    FsPath('/tmp'), FsPath('a\x00'), type('S', (str,), {})('/tmp'), True
])
def test_estimate_fd_types(path):
    result = assert_same_as_python_impl('estimate_fd_for_directory', path)
    if not isinstance(path, (str, FsPath)):
        assert result[:2] == ('raise', TypeError)


def test_estimate_fd_bad_arguments():
    assert_same_as_python_impl('estimate_fd_for_directory')
    assert_same_as_python_impl('estimate_fd_for_directory', '/', '/')
    assert_same_as_python_impl('estimate_fd_for_directory', path='/')
    assert_same_as_python_impl('estimate_fd_for_directory', p='/')


@settings(max_examples=EXAMPLE_COUNT, deadline=None)
@given(st.one_of(st.text(max_size=40), st.sampled_from(
    ('/', '/proc', '/proc/self/fd', '/tmp', '.', '..', '/etc', '/dev', '/nonexistent'))))
def test_estimate_fd_generated(path):
    result = assert_same_as_python_impl('estimate_fd_for_directory', path)
    if result[0] == 'ok':
        assert result[2] % 5 == 0


@settings(max_examples=EXAMPLE_COUNT, deadline=None)
@given(st.integers(min_value=0, max_value=200))
def test_estimate_fd_generated_pool(pool, index):
    path = pool[index % len(pool)]
    assert_same_as_python_impl('estimate_fd_for_directory', path)


# ---------------------------------------------------------------- is_process_alive


def test_is_process_alive_spec_vectors():
    vectors = [(os.getpid(), True), (1, True), (0, False), (-1, False),
               (-12345, False), (2**31 - 1, False), (2**31, False),
               (2**40, False), (True, True), (False, False),
               (2**32 + 1, False), (2**64 + 1, False), (-2**70, False)]
    for pid, expected in vectors:
        assert sky_native.is_process_alive(pid) is expected, pid
        assert_same_as_python_impl('is_process_alive', pid)


@pytest.mark.parametrize('pid,message', [
    ('1', "'str' object cannot be interpreted as an integer"),
    (1.0, "'float' object cannot be interpreted as an integer"),
    (None, "'NoneType' object cannot be interpreted as an integer"),
    (b'1', "'bytes' object cannot be interpreted as an integer"),
])
def test_is_process_alive_type_errors(pid, message):
    with pytest.raises(TypeError) as info:
        sky_native.is_process_alive(pid)
    assert str(info.value) == message
    assert_same_as_python_impl('is_process_alive', pid)


def test_is_process_alive_index_objects():

    class Pid:

        def __init__(self, value):
            self.value = value

        def __index__(self):
            return self.value

    class BadIndex:

        def __index__(self):
            return 1.5

    class MyInt(int):
        pass

    for pid in (Pid(os.getpid()), Pid(0), Pid(2**80), MyInt(1), BadIndex()):
        assert_same_as_python_impl('is_process_alive', pid)
    assert sky_native.is_process_alive(Pid(os.getpid())) is True


def test_is_process_alive_bad_arguments():
    assert_same_as_python_impl('is_process_alive')
    assert_same_as_python_impl('is_process_alive', 1, 2)
    assert_same_as_python_impl('is_process_alive', pid=1)
    assert_same_as_python_impl('is_process_alive', process=1)


@settings(max_examples=EXAMPLE_COUNT, deadline=None)
@given(st.one_of(st.integers(), st.integers(min_value=-5, max_value=70000),
                 st.integers(min_value=2**31 - 3, max_value=2**31 + 3),
                 st.sampled_from((os.getpid(), os.getppid(), 1, 2**63, -2**63))))
def test_is_process_alive_generated(pid):
    assert_same_as_python_impl('is_process_alive', pid)


def wait_for_state(pid, state, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f'/proc/{pid}/stat', 'rb') as f:
                stat = f.read()
            if stat[stat.rfind(b')') + 1:].split()[0] == state:
                return True
        except OSError:
            pass
        time.sleep(0.005)
    return False


def test_is_process_alive_zombie_then_reaped():
    child = subprocess.Popen(['true'])
    try:
        assert wait_for_state(child.pid, b'Z')
        assert sky_native.is_process_alive(child.pid) is False
        assert _python_impl.is_process_alive(child.pid) is False
    finally:
        child.wait()
    assert sky_native.is_process_alive(child.pid) is False
    assert _python_impl.is_process_alive(child.pid) is False


def test_is_process_alive_live_child():
    child = subprocess.Popen(['sleep', '30'])
    try:
        assert sky_native.is_process_alive(child.pid) is True
        assert_same_as_python_impl('is_process_alive', child.pid)
    finally:
        child.kill()
        child.wait()
    assert sky_native.is_process_alive(child.pid) is False


def test_is_process_alive_thread_id():
    seen = []
    done = threading.Event()

    def worker():
        seen.append(threading.get_native_id())
        done.wait(10)

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        while not seen:
            time.sleep(0.001)
        assert sky_native.is_process_alive(seen[0]) is True
    finally:
        done.set()
        thread.join()


def test_is_process_alive_eperm_as_nobody():
    if not IS_ROOT:
        assert sky_native.is_process_alive(1) is True
        return
    out = run_as_nobody('''
        import sky_native
        from sky_native import _python_impl
        print(sky_native.is_process_alive(1), _python_impl.is_process_alive(1))
    ''')
    assert out.strip() == 'True True'


# ------------------------------------------------------------------ concurrency


def test_eight_threads_same_results(pool, warning_flag):
    del warning_flag
    subprocess_utils._fd_limit_warning_shown = True
    mounts = {str(i): p for i, p in enumerate(pool)}
    calls = [
        (sky_native.get_parallel_threads, ('Kubernetes',)),
        (sky_native.get_parallel_threads, ()),
        (sky_native.get_max_workers_for_file_mounts, (mounts,)),
        (sky_native.get_max_workers_for_file_mounts, ({'/a': pool[-12]}, 'aws')),
        (sky_native.estimate_fd_for_directory, (pool[8],)),
        (sky_native.estimate_fd_for_directory, ('/nonexistent',)),
        (sky_native.is_process_alive, (os.getpid(),)),
        (sky_native.is_process_alive, (2**31 - 1,)),
    ]
    expected = [outcome(f, *a) for f, a in calls]
    results = [[] for _ in range(8)]
    barrier = threading.Barrier(8)
    ports = []

    def worker(i):
        barrier.wait()
        for _ in range(200):
            results[i].append([outcome(f, *a) for f, a in calls])
        ports.append(sky_native.find_free_port(0))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for per_thread in results:
        assert len(per_thread) == 200
        assert all(r == expected for r in per_thread)
    assert ports == [0] * 8
