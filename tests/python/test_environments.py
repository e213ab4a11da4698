"""sky-native finds packages as `python` would (docs/architecture.md, Modes).

Each case compares what sky-native reports about its interpreter (prefixes,
sys.path) with the python that would run in the same place: the venv's
python for an active venv, /usr/bin/python3.11 with no venv, a fresh venv's
own python for a binary placed in that venv's bin/.
"""
import errno
import json
import os
import pathlib
import shutil
import subprocess

import pytest

import cli_runner
from cli_runner import SKY, SKY_NATIVE, SYSTEM_PYTHON, VENV_PYTHON

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

REPORT = ('import json, sys; print(json.dumps({"prefix": sys.prefix, '
          '"base_prefix": sys.base_prefix, "path": sys.path, '
          '"executable": sys.executable}))')
SYSTEM_SITE = '/usr/lib/python3/dist-packages'


def _report(interpreter, env, *flags):
    result = cli_runner.run([interpreter, *flags, '-c', REPORT], env)
    assert result.returncode == 0, result.describe()
    return json.loads(result.stdout)


def _no_venv_env(home, **extra):
    env = cli_runner.environment(home, **extra)
    del env['VIRTUAL_ENV']
    return env


def _venv_site(prefix):
    return str(pathlib.Path(prefix) / 'lib' / 'python3.11' / 'site-packages')


@pytest.fixture(scope='module')
def fresh_venv(tmp_path_factory):
    """A plain venv without SkyPilot, and its own python's report."""
    root = tmp_path_factory.mktemp('fresh') / 'venv'
    subprocess.run([SYSTEM_PYTHON, '-m', 'venv', '--without-pip', str(root)], check=True,
                   timeout=120)
    return root


def test_active_venv(tmp_path):
    env = cli_runner.environment(str(tmp_path))
    ours = _report(SKY_NATIVE, env)
    theirs = _report(VENV_PYTHON, env)
    assert ours['prefix'] == theirs['prefix'] == os.path.realpath(env['VIRTUAL_ENV'])
    assert _venv_site(ours['prefix']) in ours['path']
    assert SYSTEM_SITE not in ours['path']
    assert ours['path'] == theirs['path']
    assert ours['base_prefix'] == theirs['base_prefix']
    assert ours['executable'] == SKY_NATIVE


def test_no_venv_is_the_system_python(tmp_path):
    env = _no_venv_env(str(tmp_path))
    ours = _report(SKY_NATIVE, env)
    theirs = _report(SYSTEM_PYTHON, env)
    assert (ours['prefix'], ours['base_prefix'], ours['path']) == (
        theirs['prefix'], theirs['base_prefix'], theirs['path'])
    assert ours['executable'] == SKY_NATIVE


def _place(how, source, target):
    if how == 'copy':
        shutil.copy2(source, target)
    elif how == 'hardlink':
        try:
            os.link(source, target)
        except OSError as e:
            if e.errno in (errno.EXDEV, errno.EPERM):
                pytest.skip(f'cannot hard-link {source} into {target.parent}: {e}')
            raise
    else:
        target.symlink_to(source)


@pytest.mark.parametrize('how', ['copy', 'hardlink', 'symlink'])
def test_binary_in_a_venv_bin(how, fresh_venv, tmp_path):
    """Without VIRTUAL_ENV, the venv the binary sits in is the one used."""
    target = fresh_venv / 'bin' / f'sky-native-{how}'
    if not target.exists():
        _place(how, SKY_NATIVE, target)
    env = _no_venv_env(str(tmp_path))
    ours = _report(str(target), env)
    theirs = _report(str(fresh_venv / 'bin' / 'python'), env)
    assert ours['prefix'] == theirs['prefix'] == str(fresh_venv)
    assert ours['path'] == theirs['path']
    assert _venv_site(fresh_venv) in ours['path']
    assert SYSTEM_SITE not in ours['path']
    # sys.executable names the binary where it was placed, as python does.
    assert ours['executable'] == str(target)
    # Another active venv does not override the one holding the binary.
    ours_active = _report(str(target), cli_runner.environment(str(tmp_path)))
    assert ours_active['prefix'] == str(fresh_venv)


