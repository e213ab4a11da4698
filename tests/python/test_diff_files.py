"""read_last_n_lines and hash_file: sky_native against SkyPilot's Python."""
import array
import builtins
import concurrent.futures
import hashlib
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap
import threading
import time

from differential import EXAMPLE_COUNT
from differential import assert_same
from differential import native
from differential import original
from differential import skip_unless_others_can_run_this_python
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

_WORK = tempfile.mkdtemp(prefix='sky_diff_files_')
_HYPOTHESIS = settings(max_examples=EXAMPLE_COUNT, deadline=None,
                       suppress_health_check=[HealthCheck.too_slow])

ENCODINGS = ('utf-8', 'latin-1', 'utf-16', 'ascii', 'cp1252')
ERRORS = ('strict', 'replace', 'ignore', 'backslashreplace', 'surrogateescape')


def _write(name, data: bytes) -> str:
    path = os.path.join(_WORK, name)
    with open(path, 'wb') as f:
        f.write(data)
    return path


def _same_tail(*args, **kwargs):
    return assert_same('read_last_n_lines', *args, **kwargs)


# ---------------------------------------------------------------- read_last_n_lines

SPEC_VECTORS = [
    (b'a\nb\nc\n', 2, ['b\n', 'c']),
    (b'a\nb\nc', 2, ['b\n', 'c']),
    (b'a\r\r\nb', 2, ['a\n', 'b']),
    (b'a\rb\rc', 2, ['a\rb\rc']),
    (b'a\n\nb\n', 2, ['\n', 'b']),
    (b'\n', 1, ['']),
    (b'\n\n', 3, ['\n', '']),
    (b'a\nb\n', 5, ['a\n', 'b']),
    (b'x', 3, ['x']),
]


@pytest.mark.parametrize('data,n,expected', SPEC_VECTORS)
@pytest.mark.parametrize('chunk_size', [1, 7, 8192])
def test_spec_vectors(data, n, expected, chunk_size):
    path = _write('vector', data)
    assert native('read_last_n_lines')(path, n, chunk_size) == expected
    _same_tail(path, n, chunk_size)


@pytest.mark.parametrize('chunk_size', [1, 7, 8192])
def test_thousand_lines(chunk_size):
    path = _write('thousand', b''.join(b'line%d\n' % i for i in range(1000)))
    assert native('read_last_n_lines')(path, 3, chunk_size=chunk_size) == [
        'line997\n', 'line998\n', 'line999'
    ]
    _same_tail(path, 3, chunk_size=chunk_size)


@pytest.mark.parametrize('data,expected', [
    (b'\xe2\x82', '\ufffd'),
    (b'\xff\xfe', '\ufffd\ufffd'),
    (b'\xed\xa0\x80', '\ufffd\ufffd\ufffd'),
    (b'\xf0\x9f\x98', '\ufffd'),
    (b'a\xc3(b', 'a\ufffd(b'),
])
def test_utf8_replacement(data, expected):
    path = _write('decode', data)
    assert native('read_last_n_lines')(path, 1) == [expected]
    _same_tail(path, 1)


@pytest.mark.parametrize('encoding', ENCODINGS + ('utf-32', 'utf-8-sig', 'UTF8', 'nope', 'rot13',
                                                  'hex', 'idna', 'punycode', 'mbcs'))
@pytest.mark.parametrize('errors', ERRORS + ('xmlcharrefreplace', 'namereplace', 'bogus'))
def test_encodings_and_errors(encoding, errors):
    path = _write('codecs', b'caf\xc3\xa9\r\n\xff\xfe\x00a\n\x80\x81\r\rz\xed\xa0\x80\n')
    for n in (1, 2, 3, 10):
        _same_tail(path, n, encoding=encoding, errors=errors)


