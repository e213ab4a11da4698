"""base36_encode, format_float and truncate_long_string: sky_native against
SkyPilot's Python, on test vectors, edge cases and generated inputs."""
import decimal
import fractions
import hashlib
import sys

from differential import EXAMPLE_COUNT
from differential import assert_same
from differential import native
from differential import native_only
from differential import original
from differential import outcome
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st
import pytest

EXAMPLES = settings(max_examples=EXAMPLE_COUNT, deadline=None)
ZONE = 'us-west-2-availability-zone-1'


def _parses_negative(text):
    """True when int(text, 16) is a negative value (SkyPilot hangs there)."""
    try:
        return int(text, 16) < 0
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------- base36


@pytest.mark.parametrize('text,expected', [
    ('ff', '73'), ('0x10', 'g'), ('100', '74'), ('0', '0'), ('000f', 'f'),
    ('d41d8cd98f00b204e9800998ecf8427e', 'ck2u8j60r58fu0sgyxrigm3cu'),
    ('FF', '73'), (' ff\n', '73'), ('f_f', '73'), ('+ff', '73'),
    ('0XfF', '73'), ('0x_ff', '73'), ('-0', '0'), ('-0x0', '0'),
])
def test_base36_vectors(text, expected):
    assert native('base36_encode')(text) == expected
    assert assert_same('base36_encode', text) == ('ok', str, expected)


def test_base36_cluster_name_digest():
    digest = hashlib.md5(b'Cuda_11.8').hexdigest()
    assert assert_same('base36_encode', digest)[2].startswith('73')


@pytest.mark.parametrize('text', [
    '', 'xyz', '0x', '0X', '0x_', '_ff', 'f__f', 'ff_', '0_x', '0x__f', '+_f',
    '- ff', '+-ff', '--1', 'f f', '\x1cff', 'ff\x1f', 'ff\x00', '\u200bff',
    '\u00b2', '\uff41', '\ud800', "it's", 'x' * 500, "'" + 'y' * 300, 'g',
    '0o1', '00x1',
])
def test_base36_invalid_literals(text):
    outcome = assert_same('base36_encode', text)
    assert outcome[:2] == ('raise', ValueError)
    assert outcome[2].startswith('invalid literal for int() with base 16: ')


@pytest.mark.parametrize('text', [
    '\u0663\u0663', '0x\u0663', '\u0e53\u0e53', '\U0001d7d9', '\uff10x5',
    '\u0085ff', '\u00a0ff\u3000\u2028', '\t\n\v\f\r ff \r\n', '0b1', '00',
    '1' + '0' * 64, 'f' * 100, '123456789abcdef0' * 20, '0' * 1000 + 'ff',
    'f' * 5000, '0x' + '_'.join('f' * 300), hex(36**50), hex(36**6 - 1),
])
def test_base36_valid_edge_cases(text):
    assert assert_same('base36_encode', text)[0] == 'ok'


@pytest.mark.parametrize('text', ['-ff', ' -0x1 ', '-\u0663', '-' + 'f' * 300])
def test_base36_negative_raises_instead_of_hanging(text):
    with pytest.raises(ValueError) as error:
        native('base36_encode')(text)
    assert str(error.value) == (
        f'base36_encode() does not accept a negative value: {text!r:.200}')


@pytest.mark.parametrize('args,kwargs', [
    ((None,), {}), ((255,), {}), ((), {}), (('ff', 'ff'), {}),
    ((), {'hex': 'ff'}), (('ff',), {'hex_str': 'ff'}),
])
def test_base36_type_errors(args, kwargs):
    assert assert_same('base36_encode', *args, **kwargs)[:2] == ('raise', TypeError)


def test_base36_keyword_and_subclass():
    class Hex(str):
        pass

    assert assert_same('base36_encode', hex_str='ff') == ('ok', str, '73')
    assert assert_same('base36_encode', Hex('ff')) == ('ok', str, '73')
    # int() takes bytes too: deferred to the original, same result.
    assert assert_same('base36_encode', b'ff') == ('ok', str, '73')
    assert assert_same('base36_encode', bytearray(b' 0x1_0 ')) == ('ok', str, 'g')


