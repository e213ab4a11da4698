"""get_cpu_count / get_mem_size_gb: native against SkyPilot's Python, and
sky_native's float() grammar against float()."""
import contextlib
import math
import os
import struct
import sys
import threading
from unittest import mock

import psutil
import pytest
from differential import EXAMPLE_COUNT
from differential import native
from differential import native_only
from differential import original
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

import sky_native
from sky.utils import common_utils

CPU_VAR = 'SKYPILOT_POD_CPU_CORE_LIMIT'
GB_VAR = 'SKYPILOT_POD_MEMORY_GB_LIMIT'
BYTES_VAR = 'SKYPILOT_POD_MEMORY_BYTES_LIMIT'
ALL_VARS = (CPU_VAR, GB_VAR, BYTES_VAR)

HYPOTHESIS = settings(max_examples=EXAMPLE_COUNT, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])

# Pieces around Python's float() grammar: digits (ASCII and other scripts),
# signs, points, exponents, underscores, whitespace of every kind, the inf /
# nan words, and what float() rejects (hex, nan(...), superscripts, DEL).
_PIECES = [
    '0', '1', '5', '9', '00', '123', '.', 'e', 'E', '+', '-', '_', '__', ' ', '\t',
    '\n', '\r', '\v', '\f', 'inf', 'INF', 'Infinity', 'iNfInItY', 'nan', 'NaN',
    'in', 'fin', 'ity', 'x', '0x', '0X1p3', 'p', '(', ')', 'nan(1)', '1e308',
    '1e309', '1e-324', '4.9e-324', '9' * 30, '1e99999999999', '0.' + '0' * 30,
    '\u0661', '\u0669', '\uff11', '\uff15', '\u0968', '\U0001d7cf', '\u00b2',
    '\u2160', '\u3000', '\xa0', '\x85', '\x1c', '\x1f', '\u2028', '\u2000',
    '\u200b', '\ufeff', '\x7f', '\x00', '\udcff', '\udc80', ',', 'd', 'f',
]
float_like = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=8).map(''.join),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(allow_nan=False).map(lambda x: f'{x:.17e}'),
    st.integers().map(str),
    st.integers(min_value=0).map(lambda i: f'{i:_}'),
    st.text(alphabet=st.sampled_from('0123456789._eE+- '), max_size=12),
    st.text(max_size=10),
)


def _env_value(text):
    """What os.environ can hold: no NUL, and encodable with surrogateescape."""
    if '\x00' in text:
        return None
    try:
        text.encode(sys.getfilesystemencoding(), 'surrogateescape')
    except UnicodeEncodeError:
        return None
    return text


env_values = float_like.map(_env_value).filter(lambda v: v is not None)


@pytest.fixture(autouse=True)
def _restore_tracebacklimit():
    """SkyPilot's ux_utils wrapper leaves sys.tracebacklimit at 0 after the
    parse errors; keep that from leaking into other tests."""
    had = hasattr(sys, 'tracebacklimit')
    saved = getattr(sys, 'tracebacklimit', None)
    yield
    if had:
        sys.tracebacklimit = saved
    elif hasattr(sys, 'tracebacklimit'):
        del sys.tracebacklimit


def _bits(x):
    return struct.pack('<d', x)


def full_outcome(function, *args, **kwargs):
    """The result (type, value bits) or the exception with its cause and
    context as far as a caller can see them."""
    try:
        value = function(*args, **kwargs)
    except Exception as e:
        cause = e.__cause__
        return ('raise', type(e), str(e),
                None if cause is None else (type(cause), str(cause)),
                e.__suppress_context__,
                None if e.__context__ is None else type(e.__context__))
    if isinstance(value, float):
        if math.isnan(value):
            return ('ok', float, 'nan', math.copysign(1.0, value))
        return ('ok', float, _bits(value))
    return ('ok', type(value), value)


def assert_same_full(name, *args, **kwargs):
    tracebacklimit = getattr(sys, 'tracebacklimit', None)
    expected = full_outcome(original(name), *args, **kwargs)
    expected_limit = getattr(sys, 'tracebacklimit', None)
    if tracebacklimit is None:
        sys.__dict__.pop('tracebacklimit', None)
    else:
        sys.tracebacklimit = tracebacklimit
    actual = full_outcome(native(name), *args, **kwargs)
    assert actual == expected, (name, args, kwargs, dict(
        (k, os.environ.get(k)) for k in ALL_VARS))
    # The ux_utils side effect (sys.tracebacklimit = 0) is the same too.
    assert getattr(sys, 'tracebacklimit', None) == expected_limit
    return actual