# '\r' before bytes the error handler drops: the line's decoded text ends in
# '\r' only after the decode, and rstrip('\r') takes it too.
@pytest.mark.parametrize('data', [
    b'\r\xe2\x82\r', b'a\r\xe2\x82\r\r\nb', b'a\r\xff\n', b'x\n\r\r\xc3\r\n',
    b'\r\xed\xa0\x80', b'\r\r\xff\xfe\n\r\xff',
])
@pytest.mark.parametrize('errors', ERRORS)
def test_carriage_returns_before_dropped_bytes(data, errors):
    path = _write('dropped', data)
    for n in (1, 2, 3):
        _same_tail(path, n, errors=errors)


def test_small_and_special_files():
    cases = [b'', b'x', b'\n', b'\r', b'\r\n', b'abc', b'a\r\nb\r\n', b'\n' * 100,
             b'\xff' * 10000, b'x' * 20000 + b'\n', b'\r' * 9000]
    for i, data in enumerate(cases):
        path = _write(f'small{i}', data)
        for n in (0, 1, 2, 3, 50, 10**6, 2**63 - 1, 2**63, 2**100):
            for chunk_size in (1, 2, 7, 8192, 2**62, 2**80):
                _same_tail(path, n, chunk_size)
    # Files whose stat size is not what reading gives.
    for path in ('/dev/null', '/proc/self/limits', '/proc/cpuinfo',
                 '/sys/devices/system/cpu/online', '/sys/kernel/mm/transparent_hugepage/enabled'):
        if os.path.exists(path):
            for chunk_size in (1, 7, 8192):
                _same_tail(path, 2, chunk_size)


def test_multi_megabyte_file():
    data = b''.join(b'log line %d with some text\r\n' % i for i in range(200000))
    path = _write('big.log', data)
    for n in (1, 10, 1000, 100000):
        for chunk_size in (7, 8192, 65536):
            _same_tail(path, n, chunk_size)
    _same_tail(path, 10**7)


@pytest.mark.parametrize('args,kwargs', [
    (('MISSING', 3), {}),
    (('MISSING', 0), {}),
    (('MISSING', -1), {}),
    (('', 1), {}),
    (('/proc', 3), {}),
    (('/proc', 0), {}),
    (('/', 1), {}),
    (('FILE', -1), {}),
    (('FILE', -(2**70)), {}),
    (('FILE', 1, 0), {}),
    (('FILE', 1, -1), {}),
    (('FILE', 1, -(2**80)), {}),
    (('FILE', -1, 0), {}),
    (('FILE', True), {}),
    (('FILE', False), {}),
    (('FILE', 1.0), {}),
    (('FILE', '1'), {}),
    (('FILE', None), {}),
    (('FILE', 1, 2.0), {}),
    (('FILE', 1, True), {}),
    (('FILE', 1, 8192, None), {}),
    (('FILE', 1, 8192, b'utf-8'), {}),
    (('FILE', 1, 8192, 'utf-8\x00'), {}),
    (('FILE', 1, 8192, 'utf-8', 5), {}),
    (('FILE', 1, 8192, 'utf-8', 'str\udcff'), {}),
    (('FILE',), {}),
    ((), {}),
    (('FILE', 1, 8192, 'utf-8', 'strict', 'extra'), {}),
    (('FILE',), {'n': 2}),
    ((), {'file_path': 'FILE', 'n': 2, 'chunk_size': 3, 'encoding': 'latin-1',
          'errors': 'strict'}),
    (('FILE', 2), {'file_path': 'FILE'}),
    (('FILE', 2), {'bogus': 1}),
    (('FILE\x00x', 1), {}),
    (('\udcff', 1), {}),
    (('\ud800', 1), {}),
    (('DIR/', 1), {}),
    (('DANGLING', 1), {}),
    (('LINK', 2), {}),
    (('FILE/x', 1), {}),
    (('x' * 5000, 1), {}),
])
def test_argument_edge_cases(args, kwargs):
    path = _write('edge', b'one\ntwo\r\nthree\n\xff\n')
    link = os.path.join(_WORK, 'link')
    dangling = os.path.join(_WORK, 'dangling')
    for name, target in ((link, path), (dangling, os.path.join(_WORK, 'gone'))):
        if not os.path.lexists(name):
            os.symlink(target, name)
    mapping = {'FILE': path, 'MISSING': os.path.join(_WORK, 'missing'), 'DIR': _WORK,
               'LINK': link, 'DANGLING': dangling}

    def resolve(value):
        if isinstance(value, str):
            for key, replacement in mapping.items():
                if value.startswith(key):
                    return replacement + value[len(key):]
        return value

    _same_tail(*[resolve(a) for a in args], **{k: resolve(v) for k, v in kwargs.items()})