HEXISH = st.text(alphabet=st.one_of(
    st.sampled_from('0123456789abcdefABCDEF'),
    st.sampled_from('0000xX__ +-\t\n\x1c\x00g'),
    st.sampled_from('\u0663\u0e53\uff10\uff19\U0001d7d9\u00a0\u3000\u2028\u0085\u00b2\u00e9'),
    st.characters()), max_size=24)

# Mostly well-formed literals, with the parts that int() is picky about.
_WS = st.sampled_from([''] * 8 + [' ', '\t', '\n', '\u00a0', '\u3000', '\x85', '\x1c'])
_SIGN = st.sampled_from([''] * 4 + ['+', '-', '-', '+-'])
_PREFIX = st.sampled_from([''] * 6 + ['0x', '0X', '0x_', '0x__', '0_x', '\uff10x', '_'])
_BODY = st.lists(
    st.tuples(st.sampled_from('0123456789abcdefABCDEF' * 3 + '\u0663\uff19\U0001d7d9g'),
              st.sampled_from([''] * 12 + ['_', '__'])),
    min_size=1, max_size=12).map(lambda parts: ''.join(u + d for d, u in parts))
STRUCTURED = st.builds(lambda *parts: ''.join(parts), _WS, _SIGN, _PREFIX, _BODY, _WS)


def _check_base36(text):
    if _parses_negative(text):
        with pytest.raises(ValueError, match='does not accept a negative value'):
            native('base36_encode')(text)
    else:
        assert_same('base36_encode', text)


@EXAMPLES
@given(STRUCTURED)
def test_base36_generated_literals(text):
    _check_base36(text)


@EXAMPLES
@given(HEXISH)
def test_base36_generated(text):
    _check_base36(text)


@EXAMPLES
@given(st.integers(min_value=0, max_value=2**2048), st.booleans(), st.booleans())
def test_base36_generated_values(value, upper, prefix):
    text = format(value, 'X' if upper else 'x')
    if prefix:
        text = '0x' + text
    assert assert_same('base36_encode', text)[0] == 'ok'


@pytest.mark.parametrize('text', [
    '\U0001fbf4', '\u0660f', '\u3000ff', '\u1680ff\u1680', '\U00016ac3',
    '\U00011f53', '\U0001e4f3a', '0x\U0001e4f3',
])
def test_base36_interpreter_unicode_database(text):
    """int(text, 16) with the running interpreter's Unicode database (its
    version differs between CPython releases; Tangsa digits are decimal from
    3.11 on, Kawi and Nag Mundari ones from 3.12 on)."""
    python = original('base36_encode')
    expected = outcome(python, text)
    with native_only('base36_encode'):  # the native parse alone answers
        actual = outcome(native('base36_encode'), text)
    if expected[0] == 'ok':
        assert actual == expected, repr(text)
    else:  # rejected natively too, and deferred for Python's own message
        assert actual[1] is AssertionError, repr(text)


# --------------------------------------------------------------- format_float

NAN = float('nan')
INF = float('inf')


@pytest.mark.parametrize('args,expected', [
    ((2.0,), '2'), ((2.5,), '2.5'), ((2.25, 1), '2.2'), ((2.35, 1), '2.4'),
    ((0.05, 1), '0.1'), ((2.675, 2), '2.67'), ((1.5, 0), '2'), ((2.5, 0), '2'),
    ((1.96, 1), '2.0'), ((-0.0,), '-0'), ((1e22,), '10000000000000000000000'),
    ((INF,), 'inf'), ((NAN,), 'nan'), ((2.5e-7, 1), '0.0'),
    ((1234.5, 1), '1234.5'), ((True,), 'True'), ((False,), 'False'),
    ((7,), '7'), ((-0.5, 0), '-0'), ((-INF,), '-inf'), ((-NAN,), 'nan'),
])
def test_format_float_vectors(args, expected):
    assert native('format_float')(*args) == expected
    assert assert_same('format_float', *args) == ('ok', str, expected)


class _Int(int):
    def __str__(self):
        return 'custom'


