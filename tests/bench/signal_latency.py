"""How fast a signal is handled during a long call: SkyPilot's Python against
the native functions. Run under sky-native:
`VIRTUAL_ENV=.venv build/sky-native tests/bench/signal_latency.py [--rounds R]
[--trials N] [--binary OTHER_SKY_NATIVE] [--json FILE]`.

For each case a child process (SKYPILOT_USE_NATIVE=0, then 1, interleaved
over R rounds) makes the call N times in its main thread while another
thread sends it SIGINT -- once the main thread blocks, for the FIFO and pipe
cases, or a random 20-60 ms into the call for the busy ones -- and measures
from kill() to the KeyboardInterrupt reaching the caller. Prints the median
latency of each backend and the difference; the goal: native within 50 ms
of Python (docs/faults.md has the figures). A child that does not react
within --limit seconds is killed and reported as such (for --binary, an
older build)."""
import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

CASES = {
    'hash_file, FIFO without writer (open)': 'fifo_open',
    'hash_file, FIFO with a silent writer (read)': 'fifo_read',
    'hash_file, empty pipe (read)': 'pipe_read',
    'read_last_n_lines, FIFO without writer (open)': 'tail_fifo_open',
    "hash_file('/dev/zero')": 'dev_zero',
    'hash_file, 20 GB sparse file': 'sparse_hash',
    'read_last_n_lines, 128 MiB without newline': 'long_tail',
    'find_free_port over 15,000 taken ports': 'ports',
    'get_max_workers_for_file_mounts, 400 scans of 2,000 entries': 'scans',
}


def _blocked():
    wchan = f'/proc/self/task/{threading.main_thread().native_id}/wchan'
    with open(wchan, encoding='ascii') as f:
        return f.read() in ('wait_for_partner', 'pipe_read', 'anon_pipe_read')


def _child(case, trials, scratch):
    """Runs in the child: prints one JSON list of latencies (seconds)."""
    from sky.utils import common_utils
    from sky.utils import subprocess_utils
    signal.signal(signal.SIGINT, signal.default_int_handler)
    fifo = os.path.join(scratch, 'fifo')
    os.mkfifo(fifo)
    keep = []
    blocking = case in ('fifo_open', 'fifo_read', 'pipe_read', 'tail_fifo_open')
    if case == 'fifo_read':
        keep.append(os.open(fifo, os.O_RDWR))  # a writer that writes nothing
    if case == 'pipe_read':
        keep.extend(os.pipe())
    if case == 'sparse_hash':
        path = os.path.join(scratch, 'sparse')
        with open(path, 'wb') as f:
            f.truncate(20 * 10**9)
    if case == 'long_tail':
        path = os.path.join(scratch, 'zeros.log')
        with open(path, 'wb') as f:
            f.truncate(128 << 20)
    if case == 'ports':
        taken = []
        for port in range(40000, 55000):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(('', port))
            except OSError:
                pass
            taken.append(s)
    if case == 'scans':
        tree = os.path.join(scratch, 'tree')
        os.mkdir(tree)
        for i in range(2000):
            open(os.path.join(tree, f'f{i}'), 'wb').close()
        mounts = {f'~/dst{i}': tree for i in range(400)}
    calls = {
        'fifo_open': lambda: common_utils.hash_file(fifo, 'md5'),
        'fifo_read': lambda: common_utils.hash_file(fifo, 'md5'),
        'pipe_read': lambda: common_utils.hash_file(f'/proc/self/fd/{keep[0]}', 'md5'),
        'tail_fifo_open': lambda: common_utils.read_last_n_lines(fifo, 5),
        'dev_zero': lambda: common_utils.hash_file('/dev/zero', 'md5'),
        'sparse_hash': lambda: common_utils.hash_file(path, 'md5'),
        'long_tail': lambda: common_utils.read_last_n_lines(path, 10),
        'ports': lambda: common_utils.find_free_port(40000),
        'scans': lambda: subprocess_utils.get_max_workers_for_file_mounts(mounts, 'aws'),
    }
    call = calls[case]
    rng = random.Random(0)
    latencies = []
    while len(latencies) < trials:
        sent = []
        started = threading.Event()

        delay = rng.uniform(0.002, 0.006) if case == 'ports' else rng.uniform(0.02, 0.06)

        def send(delay, started, sent):
            started.wait()
            if blocking:
                while not _blocked():
                    time.sleep(0.0002)
                time.sleep(0.005)
            else:
                time.sleep(delay)
            sent.append(time.perf_counter())
            os.kill(os.getpid(), signal.SIGINT)
        sender = threading.Thread(target=send, args=(delay, started, sent), daemon=True)
        sender.start()
        try:
            started.set()
            call()
            finished = None  # the call ended first: not a sample
        except KeyboardInterrupt:
            finished = time.perf_counter()
        try:
            sender.join()
        except KeyboardInterrupt:
            finished = None
        if finished is not None and sent:
            latencies.append(finished - sent[0])
    print(json.dumps(latencies))


def _run_child(binary, flag, case, trials, limit):
    with tempfile.TemporaryDirectory() as scratch:
        env = dict(os.environ, SKYPILOT_USE_NATIVE=flag)
        try:
            run = subprocess.run([binary, os.path.abspath(__file__), '--child', case,
                                  '--trials', str(trials), '--scratch', scratch],
                                 env=env, capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            return None
        if run.returncode != 0:
            raise RuntimeError(f'{case} (flag {flag}): {run.stderr.decode()[-2000:]}')
        return json.loads(run.stdout)


def _ms(seconds):
    return f'{seconds * 1e3:9.2f} ms'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--trials', type=int, default=7)
    parser.add_argument('--limit', type=float, default=60.0,
                        help='seconds before a child that does not react is killed')
    parser.add_argument('--binary', default=sys.executable,
                        help='the sky-native whose native functions are measured')
    parser.add_argument('--json', help='also write the samples to this file')
    parser.add_argument('--child', help=argparse.SUPPRESS)
    parser.add_argument('--scratch', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.trials, args.scratch)
    samples = {name: {'python': [], 'native': []} for name in CASES}
    stuck = {name: False for name in CASES}
    for _ in range(args.rounds):
        for name, case in CASES.items():
            samples[name]['python'] += _run_child(sys.executable, '0', case, args.trials,
                                                  args.limit) or []
            if stuck[name]:
                continue
            got = _run_child(args.binary, '1', case, args.trials, args.limit)
            if got is None:
                stuck[name] = True
            else:
                samples[name]['native'] += got
    print(f'{"case":62} {"python":>12} {"native":>12} {"native - python":>16}')
    for name in CASES:
        python = statistics.median(samples[name]['python'])
        if stuck[name] or not samples[name]['native']:
            print(f'{name:62} {_ms(python)}   no reaction within {args.limit:.0f} s')
            continue
        native = statistics.median(samples[name]['native'])
        print(f'{name:62} {_ms(python)} {_ms(native)} {_ms(native - python)}', flush=True)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'samples': samples, 'stuck': stuck}, f, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