def test_pathlike_and_bytes_paths():
    path = _write('pathlike', b'a\nb\nc\n')
    _same_tail(pathlib.Path(path), 2)
    _same_tail(os.fsencode(path), 2)
    _same_tail(pathlib.Path(_WORK) / 'missing', 2)

    class StrSubclass(str):
        pass

    _same_tail(StrSubclass(path), 2)


def test_runtime_error_chain():
    for function in (original('read_last_n_lines'), native('read_last_n_lines')):
        with pytest.raises(RuntimeError) as info:
            function('/proc', 3)
        assert str(info.value) == ("Failed to read last 3 lines from /proc: "
                                   "[Errno 21] Is a directory: '/proc'")
        cause = info.value.__cause__
        assert type(cause) is IsADirectoryError
        assert (cause.errno, cause.filename, cause.strerror) == (21, '/proc', 'Is a directory')
        assert info.value.__context__ is cause
        assert info.value.__suppress_context__


def test_decode_errors_propagate_uncaught():
    path = _write('strict', b'ok\n\xff\n')
    for function in (original('read_last_n_lines'), native('read_last_n_lines')):
        with pytest.raises(UnicodeDecodeError) as info:
            function(path, 2, errors='strict')
        assert info.value.object == b'\xff'
        assert info.value.__cause__ is None
        with pytest.raises(LookupError):
            function(path, 2, encoding='no-such-codec')
        # LookupError only comes after reading: not for n == 0 or an empty file.
        assert function(path, 0, encoding='no-such-codec') == []
        assert function(_write('empty', b''), 3, encoding='no-such-codec') == []


@given(data=st.binary(max_size=300) | st.lists(
    st.sampled_from([b'\n', b'\r', b'\r\n', b'a', b'bc', b'\xff', b'\xc3', b'\xa9', b'\x00',
                     b'\xe2\x82', b'\xed\xa0\x80', b'line']), max_size=120).map(b''.join),
       n=st.integers(min_value=-3, max_value=40) | st.sampled_from([2**63, 2**64 + 1]),
       chunk_size=st.sampled_from([None, -2, -1, 0, 1, 2, 3, 5, 7, 16, 8192, 2**70]),
       encoding=st.sampled_from((None,) + ENCODINGS),
       errors=st.sampled_from((None,) + ERRORS))
@_HYPOTHESIS
def test_read_last_n_lines_random(data, n, chunk_size, encoding, errors):
    path = _write('random', data)
    kwargs = {}
    if chunk_size is not None:
        kwargs['chunk_size'] = chunk_size
    if encoding is not None:
        kwargs['encoding'] = encoding
    if errors is not None:
        kwargs['errors'] = errors
    _same_tail(path, n, **kwargs)


# ---------------------------------------------------------------- hash_file