@pytest.mark.parametrize('args,kwargs', [
    ((1e308,), {}), ((-sys.float_info.max,), {}), ((5e-324, 20), {}),
    ((2.5, -1), {}), ((3.0, -1), {}), ((2.5, True), {}), ((2.5, '1'), {}),
    ((2.5, 1.0), {}), ((2.5, None), {}), ((2.5, 10**20), {}), ((2.5, 2**31), {}),
    ((0.1, 1000), {}), ((0.1, 1001), {}), ((2.5, 5000), {}), ((3, 'bad'), {}),
    ((10**4300,), {}), ((10**4299,), {}), ((-10**5000,), {}), ((_Int(5),), {}),
    ((decimal.Decimal('2.50'),), {}), ((decimal.Decimal('2'),), {}),
    ((fractions.Fraction(1, 3),), {}), (('2.5',), {}), ((None,), {}),
    ((complex(1, 2),), {}), ((), {}), ((2.5, 1, 2), {}), ((), {'num': 2.5}),
    ((), {'num': 2.25, 'precision': 1}), ((2.5,), {'precision': 3}),
    ((2.5,), {'num': 2.5}), ((2.5,), {'digits': 2}), ((), {'precision': 2}),
])
def test_format_float_edge_cases(args, kwargs):
    assert_same('format_float', *args, **kwargs)


def test_format_float_int_string_limit():
    outcome = assert_same('format_float', 10**4300)
    assert outcome[:2] == ('raise', ValueError)
    # 3.11: "(4300 digits)"; 3.9 and 3.10 (backported): "(4300)".
    assert 'Exceeds the limit (4300' in outcome[2]


@EXAMPLES
@given(st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
       st.integers(min_value=0, max_value=20))
def test_format_float_generated_floats(num, precision):
    assert_same('format_float', num, precision)


@EXAMPLES
@given(st.one_of(st.integers(), st.integers(min_value=-10**300, max_value=10**300),
                 st.booleans()),
       st.one_of(st.integers(-5, 30), st.none()))
def test_format_float_generated_ints(num, precision):
    if precision is None:
        assert_same('format_float', num)
    else:
        assert_same('format_float', num, precision=precision)


@EXAMPLES
@given(st.floats(min_value=-1e6, max_value=1e6).map(lambda v: round(v, 3)),
       st.integers(min_value=0, max_value=6))
def test_format_float_generated_short_decimals(num, precision):
    # Ties and near-ties of short decimals.
    assert_same('format_float', num, precision)


# --------------------------------------------------------------- truncate_long_string

END_VECTORS = [
    (('this is a very long string that needs truncation', 20), 'this is a very long ...'),
    (('aa bb cc dd', 5), 'aa bb...'),
    (('a b c d e f g h', 10), 'a b c d e f g...'),
    (('one two three four five six', 12), 'one two three...'),
    (('sky launch -c mycluster --gpus A100:8 task.yaml', 35),
     'sky launch -c mycluster --gpus A100:8...'),
    (('sky launch -c mycluster --gpus A100:8 task.yaml',),
     'sky launch -c mycluster --gpus A100:8...'),
    (('abcdefghijkl mn', 5), 'abcde...'),
    (('hello world', 0), '...'),
    (('x  y  z long words here', 6), 'x  y  z...'),
    (('hello', -2), 'hel...'),
    (('', 10), ''),
    (('', -1), '...'),
    (('', 0), ''),
    ((' abc def', 2), ' a...'),
    (('abc def ghi', 8), 'abc def ...'),
    (('a\u00e9\u20ac\U0001f600 bcd efg', 5), 'a\u00e9\u20ac\U0001f600 ...'),
]
MIDDLE_VECTORS = [
    ((ZONE, 20), 'us-west-2...y-zone-1'), ((ZONE, 15), 'us-wes...zone-1'),
    ((ZONE, 3), '...'), (('abcde', 4), 'a...'), (('abcdef', 5), 'a...f'),
    (('abcdefghijklmnopqrstuvwxyz', 10), 'abcd...xyz'),
    (('abcdefghijklmnopqrstuvwxyz', 11), 'abcd...wxyz'), (('abcde', 5), 'abcde'),
    (('hello world', -1), '...'), (('\u00e9\u20ac\U0001f600xyz\u00e9', 6), '\u00e9\u20ac...\u00e9'),
]


@pytest.mark.parametrize('args,expected', END_VECTORS)
def test_truncate_end_vectors(args, expected):
    assert native('truncate_long_string')(*args) == expected
    assert assert_same('truncate_long_string', *args) == ('ok', str, expected)


