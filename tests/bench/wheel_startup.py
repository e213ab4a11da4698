"""What the wheel costs a Python process that never imports SkyPilot:
`python -c pass` in a venv with the wheel against a venv without it, made
from the same interpreter the same way (build/wheel-bench/cp3X-{with,without}),
runs interleaved, medians. Then what it costs where the wheel's module
loads, at the first import of SkyPilot's module: the test venv's python
(tests/wheel/run.py --install) against the venv without the wheel reading
the same site-packages through PYTHONPATH (where no .pth file is read).

    wheel_startup.py WHEELS VERSION... [--runs N]
"""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
BENCH = REPO / 'build' / 'wheel-bench'
VENVS = REPO / 'build' / 'wheel-venvs'


def _venv(version, wheel):
    """A venv of pyenv's `version`, with `wheel` installed (or none)."""
    tag = 'cp' + version.replace('.', '')
    venv = BENCH / f'{tag}-{"with" if wheel else "without"}'
    python = venv / 'bin' / 'python'
    if not python.exists():
        interpreter = sorted(pathlib.Path.home().glob(f'.pyenv/versions/{version}.*/bin/python'))
        subprocess.run([interpreter[-1], '-m', 'venv', venv], check=True)
        if wheel:
            subprocess.run([python, '-m', 'pip', 'install', '--quiet', '--no-deps',
                            '--disable-pip-version-check', wheel], check=True)
    return python


def _time(command, env=None):
    start = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def interleaved(commands, runs):
    """Median seconds of each command, run in turn `runs` times."""
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, env) in commands.items():
            times[name].append(_time(command, env))
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('wheels')
    parser.add_argument('versions', nargs='+')
    parser.add_argument('--runs', type=int, default=31)
    args = parser.parse_args()
    print(f'{"python":8} {"-c pass:":>9} {"without":>9} {"with":>9} {"cost":>8}   '
          f'{"import sky.utils.common_utils:":>30} {"without":>9} {"with":>9} {"cost":>8}')
    for version in args.versions:
        tag = 'cp' + version.replace('.', '')
        wheel = sorted(pathlib.Path(args.wheels).glob(f'sky_native-*-{tag}-{tag}-*.whl'))[-1]
        medians = interleaved({'without': ([_venv(version, None), '-c', 'pass'], None),
                               'with': ([_venv(version, wheel), '-c', 'pass'], None)},
                              args.runs)
        python = VENVS / tag / 'bin' / 'python'
        site = next((VENVS / tag / 'lib').glob('python3*/site-packages'))
        code = 'import sky.utils.common_utils'
        imports = interleaved({'with': ([python, '-c', code], None),
                               'without': ([_venv(version, None), '-c', code],
                                           dict(os.environ, PYTHONPATH=str(site)))},
                              max(5, args.runs // 3))
        print(f'{version:8} {"":9} {medians["without"] * 1e3:7.2f}ms '
              f'{medians["with"] * 1e3:7.2f}ms '
              f'{(medians["with"] - medians["without"]) * 1e3:+6.2f}ms   {"":30} '
              f'{imports["without"] * 1e3:7.1f}ms {imports["with"] * 1e3:7.1f}ms '
              f'{(imports["with"] - imports["without"]) * 1e3:+6.1f}ms', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
