"""Per-call time of each native function against SkyPilot's own Python, in
one process. Run under sky-native: `make bench`, or
`VIRTUAL_ENV=.venv build/sky-native tests/bench/compare_python.py [--repeat N]
[--json FILE]`.

Reports the median of N repeats per function and the ratio python/native
(above 1 means native is faster)."""
import argparse
import json
import os
import statistics
import sys
import tempfile
import timeit

import sky_native
from sky.utils import common_utils  # noqa: F401  (registers the originals)
from sky.utils import subprocess_utils  # noqa: F401
from sky_native import _replacement


LOG_LINES = 200_000


def log_line(i):
    """Line i of the log read_last_n_lines is timed on (bytes)."""
    return f'{i:08d} INFO worker step finished in 0.{i % 997} s\n'.encode()


def _cases(scratch):
    log = os.path.join(scratch, 'big.log')
    with open(log, 'wb') as f:
        for i in range(LOG_LINES):
            f.write(log_line(i))
    blob = os.path.join(scratch, 'blob.bin')
    with open(blob, 'wb') as f:
        f.write(os.urandom(64 * 1024 * 1024))
    mounts = {}
    for d in range(4):
        path = os.path.join(scratch, f'mount{d}')
        os.mkdir(path)
        for e in range(50 * (d + 1)):
            open(os.path.join(path, f'f{e}'), 'wb').close()
        mounts[f'~/dst{d}'] = path
    # 'input' names the case in the report; tests/bench/floor_bench.cc
    # builds the same inputs for the floor rows.
    return [
        ('read_last_n_lines', (log, 10), {'input': '10 of 200,000 lines'}),
        ('read_last_n_lines', (log, 1000), {'input': '1,000 of 200,000 lines'}),
        ('hash_file', (blob, 'sha256'), {'input': 'sha256, 64 MiB'}),
        ('find_free_port', (20001,), {'input': '20001 (free)'}),
        ('base36_encode', ('d41d8cd98f00b204e9800998ecf8427e',), {'input': 'md5 hex'}),
        ('format_float', (2.25,), {'input': '2.25'}),
        ('format_float', (7,), {'input': '7 (int)'}),
        ('truncate_long_string', ('sky launch -c mycluster --gpus A100:8 task.yaml', 25),
         {'input': '47 chars to 25'}),
        ('truncate_long_string', ('us-west-2-availability-zone-1', 15, True),
         {'input': '29 chars to 15, middle'}),
        ('get_cpu_count', (), {'input': 'host'}),
        ('get_mem_size_gb', (), {'input': 'host'}),
        ('get_parallel_threads', ('kubernetes',), {'input': 'kubernetes'}),
        ('get_max_workers_for_file_mounts', (mounts, 'aws'), {'input': '4 dirs, 500 entries'}),
        ('is_process_alive', (os.getpid(),), {'input': 'own pid'}),
        ('estimate_fd_for_directory', (scratch,), {'input': '6 entries'}),
    ]


def _facts(args):
    """What the floor benchmark must match: file sizes, directory entries,
    line counts."""
    facts = {}
    paths = [a for a in args if isinstance(a, str) and os.path.isabs(a)]
    for arg in args:
        if isinstance(arg, dict):
            paths.extend(arg.values())
    for path in paths:
        if os.path.isfile(path):
            facts['input_bytes'] = facts.get('input_bytes', 0) + os.path.getsize(path)
        elif os.path.isdir(path):
            facts['entries'] = facts.get('entries', 0) + len(os.listdir(path))
    if len(args) > 1 and isinstance(args[1], int) and 'input_bytes' in facts:
        facts['lines'] = args[1]
    return facts


def _python_version(name):
    return _replacement.original(name)


def _per_call(function, args, repeat):
    timer = timeit.Timer(lambda: function(*args))
    number, elapsed = timer.autorange()
    number = max(1, int(number * 0.2 / max(elapsed, 1e-9)))  # ~0.2 s a repeat
    return statistics.median(t / number for t in timer.repeat(repeat, number))


def _format(seconds):
    for unit, scale in (('s', 1), ('ms', 1e-3), ('us', 1e-6)):
        if seconds >= scale:
            return f'{seconds / scale:8.2f} {unit}'
    return f'{seconds / 1e-9:8.1f} ns'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--json', help='also write the rows to this file (for report.py)')
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        print(f'{"function":34} {"args":28} {"python":>11} {"native":>11} {"ratio":>7}')
        for name, call_args, options in _cases(scratch):
            native = getattr(sky_native, name)
            python = _python_version(name)
            t_native = _per_call(native, call_args, args.repeat)
            t_python = _per_call(python, call_args, args.repeat)
            shown = repr(call_args)
            shown = shown if len(shown) <= 28 else shown[:25] + '...'
            print(f'{name:34} {shown:28} {_format(t_python)} {_format(t_native)} '
                  f'{t_python / t_native:6.2f}x', flush=True)
            rows.append({'function': name, 'input': options['input'], 'python_s': t_python,
                         'native_s': t_native, 'facts': _facts(call_args)})
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'repeat': args.repeat, 'rows': rows}, f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
