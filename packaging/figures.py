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
                    '--collect-all', 'sky', '--distpath', os.path.dirname(out), '--workpath',
                    os.path.join(work, 'pyinstaller/build'), '--specpath',
                    os.path.join(work, 'pyinstaller'), entry], check=True)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--dist', required=True)
    parser.add_argument('--sky', required=True)
    parser.add_argument('--work', required=True)
    parser.add_argument('--requirements', default='packaging/runtime-requirements.txt')
    parser.add_argument('--no-pyinstaller', action='store_true')
    args = parser.parse_args()
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

    first = []
    for _ in range(3):
        cache = tempfile.mkdtemp(dir=args.work)
        env = dict(os.environ, SKY_NATIVE_CACHE_DIR=cache)
        first.append(timed([single, '--help'], env))
        shutil.rmtree(cache)
    print(f'first start, sky-native --help (unpack): {statistics.median(first):.2f} s')

    cache = tempfile.mkdtemp(dir=args.work)
    env = dict(os.environ, SKY_NATIVE_CACHE_DIR=cache)
    timed([single, '--help'], env)
    commands = {'sky-native': ([single, '--help'], env), 'sky': ([args.sky, '--help'], None)}
    if pyinstaller:
        commands['pyinstaller'] = ([pyinstaller, '--help'], None)
    times = {name: [] for name in commands}
    for _ in range(RUNS):
        for name, (command, command_env) in commands.items():
            times[name].append(timed(command, command_env))
    shutil.rmtree(cache)
    sky = statistics.median(times['sky'])
    print(f'warm start, --help, median of {RUNS} interleaved runs:')
    for name, values in times.items():
        median = statistics.median(values)
        print(f'  {name:12} {median:.3f} s  ({median / sky:.2f}x sky)')


if __name__ == '__main__':
    sys.exit(main())