@pytest.mark.parametrize('args,expected', MIDDLE_VECTORS)
def test_truncate_middle_vectors(args, expected):
    assert native('truncate_long_string')(*args, True) == expected
    assert assert_same('truncate_long_string', *args, True) == ('ok', str, expected)
    assert assert_same('truncate_long_string', *args,
                       truncate_middle=True) == ('ok', str, expected)


def test_truncate_skypilot_unit_test_end_mode():
    result = native('truncate_long_string')(
        'this is a very long string that needs truncation', 20)
    assert len(result) <= 23 and result.endswith('...')
    assert result.startswith('this is a very')


class _Str(str):
    def split(self, *args, **kwargs):
        return ['x']


class _BadBool:
    def __bool__(self):
        raise RuntimeError('no truth')


@pytest.mark.parametrize('args,kwargs', [
    ((None,), {}), ((b'abc def', 2), {}), ((12345, 2), {}), ((_Str('abc def'), 2), {}),
    (('abc def', 2.0), {}), (('abc def', None), {}), (('abc def', '3'), {}),
    (('abc def', True), {}), (('abc def', False), {}), (('abc def', True, True), {}),
    (('abc def', 10**30), {}), (('abc def', -10**30), {}), (('abc def', -10**30, True), {}),
    (('abc def', 2**63), {}), (('abc def', -2**63), {}), (('abc def', -2**63 - 1), {}),
    (('abc def', 3, _BadBool()), {}), (('abc', 3, _BadBool()), {}),
    (('abc def ghi', 5, 'yes'), {}), (('abc def ghi', 5, ''), {}),
    (('abc def ghi', 5, None), {}), (('abc def ghi', 5, [0]), {}),
    (('abc def ghi', 5, 2.5), {}),
    ((), {'s': 'x', 'max_length': 3}), ((), {'s': 'abcdef', 'max_length': 3}),
    ((), {'s': ZONE, 'max_length': 15, 'truncate_middle': True}),
    (('abcdef',), {'truncate_middle': True}), (('abcdef',), {'max_length': 2}),
    ((), {}), ((), {'max_length': 3}), (('x', 3, False, 1), {}),
    (('x',), {'s': 'y'}), (('x',), {'length': 3}), (('x', 3), {'max_length': 3}),
    (('abc\tdef ghi', 5), {}), (('abc\u00a0def ghi', 5), {}), (('  ', 1), {}),
    (('a' * 100000 + ' b', 50), {}), ((' ' * 100, 10), {}),
])
def test_truncate_edge_cases(args, kwargs):
    assert_same('truncate_long_string', *args, **kwargs)


def test_truncate_result_kind_is_canonical():
    # A UCS-2/UCS-4 input whose wide characters are cut off gives an ASCII
    # or Latin-1 result that compares and hashes like Python's.
    for text in ('abcdef \u20ac', 'abc\u00e9def \U0001f600', '\U0001f600' * 10 + 'x'):
        for max_length in range(-2, len(text) + 1):
            for middle in (False, True):
                expected = original('truncate_long_string')(text, max_length, middle)
                actual = native('truncate_long_string')(text, max_length, middle)
                assert actual == expected
                assert hash(actual) == hash(expected)
                assert actual.isascii() == expected.isascii()
                assert sys.getsizeof(actual) == sys.getsizeof(expected)


WORDY = st.text(alphabet=st.one_of(
    st.just(' '), st.just(' '), st.sampled_from('ab\t\u00e9\u20ac\U0001f600\u00a0'),
    st.characters()), max_size=60)
MAX_LENGTHS = st.one_of(
    st.integers(min_value=-70, max_value=70), st.integers(),
    st.sampled_from([2**63 - 1, 2**63, -2**63, -2**63 - 1, 10**40, -10**40]))


@EXAMPLES
@given(WORDY, MAX_LENGTHS, st.booleans())
def test_truncate_generated(text, max_length, middle):
    assert_same('truncate_long_string', text, max_length, middle)


@EXAMPLES
@given(WORDY, MAX_LENGTHS)
def test_truncate_generated_end_mode_default(text, max_length):
    assert_same('truncate_long_string', text, max_length)
    assert_same('truncate_long_string', s=text, max_length=max_length)


@EXAMPLES
@given(st.text(max_size=40))
def test_truncate_generated_default_length(text):
    assert_same('truncate_long_string', text)
    assert_same('truncate_long_string', text, truncate_middle=True)
