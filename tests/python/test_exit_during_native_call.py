"""Interpreter exit while threads are inside native calls.

CPython 3.11 ends a thread that asks for the GIL back while the interpreter
finalises (pthread_exit, a forced unwind). A native call that released the
GIL is exactly such a thread when it returns late; the process must exit as
it does under SkyPilot's Python: status 0, nothing on stderr, never
`terminate called ...` and SIGABRT.
"""
import os
import subprocess
import sys
import textwrap

import pytest

# Daemon threads call one native function in a loop; the main thread exits
# while they are inside it (the calls are long enough that most of each
# loop runs without the GIL).
LOOPING_WORKERS = textwrap.dedent('''\
    import os, sys, threading, time
    import sky_native
    import sky.client.cli.command  # a finalisation as long as the CLI's
    call = eval(sys.argv[1], vars(sky_native) | {'os': os, 'sys': sys})
    def loop():
        while True:
            call()
    for _ in range(4):
        threading.Thread(target=loop, daemon=True).start()
    time.sleep(0.3)
    ''')

CALLS = {
    'hash_file': "lambda: hash_file(sys.argv[2], 'sha256')",
    'hash_update': "lambda h=hash_file(sys.argv[2], 'md5'), b=b'x' * (8 << 20): h.update(b)",
    'read_last_n_lines': 'lambda: read_last_n_lines(sys.argv[2], 20000)',
    'find_free_port': 'lambda: find_free_port(20000)',
    'is_process_alive': 'lambda: is_process_alive(os.getpid())',
    'get_cpu_count': 'lambda: get_cpu_count()',
    'get_mem_size_gb': 'lambda: get_mem_size_gb()',
    'estimate_fd_for_directory': 'lambda: estimate_fd_for_directory(sys.argv[3])',
    'get_max_workers_for_file_mounts':
        "lambda: get_max_workers_for_file_mounts({'/a': sys.argv[3]}, 'aws')",
}


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    root = tmp_path_factory.mktemp('exit')
    big = root / 'big.txt'
    big.write_bytes(b'a line of text\n' * 400_000)
    tree = root / 'tree'
    for i in range(300):
        (tree / str(i % 10)).mkdir(parents=True, exist_ok=True)
        (tree / str(i % 10) / f'f{i}').write_text('x')
    return str(big), str(tree)


@pytest.mark.parametrize('name', sorted(CALLS))
def test_exit_with_daemon_threads_inside_native_call(name, inputs, tmp_path, clean_env):
    del clean_env
    script = tmp_path / 'exit.py'
    script.write_text(LOOPING_WORKERS)
    for attempt in range(2):
        run = subprocess.run([sys.executable, str(script), CALLS[name], *inputs],
                             capture_output=True, timeout=120, check=False)
        assert (run.returncode, run.stderr.decode()) == (0, ''), f'attempt {attempt}'


# SkyPilot's own run_in_parallel (daemon worker threads): one task raises
# while the others wait in a native read of a FIFO; a writer releases them
# while the interpreter finalises.
RUN_IN_PARALLEL = textwrap.dedent('''\
    import subprocess, sys, time
    from sky.utils import common_utils, subprocess_utils
    import sky.client.cli.command
    fifo, delay = sys.argv[1], sys.argv[2]
    subprocess.Popen(['sh', '-c', f'sleep {delay}; echo line > {fifo}'])
    def task(i):
        if i == 0:
            time.sleep(0.2)
            raise ValueError('task 0 failed')
        return common_utils.read_last_n_lines(fifo, 5)
    subprocess_utils.run_in_parallel(task, list(range(3)), num_threads=3)
    ''')


@pytest.mark.parametrize('delay', ['0.25', '0.3', '0.4'])
def test_run_in_parallel_with_a_raising_task_exits_as_python(delay, tmp_path, clean_env):
    script = tmp_path / 'parallel.py'
    script.write_text(RUN_IN_PARALLEL)
    results = {}
    for flag in ('0', '1'):
        fifo = tmp_path / f'fifo{flag}'
        os.mkfifo(fifo)
        env = dict(clean_env, SKYPILOT_USE_NATIVE=flag)
        run = subprocess.run([sys.executable, str(script), str(fifo), delay], env=env,
                             capture_output=True, timeout=120, check=False)
        stderr = run.stderr.decode().replace(str(fifo), 'FIFO')
        results[flag] = (run.returncode, stderr.splitlines()[-1:])
    assert results['1'] == results['0']
    assert results['0'][0] == 1