def _assert_one_clear_line(result, prefix):
    assert result.returncode == 1, result.describe()
    assert result.stdout == b''
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, result.describe()
    assert 'Traceback' not in lines[0]
    assert 'SkyPilot is not installed' in lines[0]
    assert f'Python at {prefix} ' in lines[0]
    assert 'pip install skypilot' in lines[0]


@pytest.mark.parametrize('args', [['status'], ['--help'], []], ids=' '.join)
def test_skypilot_missing_in_venv_bin(args, fresh_venv, tmp_path):
    target = fresh_venv / 'bin' / 'sky-native-copy'
    if not target.exists():
        _place('copy', SKY_NATIVE, target)
    result = cli_runner.run([str(target), *args], _no_venv_env(str(tmp_path)))
    _assert_one_clear_line(result, fresh_venv)


def test_skypilot_missing_in_active_venv(fresh_venv, tmp_path):
    env = cli_runner.environment(str(tmp_path), VIRTUAL_ENV=str(fresh_venv))
    result = cli_runner.run([SKY_NATIVE, 'status'], env)
    _assert_one_clear_line(result, fresh_venv)


def test_pythonpath_in_sky_mode(tmp_path):
    """PYTHONPATH reaches sky mode as it reaches `sky`: a sitecustomize there runs."""
    extra = tmp_path / 'extra'
    extra.mkdir()
    (extra / 'sitecustomize.py').write_text(
        'import sys\nsys.stderr.write("sitecustomize from PYTHONPATH\\n")\n')
    env = cli_runner.environment(str(tmp_path), PYTHONPATH=str(extra))
    ours = cli_runner.run([SKY_NATIVE, '--version'], env)
    theirs = cli_runner.run([SKY, '--version'], env)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode, theirs.stdout, theirs.stderr), ours.describe()
    assert ours.stderr == b'sitecustomize from PYTHONPATH\n'


def test_python3_link_is_python(tmp_path):
    """A `python3` link to the binary is the interpreter, whatever follows."""
    ours_dir, theirs_dir = tmp_path / 'ours', tmp_path / 'theirs'
    ours_dir.mkdir()
    theirs_dir.mkdir()
    (ours_dir / 'python3').symlink_to(SKY_NATIVE)
    (theirs_dir / 'python3').symlink_to(SYSTEM_PYTHON)
    env = _no_venv_env(str(tmp_path))
    ours = _report(str(ours_dir / 'python3'), env)
    theirs = _report(str(theirs_dir / 'python3'), env)
    assert ours.pop('executable') == str(ours_dir / 'python3')
    assert theirs.pop('executable') == str(theirs_dir / 'python3')
    assert ours == theirs
    # SkyPilot's words are file names to python: same error, same code.
    results = [cli_runner.run(['./python3', 'status'], env, cwd=str(d))
               for d in (ours_dir, theirs_dir)]
    views = [(r.returncode, r.stdout, r.stderr.replace(str(d).encode(), b'<dir>'))
             for r, d in zip(results, (ours_dir, theirs_dir))]
    assert views[0] == views[1]
    assert views[0][0] == 2
    # Its children are started through the link, and are sky-native.
    child = cli_runner.run(
        [str(ours_dir / 'python3'), '-c',
         'import subprocess, sys; subprocess.run([sys.executable, "-E", "-c", '
         '"import sky_native, sys; print(sys.executable)"], check=True)'], env)
    assert child.returncode == 0, child.describe()
    assert child.stdout.decode().strip() == str(ours_dir / 'python3')


@pytest.mark.parametrize('args', [['--version'], ['configure', 'list'], ['no-such-command']])
def test_aws_link_is_the_venvs_aws(tmp_path, args):
    """An `aws` link to the binary answers as the venv's awscli script does
    (SkyPilot's AWS check runs `aws --version` and `aws configure list`)."""
    (tmp_path / 'aws').symlink_to(SKY_NATIVE)
    env = cli_runner.environment(str(tmp_path), AWS_ACCESS_KEY_ID='AKIASKYNATIVETEST000',
                                 AWS_SECRET_ACCESS_KEY='not-a-secret')
    ours = cli_runner.run([str(tmp_path / 'aws'), *args], env)
    theirs = cli_runner.run([str(pathlib.Path(VENV_PYTHON).parent / 'aws'), *args], env)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode, theirs.stdout, theirs.stderr), ours.describe()
