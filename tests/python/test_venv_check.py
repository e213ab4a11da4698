"""A venv made from another CPython than the embedded one is refused at
start with one line naming the Python to make it from (launcher/venv_check.cc),
instead of failing deep in an import (`import ssl`: undefined symbol)."""
import glob
import os
import pathlib
import subprocess
import sys

import pytest

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

EXPECTED_TAIL = ': make the venv from /usr/bin/python3.11 (/usr/bin/python3.11 -m venv {venv})\n'


def run(argv, venv):
    env = {k: v for k, v in os.environ.items() if not k.startswith('PYTHON')}
    env['VIRTUAL_ENV'] = str(venv)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, check=False)


def check_refused(done, venv, made_from):
    assert done.returncode == 1, done.stderr
    assert done.stdout == ''
    assert done.stderr == (f'sky-native: the venv {venv} was made from {made_from}; '
                           'sky-native embeds CPython 3.11.2' + EXPECTED_TAIL.format(venv=venv))


def other_cpython_311():
    found = sorted(glob.glob(os.path.expanduser('~/.pyenv/versions/3.11.*/bin/python3.11')))
    return found[-1] if found else None


@pytest.mark.skipif(other_cpython_311() is None, reason='no other CPython 3.11 (pyenv) here')
@pytest.mark.parametrize('argv_tail', [['status'], ['-c', 'import ssl']])
def test_a_venv_of_another_cpython_311_is_refused_with_one_line(tmp_path, argv_tail):
    python = other_cpython_311()
    venv = tmp_path / 'venv'
    subprocess.run([python, '-m', 'venv', '--without-pip', str(venv)], check=True)
    version = subprocess.run([python, '-c', 'import platform; print(platform.python_version())'],
                             capture_output=True, text=True, check=True).stdout.strip()
    made_from = f'Python {version} in {pathlib.Path(python).parent}'
    # Active (VIRTUAL_ENV) and holding the binary in its bin/.
    check_refused(run([sys.executable, *argv_tail], venv), venv, made_from)
    (venv / 'bin' / 'sky-native').symlink_to(sys.executable)
    check_refused(run([str(venv / 'bin' / 'sky-native'), *argv_tail], venv), venv, made_from)


def test_a_venv_declaring_another_version_is_refused(tmp_path):
    venv = tmp_path / 'venv'
    (venv / 'bin').mkdir(parents=True)
    (venv / 'pyvenv.cfg').write_text('home = /opt/python-3.12/bin\nversion_info = 3.12.1.final.0\n')
    check_refused(run([sys.executable, 'status'], venv), venv,
                  'Python 3.12.1 in /opt/python-3.12/bin')


def test_the_venv_of_the_embedded_python_starts(tmp_path):
    venv = tmp_path / 'venv'
    subprocess.run(['/usr/bin/python3.11', '-m', 'venv', '--without-pip', str(venv)], check=True)
    done = run([sys.executable, '-c', 'import ssl, sys; print(sys.prefix)'], venv)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(venv)
