"""Whole-command figures for the report: `sky-native --help` and `status`
against SkyPilot's own `sky`, wall time and peak RSS (medians of N
interleaved runs), with a real local API server running so `status` measures
the command and not a server start. Run with any Python:
`python3 tests/bench/commands.py build/sky-native .venv/bin/sky [--runs N]
[--json FILE]`.

Like server.py, everything runs in a private HOME with its own API server
port; the server is stopped at the end. sky-native runs with its defaults
(no command server), so both sides do the same work.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import server  # noqa: E402  (the private-HOME set-up and its free port)

COMMANDS = {'--help': ['--help'], 'status': ['status']}


def _run(command, env):
    """Wall seconds and the peak RSS (KiB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f'{command} exited with {process.returncode}')
    return wall, usage.ru_maxrss


def measure(sky_native, sky, runs, log=print):
    root = tempfile.mkdtemp(prefix='sky-native-commands-')
    os.makedirs(f'{root}/home')
    base = {k: v for k, v in os.environ.items()
            if not k.startswith(('SKY_NATIVE_', 'SKYPILOT_'))}
    base.update(HOME=f'{root}/home', SKYPILOT_DISABLE_USAGE_COLLECTION='1',
                SKYPILOT_API_SERVER_LOCAL_PORT=str(server._free_port()))
    variants = {}
    for name, args in COMMANDS.items():
        variants[(name, 'sky-native')] = [sky_native, *args]
        variants[(name, 'sky')] = [sky, *args]
    try:
        log('  starting a local API server for `status`')
        subprocess.run([sky_native, 'api', 'start'], env=base, check=True,
                       stdout=subprocess.DEVNULL)
        if runs > 1:  # warm the page cache (a single run is only a smoke test)
            for command in variants.values():
                _run(command, base)
        samples = {key: [] for key in variants}
        for run in range(runs):
            for key, command in variants.items():
                samples[key].append(_run(command, base))
            log(f'  run {run + 1}/{runs} done')
    finally:
        subprocess.run([sky_native, 'api', 'stop'], env=base, check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    for name in COMMANDS:
        row = {'command': name, 'runs': runs}
        for side in ('sky-native', 'sky'):
            walls = [wall for wall, _ in samples[(name, side)]]
            rss = [kib for _, kib in samples[(name, side)]]
            row[side] = {'wall_s': statistics.median(walls),
                         'peak_rss_mib': statistics.median(rss) / 1024}
        row['speedup'] = row['sky']['wall_s'] / row['sky-native']['wall_s']
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('sky_native')
    parser.add_argument('sky')
    parser.add_argument('--runs', type=int, default=9)
    parser.add_argument('--json', help='also write the figures to this file')
    args = parser.parse_args()
    rows = measure(args.sky_native, args.sky, args.runs)
    print(f'medians of {args.runs} interleaved runs, a local API server running')
    for row in rows:
        native, sky = row['sky-native'], row['sky']
        print(f'  {row["command"]:7} sky-native {native["wall_s"] * 1000:7.1f} ms '
              f'{native["peak_rss_mib"]:6.1f} MiB   sky {sky["wall_s"] * 1000:7.1f} ms '
              f'{sky["peak_rss_mib"]:6.1f} MiB   sky/sky-native {row["speedup"]:.2f}x')
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'runs': args.runs, 'rows': rows}, f, indent=1)


if __name__ == '__main__':
    main()