@contextlib.contextmanager
def env(**values):
    """Sets (str) or deletes (None) the override variables."""
    with pytest.MonkeyPatch.context() as mp:
        for name in ALL_VARS:
            mp.delenv(name, raising=False)
        for short, value in values.items():
            name = {'cpu': CPU_VAR, 'gb': GB_VAR, 'bytes': BYTES_VAR}[short]
            if value is not None:
                mp.setenv(name, value)
        yield


# --- float() grammar -------------------------------------------------------


def _float_outcome(text):
    try:
        value = float(text)
    except ValueError:
        return None
    return ('nan', math.copysign(1.0, value)) if math.isnan(value) else _bits(value)


def _native_float_outcome(text):
    value = sky_native._parse_python_float(text)
    if value is None:
        return None
    return ('nan', math.copysign(1.0, value)) if math.isnan(value) else _bits(value)


@HYPOTHESIS
@given(float_like)
def test_parse_python_float_matches_float(text):
    assert _native_float_outcome(text) == _float_outcome(text), repr(text)


@pytest.mark.parametrize('text', [
    '2.5', '0.5', '-1', ' 4 ', '1e1', '', 'nan', '-nan', 'inf', '-Infinity', '1e30',
    '1_000', '1__0', '_1', '1_', '0x10', 'nan(1)', '.5', '5.', '.', '1e', '1e+5',
    '\u0661\u0662', '\x1c1', '1\x1f', '\x851', '1\u3000', '\ufeff1', '\udcff',
    '1e-400', '-1e-400', '1e400', '9007199254740993', '0.1', '١_٢',
])
def test_parse_python_float_vectors(text):
    assert _native_float_outcome(text) == _float_outcome(text)


# Non-ASCII digits and spaces, looked up in the running interpreter's Unicode
# database (the module installs it): Tangsa digits are decimal from 3.11 on
# (Unicode 14), Kawi and Nag Mundari ones from 3.12 on (Unicode 15); the
# others in every version.
UNICODE_DIGITS_AND_SPACES = ['\U0001fbf4', '\u0660', '\u3000', '\u1680', '\U00016ac3',
                             '\U00011f53', '\U0001e4f3', '\u2028', '\x85']


@pytest.mark.parametrize('char', UNICODE_DIGITS_AND_SPACES)
@pytest.mark.parametrize('template', ['{}', '1{}', '{}.5', '{0}2{0}'])
def test_interpreter_unicode_database(char, template):
    value = template.format(char)
    assert _native_float_outcome(value) == _float_outcome(value), repr(value)
    for name, variable in (('get_mem_size_gb', 'gb'), ('get_cpu_count', 'cpu')):
        with env(**{variable: value}):
            assert_same_full(name)
            if _float_outcome(value) is not None:  # answered natively
                with native_only(name):
                    native(name)()


# --- get_cpu_count: the environment override -------------------------------


@HYPOTHESIS
@given(env_values)
def test_cpu_env_override(value):
    with env(cpu=value):
        assert_same_full('get_cpu_count')


@pytest.mark.parametrize('value, expected', [
    ('2.5', 2), ('0.5', 0), ('-1', -1), (' 4 ', 4), ('1e1', 10), ('1_000', 1000),
    ('\u0664', 4), ('-0.9', 0), ('1e30', 1000000000000000019884624838656),
    ('-1e30', -1000000000000000019884624838656),
])
def test_cpu_env_vectors(value, expected):
    with env(cpu=value):
        assert_same_full('get_cpu_count')
        with native_only('get_cpu_count'):
            result = sky_native.get_cpu_count()
        assert type(result) is int and result == expected


@pytest.mark.parametrize('value, error, message, cause', [
    ('', ValueError, 'Failed to parse the number of CPUs from ',
     "could not convert string to float: ''"),
    ('nan', ValueError, 'Failed to parse the number of CPUs from nan',
     'cannot convert float NaN to integer'),
    ('0x10', ValueError, 'Failed to parse the number of CPUs from 0x10',
     "could not convert string to float: '0x10'"),
    ('inf', OverflowError, 'cannot convert float infinity to integer', None),
    ('-infinity', OverflowError, 'cannot convert float infinity to integer', None),
])
def test_cpu_env_errors(value, error, message, cause):
    with env(cpu=value):
        outcome = assert_same_full('get_cpu_count')
    assert outcome[1] is error and outcome[2] == message
    assert (outcome[3] and outcome[3][1]) == cause


def test_cpu_env_parse_error_sets_tracebacklimit():
    sys.__dict__.pop('tracebacklimit', None)
    with env(cpu='four'), mock.patch.dict(os.environ, {'SKYPILOT_DEBUG': '0'}):
        with pytest.raises(ValueError):
            sky_native.get_cpu_count()
    assert sys.tracebacklimit == 0


