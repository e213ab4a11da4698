"""sky-native as the interpreter behind sys.executable (docs/architecture.md: Modes).

Every case runs under sky-native and under the venv's plain python with the
same arguments and environment, and what each reports about itself (argv,
flags, path, prefixes, warning options, output) must be equal; sky-native
must also name itself in sys.executable and import sky_native.
"""
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import cli_runner
from cli_runner import SKY_NATIVE, VENV_PYTHON

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

# What a Python program reports about its interpreter, as JSON on stdout.
REPORT = textwrap.dedent('''\
    import json, sys
    report = {
        'argv': sys.argv, 'flags': list(sys.flags), 'path': sys.path,
        'prefix': sys.prefix, 'base_prefix': sys.base_prefix,
        'warnoptions': sys.warnoptions, 'xoptions': sys._xoptions,
        'debug': __debug__, 'write_through': sys.stdout.write_through,
        'main_file': globals().get('__file__'), 'name': __name__,
    }
    try:
        import sky_native
        report['sky_native'] = sky_native.__version__
    except ImportError:
        report['sky_native'] = None
    report['executable'] = sys.executable
    print(json.dumps(report))
''')

FLAG_SETS = [[], ['-E'], ['-s'], ['-S'], ['-I'], ['-B'], ['-u'], ['-O'], ['-OO'],
             ['-W', 'error'], ['-X', 'dev'], ['-q'], ['-v'], ['-E', '-s'], ['-Es', '-B'],
             ['-Wignore::DeprecationWarning', '-Xfrozen_modules=off'], ['-b'], ['-d'],
             ['-R'], ['-P']]


def _report(interpreter, args, env, cwd, stdin=b''):
    result = cli_runner.run([interpreter, *args], env, timeout=300, stdin=stdin, cwd=cwd)
    assert result.returncode == 0, result.describe()
    return json.loads(result.stdout.decode().strip().splitlines()[-1])


def _compare(args, tmp_path, stdin=b'', env=None):
    env = env or cli_runner.environment(str(tmp_path))
    ours = _report(SKY_NATIVE, args, env, str(tmp_path), stdin)
    theirs = _report(VENV_PYTHON, args, env, str(tmp_path), stdin)
    assert ours.pop('executable') == SKY_NATIVE
    assert theirs.pop('executable') == VENV_PYTHON
    assert ours.pop('sky_native') == __import__('sky_native').__version__
    assert theirs.pop('sky_native') is None
    assert ours == theirs
    return ours


@pytest.mark.parametrize('flags', FLAG_SETS, ids=' '.join)
def test_flags_and_c(flags, tmp_path):
    report = _compare([*flags, '-c', REPORT, 'arg1', '--arg2'], tmp_path)
    assert report['argv'] == ['-c', 'arg1', '--arg2']


def test_module(tmp_path):
    (tmp_path / 'reporter.py').write_text(REPORT)
    report = _compare(['-m', 'reporter', 'x', '-c'], tmp_path)
    assert report['argv'] == [str(tmp_path / 'reporter.py'), 'x', '-c']
    assert report['name'] == '__main__'


def test_module_json_tool_on_stdin(tmp_path):
    env = cli_runner.environment(str(tmp_path))
    data = b'{"b": [1, 2], "a": {"c": null}}'
    ours = cli_runner.run([SKY_NATIVE, '-m', 'json.tool', '--sort-keys'], env, stdin=data)
    theirs = cli_runner.run([VENV_PYTHON, '-m', 'json.tool', '--sort-keys'], env, stdin=data)
    assert (ours.returncode, ours.stdout, ours.stderr) == (0, theirs.stdout, b'')
    assert b'"a": {' in ours.stdout


@pytest.mark.parametrize('name', ['script.py', 'tool', 'sub/runner'])
def test_script_path(name, tmp_path):
    script = tmp_path / name
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(REPORT)
    # A relative path with a slash or a .py name, and an absolute path.
    relative = name if ('/' in name or name.endswith('.py')) else f'./{name}'
    for path in (relative, str(script)):
        report = _compare([path, 'a', '-m', 'b'], tmp_path)
        assert report['argv'] == [path, 'a', '-m', 'b']
        # Made absolute (not normalised), as by python.
        assert report['main_file'] == os.path.join(str(tmp_path), path)


def test_script_after_flags(tmp_path):
    (tmp_path / 'status').write_text(REPORT)
    report = _compare(['-u', 'status', 'x'], tmp_path)
    assert report['argv'] == ['status', 'x']


@pytest.mark.parametrize('flags', [[], ['-E', '-s']], ids=' '.join)
def test_stdin_program(flags, tmp_path):
    report = _compare([*flags, '-', 'a', 'b'], tmp_path, stdin=REPORT.encode())
    assert report['argv'] == ['-', 'a', 'b']
    assert report['main_file'] == '<stdin>'


def test_pythonpath_order(tmp_path):
    extra = tmp_path / 'extra'
    extra.mkdir()
    (extra / 'extra_mod.py').write_text('VALUE = 42\n')
    env = cli_runner.environment(str(tmp_path), PYTHONPATH=str(extra))
    report = _compare(['-c', 'import extra_mod\n' + REPORT], tmp_path, env=env)
    assert str(extra) in report['path']
    # -E ignores it, as in python.
    report = _compare(['-E', '-c', REPORT], tmp_path, env=env)
    assert str(extra) not in report['path']


