"""Exit codes, signals, flushing and closed pipes, as CPython gives them.

Python-mode cases run under sky-native and the venv's python and must agree
on the exit code (a negative code: killed by that signal), stdout and
stderr. sky-mode cases compare with SkyPilot's `sky`. Nothing is normalised.
`sky-native launch --no-such-flag` (exit 2, byte for byte as sky) is in
test_cli_parity.py.
"""
import signal

import pytest

import cli_runner
from cli_runner import SKY, SKY_NATIVE, VENV_PYTHON

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

PROGRAMS = {
    'exit-7': ('raise SystemExit(7)', 7),
    'exit-message': ('raise SystemExit("it broke")', 1),
    'exit-none': ('raise SystemExit(None)', 0),
    'exit-true': ('import sys; sys.exit(True)', 1),
    'exit-large': ('import sys; sys.exit(300)', 300 & 0xFF),
    'error': ('1/0', 1),
    'keyboard-interrupt': ('raise KeyboardInterrupt', -signal.SIGINT),
    'flush-no-newline': ('import sys; sys.stdout.write("partial"); sys.stderr.write("err")', 0),
    'flush-then-exit': ('print("out", end=""); raise SystemExit(3)', 3),
    'os-exit': ('import os; os._exit(42)', 42),
    'unraisable-at-exit': ('import atexit; atexit.register(int, "x")', 0),
}


def _both(argv_tail, env, stdin=b''):
    return (cli_runner.run([SKY_NATIVE, *argv_tail], env, stdin=stdin),
            cli_runner.run([VENV_PYTHON, *argv_tail], env, stdin=stdin))


@pytest.mark.parametrize('name', PROGRAMS)
def test_exit_like_python(name, tmp_path):
    code, expected = PROGRAMS[name]
    ours, theirs = _both(['-c', code], cli_runner.environment(str(tmp_path)))
    assert theirs.returncode == expected, theirs.describe()
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode, theirs.stdout, theirs.stderr), ours.describe()


def test_system_exit_message_on_stderr(tmp_path):
    ours = cli_runner.run([SKY_NATIVE, '-c', 'raise SystemExit("msg")'],
                          cli_runner.environment(str(tmp_path)))
    assert (ours.returncode, ours.stdout, ours.stderr) == (1, b'', b'msg\n')


def test_keyboard_interrupt_is_130_in_a_shell(tmp_path):
    env = cli_runner.environment(str(tmp_path))
    for interpreter in (SKY_NATIVE, VENV_PYTHON):
        result = cli_runner.run(
            ['bash', '-c', f'"{interpreter}" -c "raise KeyboardInterrupt" 2>/dev/null; '
             'echo "status=$?"'], env)
        assert result.stdout == b'status=130\n', (interpreter, result.describe())


def _pipeline(command, env):
    """Runs `command | head -1` in bash; stdout, stderr and the left exit code."""
    script = f'{command} | head -1; echo "left=${{PIPESTATUS[0]}}" >&2'
    return cli_runner.run(['bash', '-c', script], env)


@pytest.mark.parametrize('args', [['--help']], ids=' '.join)
def test_closed_pipe_in_sky_mode(args, tmp_path):
    env = cli_runner.environment(str(tmp_path))
    ours = _pipeline(' '.join([SKY_NATIVE, *args]), env)
    theirs = _pipeline(' '.join([SKY, *args]), env)
    assert b'Traceback' not in ours.stderr, ours.describe()
    assert (ours.stdout, ours.stderr, ours.returncode) == (
        theirs.stdout, theirs.stderr, theirs.returncode), ours.describe()
    assert ours.stdout.startswith(b'Usage: sky')


def test_closed_pipe_with_large_output(tmp_path):
    """More output than a pipe holds, so the writer really meets EPIPE."""
    env = cli_runner.environment(str(tmp_path))
    program = '"for i in range(200000): print(i)"'
    ours = _pipeline(f'{SKY_NATIVE} -c {program}', env)
    theirs = _pipeline(f'{VENV_PYTHON} -c {program}', env)
    assert (ours.stdout, ours.stderr) == (theirs.stdout, theirs.stderr), ours.describe()
    assert ours.stdout == b'0\n'
