"""The code fingerprint: it follows what the code does, never where it came
from, and is the same in every process."""
import subprocess
import sys
import textwrap

from sky.utils import common_utils
from sky_native import _fingerprint
from sky_native import _replacement

_SOURCE = textwrap.dedent('''
    def f(text, width=35, *, middle=False):
        kinds = {'a', 'b', 'c', 'd', 'e', 'f', 'g'}
        words = [w.upper() for w in text.split() if w in kinds]
        def inner(x):
            return x * 2.5
        return inner(len(words)), 'done', (1, b'x', None)
''')


def _compiled(source, filename='<a>', first_line=1):
    namespace = {}
    code = compile('\n' * (first_line - 1) + source, filename, 'exec')
    exec(code, namespace)
    return namespace['f']


def test_not_sensitive_to_file_name_or_line_numbers():
    base = _fingerprint.fingerprint(_compiled(_SOURCE))
    assert _fingerprint.fingerprint(_compiled(_SOURCE, '/elsewhere/x.py', 500)) == base
    # Comments and blank lines inside the body move lines only.
    moved = _SOURCE.replace('        def inner', '\n        # a comment\n        def inner')
    assert _fingerprint.fingerprint(_compiled(moved)) == base


def test_sensitive_to_what_the_code_does():
    base = _fingerprint.fingerprint(_compiled(_SOURCE))
    changes = [
        ("'done'", "'Done'"),             # a constant
        ('x * 2.5', 'x * 2.25'),          # a nested code object's constant
        ('w.upper()', 'w.lower()'),       # a name looked up
        ('width=35', 'width=36'),         # a default
        ('middle=False', 'middle=True'),  # a keyword-only default
        ("'g'}", "'h'}"),                 # a frozenset constant
        ('text, width', 'txt, width'),    # a parameter name
    ]
    for old, new in changes:
        changed = _SOURCE.replace(old, new).replace('text.split', (
            'txt.split' if new.startswith('txt') else 'text.split'))
        assert _fingerprint.fingerprint(_compiled(changed)) != base, (old, new)


def test_same_in_every_process_whatever_the_hash_seed():
    script = ('from sky.utils import common_utils; '
              'from sky_native import _fingerprint, _replacement; '
              'print(_fingerprint.fingerprint(_replacement.original("get_cpu_count")), '
              '_fingerprint.fingerprint(common_utils._get_cgroup_cpu_limit))')
    outputs = {
        subprocess.run([sys.executable, '-c', script], check=True, capture_output=True,
                       text=True, timeout=120, env={'PYTHONHASHSEED': seed,
                                                    'PATH': '/usr/bin:/bin',
                                                    **_inherited()}).stdout
        for seed in ('0', '1', '12345')
    }
    here = (f'{_fingerprint.fingerprint(_replacement.original("get_cpu_count"))} '
            f'{_fingerprint.fingerprint(common_utils._get_cgroup_cpu_limit)}\n')
    assert outputs == {here}


def test_not_a_python_function():
    assert _fingerprint.fingerprint(len) is None
    assert _fingerprint.fingerprint(None) is None


def _inherited():
    import os
    return {k: v for k, v in os.environ.items() if k in ('VIRTUAL_ENV', 'HOME', 'PYTHONPATH')}
