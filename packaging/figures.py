"""make package-figures: sizes of what `make package` ships, and start-up of
`--help`: the single file's first start (an empty cache each run) and warm
start against `.venv/bin/sky --help` and a PyInstaller --onefile build of
the same SkyPilot (built here once, into WORK/pyinstaller). Medians of
interleaved runs; no assertion, only figures.
"""
import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 7


def size(path):
    if os.path.isdir(path):
        return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)
    return os.path.getsize(path)


def timed(command, env=None):
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   env=env)
    return time.perf_counter() - start


def pyinstaller_build(work, requirements):
    """A --onefile build of SkyPilot's CLI, as users would make one."""
    out = os.path.join(work, 'pyinstaller/dist/sky')
    if os.path.exists(out):
        return out
    venv = os.path.join(work, 'pyinstaller/venv')
    subprocess.run(['/usr/bin/python3.11', '-m', 'venv', venv], check=True)
    pip = os.path.join(venv, 'bin/pip')
    subprocess.run([pip, 'install', '-q', '-r', requirements, 'pyinstaller'], check=True)
    entry = os.path.join(work, 'pyinstaller/sky_entry.py')
    with open(entry, 'w', encoding='utf-8') as f:
        f.write('from sky.cli import cli\ncli()\n')
    subprocess.run([os.path.join(venv, 'bin/pyinstaller'), '--onefile', '--name', 'sky',
                    '--collect-all', 'sky',
                    # passlib loads its handlers by name: without this the
                    # file fails at `import sky`.
                    '--collect-submodules', 'passlib', '--distpath', os.path.dirname(out),
                    '--workpath', os.path.join(work, 'pyinstaller/build'), '--specpath',
                    os.path.join(work, 'pyinstaller'), entry], check=True)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dist', required=True)
    parser.add_argument('--sky', required=True)
    parser.add_argument('--work', required=True)
    parser.add_argument('--no-pyinstaller', action='store_true')
    parser.add_argument('--runs', type=int, default=RUNS)
    args = parser.parse_args()
    # Absolute: a relative SKY_NATIVE_CACHE_DIR is ignored (the first start
    # would then be a warm one from ~/.cache).
    args.work = os.path.abspath(args.work)
    single = os.path.join(args.dist, 'sky-native')
    mib = 1 << 20
    print('sizes:')
    for path in [single, os.path.join(args.dist, 'oci')] + sorted(
            glob.glob(os.path.join(args.dist, 'sky-native*.deb')) +
            glob.glob(os.path.join(args.dist, 'sky-native*.tar.gz'))):
        if os.path.exists(path):
            print(f'  {os.path.basename(path):40} {size(path) / mib:8.1f} MiB')
    pyinstaller = None
    if not args.no_pyinstaller:
        pyinstaller = pyinstaller_build(
            args.work, os.path.join(args.work, 'runtime-requirements.txt'))
        print(f'  {"PyInstaller --onefile":40} {size(pyinstaller) / mib:8.1f} MiB')

    print(f'load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs')
    # One round: a first start of the single file (a new, empty cache), a
    # warm start (a cache unpacked before the rounds), sky, PyInstaller
    # (which unpacks into /tmp on every run).
    warm_cache = tempfile.mkdtemp(dir=args.work)
    warm_env = dict(os.environ, SKY_NATIVE_CACHE_DIR=warm_cache)
    timed([single, '--help'], warm_env)
    commands = {'sky': lambda: timed([args.sky, '--help']),
                'sky-native first': lambda: first_start(single, args.work),
                'sky-native warm': lambda: timed([single, '--help'], warm_env)}
    if pyinstaller:
        timed([pyinstaller, '--help'])
        commands['pyinstaller'] = lambda: timed([pyinstaller, '--help'])
    times = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, run in commands.items():
            times[name].append(run())
    shutil.rmtree(warm_cache)
    sky = statistics.median(times['sky'])
    print(f'--help, medians of {args.runs} interleaved runs (min-max):')
    for name, values in times.items():
        median = statistics.median(values)
        print(f'  {name:18} {median:7.3f} s  {median / sky:5.2f}x sky'
              f'  ({min(values):.3f}-{max(values):.3f})')
    print(f'load average after: {os.getloadavg()[0]:.2f} (1 min)')


def first_start(single, work):
    cache = tempfile.mkdtemp(dir=work)
    try:
        return timed([single, '--help'], dict(os.environ, SKY_NATIVE_CACHE_DIR=cache))
    finally:
        shutil.rmtree(cache)


if __name__ == '__main__':
    sys.exit(main())
