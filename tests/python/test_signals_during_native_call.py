"""Signals during native calls behave as during SkyPilot's Python (docs/faults.md).

Python runs signal handlers between the steps of its loops and whenever a
system call returns EINTR: a FIFO with no writer, a silent writer, an empty
pipe or /dev/zero react to SIGINT, a SIGTERM or SIGALRM handler within about
a millisecond, a handler that returns lets the call complete, and a long
read reacts between two reads. signal_scenarios.py runs each case in one
process per backend (SkyPilot's Python, then the native functions), with the
signals at random points; the outcomes (exception type and cause, result,
whether the handler ran while the call was still reading) must be equal.
"""
import json
import os
import subprocess
import sys
import textwrap

import pytest

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'signal_scenarios.py')


def run_scenarios(flag, scratch, seed, env):
    scratch.mkdir()
    run = subprocess.run([sys.executable, SCENARIOS, str(scratch), str(seed)],
                         env=dict(env, SKYPILOT_USE_NATIVE=flag), capture_output=True,
                         timeout=120, check=False)
    assert run.returncode == 0, run.stderr.decode()[-3000:]
    return json.loads(run.stdout)


@pytest.mark.parametrize('seed', [1, 2])
def test_signals_at_random_points_match_python(seed, tmp_path, clean_env):
    python = run_scenarios('0', tmp_path / 'python', seed, clean_env)
    native = run_scenarios('1', tmp_path / 'native', seed, clean_env)
    assert list(native) == list(python)
    for name, outcomes in python.items():
        assert native[name] == outcomes, name
    # The long calls were interrupted while they read, in both.
    for name, outcomes in native.items():
        if 'MiB' in name:
            assert all(outcome[-1] == [True] for outcome in outcomes), name


# A native function's first call imports SkyPilot's module (for its logger,
# its module, or its original): a SIGINT during that import must come out of
# the call as KeyboardInterrupt, as it comes out of Python's `import` + call.
# The signal is sent from inside the import (a finder ahead of all others),
# so that it lands there every time: SkyPilot's own import chain swallows a
# KeyboardInterrupt at some points, under either backend.
FIRST_CALL = textwrap.dedent('''\
    import os, pathlib, signal, sys, time
    backend, call, module_name = sys.argv[1], sys.argv[2], sys.argv[4]
    signal.signal(signal.SIGINT, signal.default_int_handler)
    class InterruptingFinder:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name == module_name:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(1)  # the handler raises here
            return None
    sys.meta_path.insert(0, InterruptingFinder)
    try:
        if backend == 'native':
            import sky_native as module
        else:
            module = __import__(module_name, fromlist=['_'])
        getattr(module, call)(*eval(sys.argv[3]))
        print('returned')
    except KeyboardInterrupt:
        print('KeyboardInterrupt')
    ''')

FIRST_CALLS = {
    'find_free_port': ('(20000,)', 'sky.utils.common_utils'),
    'get_max_workers_for_file_mounts': ('({}, None)', 'sky.utils.subprocess_utils'),
    # Defers to the original, which imports it.
    'hash_file': ("(pathlib.Path('/etc/hostname'), 'md5')", 'sky.utils.common_utils'),
}


@pytest.mark.parametrize('name', sorted(FIRST_CALLS))
def test_interrupt_during_first_call_import_propagates(name, tmp_path, clean_env):
    script = tmp_path / 'first_call.py'
    script.write_text(FIRST_CALL)
    outcomes = {}
    for backend in ('python', 'native'):
        run = subprocess.run([sys.executable, str(script), backend, name, *FIRST_CALLS[name]],
                             env=dict(clean_env, SKYPILOT_USE_NATIVE='0' if backend == 'python'
                                      else '1'),
                             capture_output=True, timeout=120, check=False)
        outcomes[backend] = (run.returncode, run.stdout.decode().strip(),
                             run.stderr.decode()[-2000:])
    assert outcomes['native'] == outcomes['python']
    assert outcomes['native'][:2] == (0, 'KeyboardInterrupt')