def test_cpu_env_undecodable_bytes():
    with env(cpu='4\udcff'):
        assert_same_full('get_cpu_count')


# --- get_cpu_count: the host -------------------------------------------------


def _expected_host_cpus():
    cpu = min(psutil.cpu_count(), len(os.sched_getaffinity(0)))
    limit = common_utils._get_cgroup_cpu_limit()
    return cpu if limit is None else min(cpu, int(limit))


def test_cpu_host_unset():
    with env():
        assert_same_full('get_cpu_count')
        with native_only('get_cpu_count'):
            result = sky_native.get_cpu_count()
        assert result == _expected_host_cpus()
        assert common_utils.get_cpu_count() == result


def test_cpu_arguments_raise_the_same_type_error():
    with env():
        assert_same_full('get_cpu_count', 1)
        assert_same_full('get_cpu_count', x=1)


# --- mocked dependencies: the native function gives the mocked answer -----


@pytest.mark.parametrize('target, kwargs, expected', [
    ('psutil.cpu_count', {'return_value': 1}, 1),
    ('os.sched_getaffinity', {'return_value': {0}}, 1),
    ('sky.utils.common_utils._get_cgroup_cpu_limit', {'return_value': 1.5}, 1),
    ('sky.utils.common_utils._is_cgroup_v2', {'return_value': False}, None),
])
def test_cpu_mocks_fall_back(target, kwargs, expected):
    with env(), mock.patch(target, **kwargs) as mocked:
        result = sky_native.get_cpu_count()
        assert mocked.called  # the native function deferred to SkyPilot's
        assert result == (original('get_cpu_count')() if expected is None else expected)
        assert common_utils.get_cpu_count() == result
        assert_same_full('get_cpu_count')


def test_cpu_mocked_psutil_none_raises_type_error():
    with env(), mock.patch('psutil.cpu_count', return_value=None):
        outcome = assert_same_full('get_cpu_count')
    assert outcome[1] is TypeError


def test_cpu_mocked_cgroup_zero_division():
    with env(), mock.patch('sky.utils.common_utils._get_cgroup_cpu_limit',
                           side_effect=ZeroDivisionError('float division by zero')):
        outcome = assert_same_full('get_cpu_count')
    assert outcome[1] is ZeroDivisionError


def test_cpu_mocked_v2_files_through_open():
    """cpu.max text through a mocked open(): period 0 escapes."""
    with env(), mock.patch('sky.utils.common_utils._is_cgroup_v2', return_value=True), \
            mock.patch('builtins.open', mock.mock_open(read_data='100000 0\n')):
        outcome = assert_same_full('get_cpu_count')
    assert outcome[1:3] == (ZeroDivisionError, 'float division by zero')


def test_cpu_replaced_environ_mapping():
    """A test that replaces os.environ with a dict still gets its value."""
    with env(), mock.patch('os.environ', {CPU_VAR: '3'}):
        assert sky_native.get_cpu_count() == 3
        assert_same_full('get_cpu_count')


# SkyPilot's test_get_cpu_count (TestCgroupFunctions), against the replaced
# common_utils.get_cpu_count.
@pytest.mark.parametrize('affinity, cgroup, expected', [
    (None, None, 8),
    ({0, 1, 2, 3}, None, 4),
    ({0, 1, 2, 3}, 16.0, 4),
    (None, 2.0, 2),
    (None, 0.5, 0),
    (None, 1.5, 1),
])
def test_skypilot_get_cpu_count(monkeypatch, affinity, cgroup, expected):
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    original('get_cpu_count')  # skips where the release's code is not verified
    assert common_utils.get_cpu_count is sky_native.get_cpu_count
    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch('psutil.cpu_count', return_value=8))
        stack.enter_context(
            mock.patch('sky.utils.common_utils._get_cgroup_cpu_limit', return_value=cgroup))
        if affinity is None:
            monkeypatch.delattr(os, 'sched_getaffinity')
        else:
            stack.enter_context(mock.patch('os.sched_getaffinity', return_value=affinity))
        assert common_utils.get_cpu_count() == expected
        assert sky_native.get_cpu_count() == expected
    monkeypatch.setenv(CPU_VAR, '2')
    assert common_utils.get_cpu_count() == 2


# --- get_mem_size_gb ---------------------------------------------------------


@HYPOTHESIS
@given(env_values)
def test_memory_gb_env_override(value):
    with env(gb=value):
        assert_same_full('get_mem_size_gb')


@HYPOTHESIS
@given(env_values)
def test_memory_bytes_env_override(value):
    with env(bytes=value):
        assert_same_full('get_mem_size_gb')


@HYPOTHESIS
@given(st.one_of(st.none(), env_values), st.one_of(st.none(), env_values))
def test_memory_gb_and_bytes_precedence(gb, byte_count):
    with env(gb=gb, bytes=byte_count):
        assert_same_full('get_mem_size_gb')


