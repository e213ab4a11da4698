"""The command server's figures: `--help`, `api status` and `status` through
the server, cold (SKY_NATIVE_SERVER=0) and under SkyPilot's own `sky`
(medians of N interleaved runs, with a real local API server running), and
the server's resident memory and start-up cost. Run with any Python:
`python3 tests/bench/server.py build/sky-native .venv/bin/sky [--runs N]`.

How much of `status` is the API server's own time: every request SkyPilot's
API server handles is a row of its requests database with the times it was
created and finished; for each `status` run, the union of the intervals of
the requests created while it ran is the time the command waited on the
API server's work (its queueing and the workers running it), and the rest
is the client's (start-up, HTTP round trips, printing).

Everything runs in a private HOME with its own API server port and socket
directory; the API server and the command server are stopped at the end.
"""
import argparse
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time

from timing import interleaved_runs, median_seconds

COMMANDS = {'--help': ['--help'], 'api status': ['api', 'status'], 'status': ['status']}
GOALS = {'--help': 1 / 20, 'api status': 1 / 20, 'status': 1 / 2}


def _free_port():
    """Never SkyPilot's default (46580): `sky api stop` on a port ends the
    servers of every namespace on that port."""
    while True:
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        if port != 46580:
            return port


def _api_server_seconds(requests_db, start, seconds):
    """The union of the API server's request intervals (created to
    finished) of the requests created in [start, start + seconds]."""
    with sqlite3.connect(f'file:{requests_db}?mode=ro', uri=True) as conn:
        rows = conn.execute(
            'SELECT created_at, finished_at FROM requests WHERE created_at BETWEEN ? AND ? '
            'ORDER BY created_at', (start, start + seconds)).fetchall()
    total, covered_until = 0.0, start
    for created, finished in rows:
        finished = min(finished or start + seconds, start + seconds)
        begin = max(created, covered_until)
        if finished > begin:
            total += finished - begin
            covered_until = finished
    return total, len(rows)


def _server_status(sky_native, env):
    out = subprocess.run([sky_native, '--native-server', 'status'], env=env,
                         capture_output=True, text=True, check=False).stdout
    return next((line for line in out.splitlines() if '(this environment)' in line), None)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('sky_native')
    parser.add_argument('sky')
    parser.add_argument('--runs', type=int, default=9)
    args = parser.parse_args()
    root = tempfile.mkdtemp(prefix='sky-native-bench-')
    os.makedirs(f'{root}/home')
    os.makedirs(f'{root}/run', mode=0o700)
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(('SKY_NATIVE_', 'SKYPILOT_'))}
    base.update(HOME=f'{root}/home', XDG_RUNTIME_DIR=f'{root}/run',
                SKYPILOT_DISABLE_USAGE_COLLECTION='1',
                SKYPILOT_API_SERVER_LOCAL_PORT=str(_free_port()))
    hot = {**base, 'SKY_NATIVE_SERVER': '1'}
    cold = {**base, 'SKY_NATIVE_SERVER': '0'}
    try:
        subprocess.run([args.sky_native, 'api', 'start'], env=cold, check=True,
                       stdout=subprocess.DEVNULL)
        # The first command through the client misses, starts the server.
        begin = time.perf_counter()
        subprocess.run([args.sky_native, '--version'], env=hot, check=True,
                       stdout=subprocess.DEVNULL)
        while _server_status(args.sky_native, hot) is None:
            time.sleep(0.05)
        ready = time.perf_counter() - begin
        variants = {}
        for name, command in COMMANDS.items():
            variants[(name, 'server')] = ([args.sky_native, *command], hot)
            variants[(name, 'cold')] = ([args.sky_native, *command], cold)
            variants[(name, 'sky')] = ([args.sky, *command], base)
        samples = interleaved_runs(variants, args.runs)
        medians = {key: median_seconds(s) for key, s in samples.items()}
        print(f'medians of {args.runs} interleaved runs, a local API server running')
        for name in COMMANDS:
            server, cold_time, sky = (medians[(name, v)] for v in ('server', 'cold', 'sky'))
            verdict = 'met' if server / sky <= GOALS[name] else 'NOT met'
            print(f'  {name:11} server {server * 1000:7.1f} ms   cold {cold_time * 1000:7.1f} ms'
                  f'   sky {sky * 1000:7.1f} ms   server/sky {server / sky:.3f} '
                  f'(goal <= {GOALS[name]:.3f}: {verdict})')
        requests_db = f'{root}/home/.sky/api_server/requests.db'
        print('status: the API server\'s own time (its requests, created to finished)')
        for variant in ('server', 'cold', 'sky'):
            runs = samples[('status', variant)]
            waits = [_api_server_seconds(requests_db, start, seconds) for start, seconds in runs]
            own = statistics.median(wait for wait, _ in waits)
            total = median_seconds(runs)
            print(f'  {variant:6} {total * 1000:7.1f} ms, of it the API server '
                  f'{own * 1000:7.1f} ms ({own / total:.0%}; '
                  f'{statistics.median(n for _, n in waits):.0f} requests a run), '
                  f'the rest {(total - own) * 1000:7.1f} ms')
        status = _server_status(args.sky_native, hot) or ''
        rss = re.search(r'rss (\d+) MiB', status)
        startup = re.search(r'start-up ([\d.]+) s', status)
        print(f'command server: resident {rss.group(1) if rss else "?"} MiB, preload '
              f'{startup.group(1) if startup else "?"} s, first command to server ready '
              f'{ready:.2f} s')
    finally:
        subprocess.run([args.sky_native, '--native-server', 'stop'], env=hot, check=False,
                       stdout=subprocess.DEVNULL)
        subprocess.run([args.sky_native, 'api', 'stop'], env=cold, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


if __name__ == '__main__':
    main()