def test_interactive_from_flags_only(tmp_path):
    """`sky-native -q` is the interpreter, reading its program from stdin."""
    env = cli_runner.environment(str(tmp_path))
    code = b'import sys; print(sys.argv, sys.flags.quiet)\n'
    ours = cli_runner.run([SKY_NATIVE, '-q'], env, stdin=code)
    theirs = cli_runner.run([VENV_PYTHON, '-q'], env, stdin=code)
    assert ours.returncode == 0, ours.describe()
    assert ours.stdout == theirs.stdout == b"[''] 1\n"
    native = cli_runner.run([SKY_NATIVE, '-q'], env, stdin=b'import sky_native\n')
    assert (native.returncode, native.stderr) == (0, b''), native.describe()


def test_version_flag_is_pythons(tmp_path):
    env = cli_runner.environment(str(tmp_path))
    ours = cli_runner.run([SKY_NATIVE, '-V'], env)
    theirs = cli_runner.run([VENV_PYTHON, '-V'], env)
    assert (ours.returncode, ours.stdout, ours.stderr) == (
        theirs.returncode, theirs.stdout, theirs.stderr)
    assert ours.stdout.startswith(b'Python 3.11')


# A program that starts children the ways SkyPilot does and reports what
# each child sees.
CHILDREN = textwrap.dedent('''\
    import json, multiprocessing, subprocess, sys

    def child_report(_=None):
        import sys
        import sky_native
        import sky.utils.common_utils  # the hook runs in the child too
        import sky.utils.rust_fallback  # served by sky_native's importer
        return {'executable': sys.executable, 'version': sky_native.__version__,
                'builtin': 'sky_native' in sys.builtin_module_names,
                'backend': sky_native.get_backend_info()}

    def check_child():
        import sys
        import sky_native
        sys.exit(0 if sys.executable and sky_native.__version__ else 3)

    if __name__ == '__main__':
        import sky.utils.common_utils
        report = {'parent': child_report()}
        for method in ('spawn', 'forkserver'):
            context = multiprocessing.get_context(method)
            with context.Pool(1) as pool:
                report[method + '-pool'] = pool.map(child_report, [0])
            process = context.Process(target=check_child)
            process.start()
            process.join(60)
            report[method + '-process-exit'] = process.exitcode
        code = ('import json, sys, sky_native; print(json.dumps([sys.executable, '
                'sky_native.__version__, sys.flags.ignore_environment, '
                'sys.flags.no_user_site]))')
        report['subprocess'] = json.loads(subprocess.run(
            [sys.executable, '-E', '-s', '-c', code], check=True, capture_output=True,
            text=True).stdout)
        print(json.dumps(report))
''')


@pytest.mark.parametrize('state', cli_runner.FLAG_STATES)
def test_multiprocessing_children_are_sky_native(state, tmp_path):
    """spawn and forkserver children start as sky-native and import it.

    The process tree is watched while it runs: it must stay small (no fork
    bomb) and finish in time.
    """
    script = tmp_path / 'children.py'
    script.write_text(CHILDREN)
    env = cli_runner.environment(str(tmp_path), native_flag=cli_runner.FLAG_STATES[state])
    proc = subprocess.Popen([SKY_NATIVE, str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, cwd=str(tmp_path))
    most = 0
    deadline = time.time() + 180
    try:
        while proc.poll() is None and time.time() < deadline:
            most = max(most, len(cli_runner.descendants(proc.pid)))
            assert most <= 12, f'{most} processes under the test program'
            time.sleep(0.05)
        assert proc.poll() is not None, 'the children did not finish in 180 s'
    finally:
        if proc.poll() is None:
            cli_runner.kill_trees([proc.pid])
    stdout, stderr = proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    report = json.loads(stdout.decode().strip().splitlines()[-1])
    parent = report['parent']
    assert parent['executable'] == SKY_NATIVE and parent['builtin']
    for method in ('spawn', 'forkserver'):
        assert report[method + '-pool'] == [parent]
        assert report[method + '-process-exit'] == 0
    assert report['subprocess'] == [SKY_NATIVE, parent['version'], 1, 1]
    assert most >= 1  # children were really seen


def test_executable_accepts_what_skypilot_passes(tmp_path):
    """The API server's command line, short of starting a server."""
    env = cli_runner.environment(str(tmp_path))
    result = cli_runner.run([SKY_NATIVE, '-m', 'sky.server.server', '--help'], env,
                            timeout=120)
    assert result.returncode == 0, result.describe()
    assert b'--port' in result.stdout
    assert b'--host' in result.stdout


def test_sigint_while_running_kills_by_sigint(tmp_path):
    """Ctrl-C in a running program ends it as it ends python."""
    env = cli_runner.environment(str(tmp_path))
    code = 'import time\nprint("ready", flush=True)\ntime.sleep(60)\n'
    outcomes = []
    for interpreter in (SKY_NATIVE, VENV_PYTHON):
        proc = subprocess.Popen([interpreter, '-c', code], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env)
        try:
            assert proc.stdout.readline() == b'ready\n'
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        outcomes.append((proc.returncode, stderr.splitlines()[-1]))
    assert outcomes[0] == outcomes[1] == (-signal.SIGINT, b'KeyboardInterrupt')


def test_no_sky_native_module_leaks_into_plain_python():
    # A guard on the comparison: the venv python is a different interpreter.
    assert os.path.realpath(VENV_PYTHON) != os.path.realpath(SKY_NATIVE)
    assert pathlib.Path(sys.executable) == pathlib.Path(SKY_NATIVE)