def _hash_outcome(function, *args):
    """Everything SkyPilot can observe of hash_file's result or exception."""
    try:
        h = function(*args)
    except Exception as e:
        return ('raise', type(e), str(e), getattr(e, 'errno', None),
                getattr(e, 'filename', None))
    xof = type(h).__name__ == 'HASHXOF'
    digest = (lambda obj: obj.digest(20)) if xof else (lambda obj: obj.digest())
    hexdigest = (lambda obj: obj.hexdigest(20)) if xof else (lambda obj: obj.hexdigest())
    copy = h.copy()
    copy.update(b'more data')
    after = (digest(h), hexdigest(h), digest(copy), hexdigest(copy))
    h.update(memoryview(b'x' * 5000)[1:])
    h.update(bytearray(b'y'))
    return ('ok', h.name, h.digest_size, h.block_size, after, digest(h), hexdigest(h),
            digest(copy), type(h.update(b'')), type(h))


def assert_same_hash(*args):
    expected = _hash_outcome(original('hash_file'), *args)
    actual = _hash_outcome(native('hash_file'), *args)
    assert actual == expected, f'hash_file{args!r}'
    return actual


ALGORITHMS = sorted(hashlib.algorithms_available)


@pytest.mark.parametrize('algorithm', ALGORITHMS)
def test_every_available_algorithm(algorithm):
    for i, data in enumerate([b'', b'x', b'abc', bytes(range(256)) * 1100,
                              os.urandom(262144 * 2 + 3)]):
        assert_same_hash(_write(f'hash{i}', data), algorithm)
        assert_same_hash(_write(f'hash{i}', data), algorithm.upper())


def test_known_vectors():
    empty = _write('empty-hash', b'')
    assert native('hash_file')(empty, 'md5').hexdigest() == 'd41d8cd98f00b204e9800998ecf8427e'
    assert native('hash_file')(empty, 'sha256').hexdigest() == (
        'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855')
    h = native('hash_file')(_write('abc', b'abc'), 'SHA256')
    assert h.name == 'sha256'
    assert h.digest() == hashlib.sha256(b'abc').digest()
    assert repr(h).startswith('<sha256 ') and ' object @ 0x' in repr(h)


@pytest.mark.parametrize('path,algorithm', [
    ('MISSING', 'md5'), ('MISSING', 'foo'), ('MISSING', None), ('/proc', 'sha256'),
    ('/proc', 'foo'), ('FILE', 'foo'), ('FILE', 'sha256 '), ('FILE', ''), ('FILE', None),
    ('FILE', 123), ('FILE', b'md5'), ('FILE', ['md5']), ('FILE', 'SHA3_256'), ('FILE', 'BLAKE2B'),
    ('FILE', 'blake2b512'), ('FILE', 'sha2-256'), ('FILE', 'SHA512-224'), ('FILE', 'RIPEMD-160'),
    ('FILE', 'ssl3-md5'), ('FILE', 'null'), ('FILE', 'KECCAK-KMAC-128'), ('FILE', 'SHAKE128'),
    ('FILE', 'md5\x00'), ('', 'md5'), ('FILE\x00', 'md5'), ('\udcff', 'md5'), ('\ud800', 'md5'),
    ('/dev/null', 'md5'), ('/proc/self/limits', 'md5'), (123456, 'md5'), (None, 'md5'),
])
def test_hash_edge_cases(path, algorithm):
    file_path = _write('hash-edge', b'some content\n' * 1000)
    mapping = {'FILE': file_path, 'MISSING': os.path.join(_WORK, 'missing')}
    if isinstance(path, str):
        for key, replacement in mapping.items():
            if path.startswith(key):
                path = replacement + path[len(key):]
    assert_same_hash(path, algorithm)


def test_hash_pathlike_and_argument_binding():
    path = _write('hash-pathlike', b'data')
    assert_same_hash(pathlib.Path(path), 'md5')
    assert_same_hash(os.fsencode(path), 'md5')
    for args, kwargs in [((path,), {}), ((), {}), ((path, 'md5', 'x'), {}),
                         ((path,), {'hash_alg': 'md5'}), ((), {'path': path, 'hash_alg': 'md5'}),
                         ((path, 'md5'), {'path': path}), ((path,), {'alg': 'md5'})]:
        outcomes = []
        for function in (original('hash_file'), native('hash_file')):
            try:
                outcomes.append(('ok', function(*args, **kwargs).hexdigest()))
            except Exception as e:
                outcomes.append(('raise', type(e), str(e)))
        assert outcomes[0] == outcomes[1]