@pytest.mark.parametrize('gb, byte_count, expected', [
    ('2', None, 2.0), ('inf', None, math.inf), ('-1.5', '1', -1.5),
    (None, '1073741824', 1.0), (None, '1_073_741_824', 1.0), (None, '1e9', 1e9 / 1024**3),
    (None, '-inf', -math.inf), (' 8 ', 'nonsense', 8.0),
])
def test_memory_env_vectors(gb, byte_count, expected):
    with env(gb=gb, bytes=byte_count):
        assert_same_full('get_mem_size_gb')
        with native_only('get_mem_size_gb'):
            result = sky_native.get_mem_size_gb()
        assert type(result) is float and result == expected


@pytest.mark.parametrize('gb, byte_count, message', [
    ('', None, 'Failed to parse the memory size from  (GB)'),
    ('x', '1024', 'Failed to parse the memory size from x (GB)'),
    (None, '1 GiB', 'Failed to parse the memory size from 1 GiB (bytes)'),
    (None, '0x400', 'Failed to parse the memory size from 0x400 (bytes)'),
])
def test_memory_env_errors(gb, byte_count, message):
    with env(gb=gb, bytes=byte_count):
        outcome = assert_same_full('get_mem_size_gb')
    assert outcome[1] is ValueError and outcome[2] == message
    assert outcome[3][0] is ValueError


def test_memory_host_unset():
    with env():
        assert_same_full('get_mem_size_gb')
        with native_only('get_mem_size_gb'):
            result = sky_native.get_mem_size_gb()
        mem = psutil.virtual_memory().total
        limit = common_utils._get_cgroup_memory_limit()
        if limit is not None:
            mem = min(mem, limit)
        assert result == mem / 1024**3
        assert common_utils.get_mem_size_gb() == result


@pytest.mark.parametrize('target, kwargs', [
    ('psutil.virtual_memory', {'return_value': mock.Mock(total=3 * 1024**3)}),
    ('sky.utils.common_utils._get_cgroup_memory_limit', {'return_value': 3 * 1024**3}),
])
def test_memory_mocks_fall_back(target, kwargs):
    with env(), mock.patch(target, **kwargs) as mocked:
        assert sky_native.get_mem_size_gb() == 3.0
        assert mocked.called
        assert common_utils.get_mem_size_gb() == 3.0
        assert_same_full('get_mem_size_gb')


def test_memory_procfs_path_falls_back(tmp_path):
    (tmp_path / 'meminfo').write_text('MemTotal: 1048576 kB\nMemFree: 1 kB\n')
    with env(), mock.patch.object(psutil, 'PROCFS_PATH', str(tmp_path)), \
            mock.patch('sky.utils.common_utils._get_cgroup_memory_limit', return_value=None):
        assert_same_full('get_mem_size_gb')
    with env(), mock.patch.object(psutil, 'PROCFS_PATH', str(tmp_path)):
        assert_same_full('get_mem_size_gb')


# SkyPilot's test_get_mem_size_gb against the replaced function.
@pytest.mark.parametrize('cgroup, expected', [
    (None, 8.0), (4 * 1024**3, 4.0), (16 * 1024**3, 8.0), (2**70, 8.0),
])
def test_skypilot_get_mem_size_gb(monkeypatch, cgroup, expected):
    for name in ALL_VARS:
        monkeypatch.delenv(name, raising=False)
    original('get_mem_size_gb')  # skips where the release's code is not verified
    assert common_utils.get_mem_size_gb is sky_native.get_mem_size_gb
    with mock.patch('psutil.virtual_memory', return_value=mock.Mock(total=8 * 1024**3)), \
            mock.patch('sky.utils.common_utils._get_cgroup_memory_limit', return_value=cgroup):
        assert common_utils.get_mem_size_gb() == expected
        assert sky_native.get_mem_size_gb() == expected
    monkeypatch.setenv(GB_VAR, '2')
    assert common_utils.get_mem_size_gb() == 2.0


def test_memory_arguments_raise_the_same_type_error():
    with env():
        assert_same_full('get_mem_size_gb', 1)
        assert_same_full('get_mem_size_gb', gb=1)


# --- threads -------------------------------------------------------------------


def test_eight_threads_get_the_same_answers():
    with env():
        expected = (original('get_cpu_count')(), original('get_mem_size_gb')())
        results = []
        lock = threading.Lock()

        def work():
            local = [(sky_native.get_cpu_count(), sky_native.get_mem_size_gb())
                     for _ in range(200)]
            with lock:
                results.extend(local)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(results) == 1600
    assert set(results) == {expected}
