"""The command server's figures: `--help`, `api status` and `status` through
the server, cold (SKY_NATIVE_SERVER=0) and under SkyPilot's own `sky`
(medians of N interleaved runs, with a real local API server running), and
the server's resident memory and start-up cost. Run with any Python:
`python3 tests/bench/server.py build/sky-native .venv/bin/sky [--runs N]`.

Everything runs in a private HOME with its own API server port and socket
directory; the API server and the command server are stopped at the end.
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import tempfile
import time

COMMANDS = {'--help': ['--help'], 'api status': ['api', 'status'], 'status': ['status']}
GOALS = {'--help': 1 / 20, 'api status': 1 / 20, 'status': 1 / 2}


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _time(command, env):
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


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
        for command, env in variants.values():  # warm caches
            _time(command, env)
        samples = {key: [] for key in variants}
        for _ in range(args.runs):
            for key, (command, env) in variants.items():
                samples[key].append(_time(command, env))
        medians = {key: statistics.median(s) for key, s in samples.items()}
        print(f'medians of {args.runs} interleaved runs, a local API server running')
        for name in COMMANDS:
            server, cold_time, sky = (medians[(name, v)] for v in ('server', 'cold', 'sky'))
            verdict = 'met' if server / sky <= GOALS[name] else 'NOT met'
            print(f'  {name:11} server {server * 1000:7.1f} ms   cold {cold_time * 1000:7.1f} ms'
                  f'   sky {sky * 1000:7.1f} ms   server/sky {server / sky:.3f} '
                  f'(goal <= {GOALS[name]:.3f}: {verdict})')
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