def test_hash_object_api():
    path = _write('hash-api', b'hello world')
    h = native('hash_file')(path, 'sha256')
    reference = hashlib.sha256(b'hello world')
    for data in ('text', 12, None, memoryview(b'abcd').cast('B', (2, 2)),
                 memoryview(b'abcdef')[::2], array.array('I', [1, 2, 3]), b'', bytearray(3000)):
        outcomes = []
        for obj in (h, reference):
            try:
                outcomes.append(('ok', obj.update(data), obj.hexdigest()))
            except Exception as e:
                outcomes.append(('raise', type(e), str(e)))
        assert outcomes[0] == outcomes[1], repr(data)
    with pytest.raises(TypeError):
        type(h)()
    big = os.urandom(1 << 20)
    h.update(big)
    reference.update(big)
    assert h.hexdigest() == reference.hexdigest()
    with pytest.raises(AttributeError):
        h.name = 'x'


@given(data=st.binary(max_size=2000), algorithm=st.sampled_from(ALGORITHMS),
       upper=st.booleans())
@_HYPOTHESIS
def test_hash_file_random(data, algorithm, upper):
    assert_same_hash(_write('hash-random', data), algorithm.upper() if upper else algorithm)


# ---------------------------------------------------------------- permissions, -O, threads


def _run_python(*flags, code, user=None):
    kwargs = {}
    if user is not None:
        skip_unless_others_can_run_this_python()
        # SkyPilot's import creates ~/.sky: give the user a home of its own.
        home = tempfile.mkdtemp(prefix='sky_home_')
        os.chown(home, user, -1)
        kwargs['user'] = user
        kwargs['env'] = dict(os.environ, HOME=home)
    return subprocess.run([sys.executable, *flags, '-c', textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=str(pathlib.Path(__file__).parent), **kwargs)


_PERMISSION_CHECK = '''
    import os, sys
    from differential import assert_same, original, native
    path = {path!r}
    print(assert_same('read_last_n_lines', path, 2))
    print(assert_same('read_last_n_lines', {directory!r} + '/inner', 2))
    for function in (original('hash_file'), native('hash_file')):
        try:
            function(path, 'md5')
        except PermissionError as e:
            print(type(e).__name__, e.errno, e.filename, e)
'''


def test_permission_denied():
    for name in ('read_last_n_lines', 'hash_file'):
        original(name)  # skips where the release's code is not verified
    directory = tempfile.mkdtemp(prefix='sky_perm_')
    os.chmod(directory, 0o755)
    path = os.path.join(directory, 'secret')
    with open(path, 'wb') as f:
        f.write(b'secret\n')
    os.chmod(path, 0)
    inner = os.path.join(directory, 'closed')
    os.mkdir(inner)
    with open(os.path.join(inner, 'inner'), 'wb') as f:
        f.write(b'x\n')
    os.chmod(inner, 0)
    code = _PERMISSION_CHECK.format(path=path, directory=inner)
    if os.geteuid() == 0:
        # Root bypasses file modes: check as an unprivileged user instead.
        result = _run_python(code=code, user=65534)
    else:
        result = _run_python(code=code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == repr(('raise', RuntimeError, (
        f"Failed to read last 2 lines from {path}: [Errno 13] Permission denied: '{path}'"),
                             PermissionError))
    assert 'AssertionError' in lines[1] and 'File not found' in lines[1]
    assert lines[2] == lines[3] == (
        f"PermissionError 13 {path} [Errno 13] Permission denied: '{path}'")


def test_without_asserts_under_dash_o():
    path = _write('optimized', b'a\nb\n')
    empty = _write('optimized-empty', b'')
    original('read_last_n_lines')  # skips where the release's code is not verified
    code = f'''
        import sys
        assert sys.flags.optimize == 1
        from differential import assert_same
        for args in [({path!r} + '.missing', 2), ({path!r} + '.missing', 0), ({path!r}, -1),
                     ({path!r}, -5), ({empty!r}, -1), ('/proc', 1), ({path!r}, 2)]:
            print(assert_same('read_last_n_lines', *args))
    '''
    result = _run_python('-O', code=code)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 7
    assert lines[0].startswith("('raise', <class 'RuntimeError'>, \"Failed to read last 2 lines")
    assert lines[2].startswith("('raise', <class 'IndexError'>")
    assert lines[5].startswith("('raise', <class 'RuntimeError'>")


def test_file_changing_while_read():
    path = _write('growing.log', b'start\n' * 1000)
    stop = threading.Event()

    def writer():
        i = 0
        while not stop.is_set():
            with open(path, 'ab') as f:
                f.write(b'line %d\r\n' % i * 50)
            if i % 50 == 0:
                with open(path, 'r+b') as f:
                    f.truncate(i % 7 * 1000)
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    deadline = time.monotonic() + 3
    calls = 0
    try:
        while time.monotonic() < deadline:
            try:
                lines = native('read_last_n_lines')(path, 5, 64)
                assert isinstance(lines, list) and len(lines) <= 5
                assert all(isinstance(line, str) for line in lines)
            except IndexError:
                pass  # the file shrank between seek and read: SkyPilot's IndexError too
            digest = native('hash_file')(path, 'sha256').hexdigest()
            assert len(digest) == 64
            calls += 1
    finally:
        stop.set()
        thread.join()
    assert calls > 10


def test_eight_threads_same_results():
    files = [_write(f'threads{i}', os.urandom(1000 * i) + b'\n'.join(
        b'row %d' % j for j in range(i * 300))) for i in range(1, 9)]
    algorithms = ['md5', 'sha256', 'sha512', 'blake2b', 'sha3_256', 'shake_128']

    def work(index):
        out = []
        for k in range(40):
            path = files[(index + k) % len(files)]
            out.append(native('read_last_n_lines')(path, k % 13 + 1, [7, 8192, 100][k % 3],
                                                    errors='backslashreplace'))
            h = native('hash_file')(path, algorithms[k % len(algorithms)])
            out.append(h.hexdigest(16) if h.name.startswith('shake') else h.hexdigest())
        return out

    single = [work(i) for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        for _ in range(3):
            assert list(pool.map(work, range(8))) == single


def test_mocked_dependencies_defer_to_python(monkeypatch):
    missing = os.path.join(_WORK, 'missing-mocked')
    monkeypatch.setattr(os.path, 'exists', lambda path: True)
    # The mocked exists lets SkyPilot reach open(): RuntimeError, not AssertionError.
    outcome = _same_tail(missing, 1)
    assert outcome[1] is RuntimeError
    monkeypatch.undo()
    path = _write('mocked-hash', b'data')
    calls = []
    real_new = hashlib.new
    monkeypatch.setattr(hashlib, 'new', lambda name: calls.append(name) or real_new(name))
    h = native('hash_file')(path, 'md5')
    assert calls == ['md5']
    assert h.hexdigest() == real_new('md5', b'data').hexdigest()
    monkeypatch.undo()
    # A mocked open() is what SkyPilot's own function calls; the native path
    # never does.
    opened = []
    real_open = builtins.open
    monkeypatch.setattr(builtins, 'open',
                        lambda *a, **k: opened.append(a[0]) or real_open(*a, **k))
    assert native('hash_file')(path, 'md5').hexdigest() == real_new('md5', b'data').hexdigest()
    assert opened == [path]
    monkeypatch.undo()
    assert type(native('hash_file')(path, 'md5')) is type(real_new('md5'))
