"""Tests the wheels (build/wheels, `make wheels`) in a plain CPython of each
version: a venv per version (build/wheel-venvs/cp3X) with the pinned
SkyPilot (without its cloud extras: nothing here needs them), the test
packages and the wheel.

    run.py --venvs WHEELS VERSION...   only the venvs, without the wheels (made
                                       while the wheels build: make -j2)
    run.py --install WHEELS VERSION... only the venvs, with the wheels
    run.py --cheap WHEELS VERSION...   the install check with the flags on and
                                       off, `sky --help` against SkyPilot's,
                                       a short differential sample (CI)
    run.py --full WHEELS VERSION...    the same, then the whole Python test
                                       suite under that python (the tests
                                       about the launcher skipped) and the
                                       fingerprint table's check against the
                                       releases of build/matrix
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / 'packaging' / 'requirements.txt'
VENVS = REPO / 'build' / 'wheel-venvs'
# The cheap form's sample: a differential file per kind of function, and the
# replacement status; fewer hypothesis examples (SKY_NATIVE_EXAMPLES).
SAMPLE = ['test_diff_text.py', 'test_diff_resources.py', 'test_release_status.py',
          'test_module_basics.py']
SAMPLE_EXAMPLES = '100'
REPLACED = 12


def _run(command, **kwargs):
    print('+', ' '.join(str(c) for c in command), flush=True)
    return subprocess.run(command, check=True, **kwargs)


def _pins():
    """(SkyPilot's pin without its extras, the test packages' pins)."""
    lines = [line.split('#')[0].strip() for line in REQUIREMENTS.read_text().splitlines()]
    lines = [line for line in lines if line]
    skypilot = next(line for line in lines if line.startswith('skypilot'))
    tests = [line for line in lines if re.split(r'[=<>!~ \[]', line)[0] in ('pytest', 'hypothesis')]
    return re.sub(r'\[.*\]', '', skypilot), tests


def _tag(version):
    return 'cp' + version.replace('.', '')


def make_venv(version):
    """The venv of `version` with the pinned SkyPilot, made once."""
    venv = VENVS / _tag(version)
    python = venv / 'bin' / 'python'
    if not (venv / '.installed').exists():
        interpreters = sorted(pathlib.Path.home().glob(f'.pyenv/versions/{version}.*/bin/python'))
        if not interpreters:
            raise SystemExit(f'run.py: no CPython {version} under ~/.pyenv/versions')
        _run([interpreters[-1], '-m', 'venv', '--clear', venv])
        skypilot, tests = _pins()
        _run([python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
              skypilot, *tests])
        (venv / '.installed').touch()
    return python


def venv_for(version, wheels):
    """The venv of `version`, the wheel reinstalled each time."""
    tag = _tag(version)
    wheel = sorted(pathlib.Path(wheels).glob(f'sky_native-*-{tag}-{tag}-*.whl'))
    if len(wheel) != 1:
        raise SystemExit(f'run.py: expected one {tag} wheel in {wheels}, found {len(wheel)}')
    python = make_venv(version)
    _run([python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
          '--force-reinstall', '--no-deps', wheel[0]])
    return python


def _env(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ('VIRTUAL_ENV', 'PYTHONPATH', 'SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')}
    env.update(changes)
    return env


def check_install(python):
    """`python -m sky_native --json`: every function native; with either flag
    off, none (SkyPilot's Python)."""
    # From the venvs' directory: `-m` puts the working directory on sys.path.
    report = json.loads(_run([python, '-m', 'sky_native', '--json'], env=_env(), cwd=VENVS,
                             capture_output=True, text=True).stdout)
    backends = {name: f['backend'] for name, f in report['functions'].items()}
    assert report['ok'] and list(backends.values()) == ['native'] * REPLACED, report
    for flag in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST'):
        off = json.loads(subprocess.run(
            [python, '-m', 'sky_native', '--json'], env=_env(**{flag: '0'}), cwd=VENVS,
            capture_output=True, text=True, check=True).stdout)
        assert not off['native_enabled'], off
        assert set(f['backend'] for f in off['functions'].values()) == {'python'}, off
    print(f'   {report["python_version"]}: {REPLACED} functions native; off with either flag')


def check_cli(python):
    """SkyPilot's own console script: the same --help with and without the
    native functions."""
    sky = str(pathlib.Path(python).parent / 'sky')
    native = _run([sky, '--help'], env=_env(), capture_output=True, text=True).stdout
    plain = _run([sky, '--help'], env=_env(SKYPILOT_USE_NATIVE='0'),
                 capture_output=True, text=True).stdout
    assert native == plain and 'Usage: sky' in native


def run_tests(python, files, examples=None):
    env = _env(**({'SKY_NATIVE_EXAMPLES': examples} if examples else {}))
    env['PATH'] = f'{pathlib.Path(python).parent}:{env["PATH"]}'
    _run([python, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
          *(str(REPO / 'tests' / 'python' / f) for f in files)], env=env, cwd=REPO)


def check_fingerprints(python):
    """The verified table's section of this Python against the releases the
    matrix installed (build/matrix, `make test-matrix-cheap`)."""
    releases = sorted(str(p) for p in (REPO / 'build' / 'matrix').iterdir()
                      if (p / 'sky' / '__init__.py').exists())
    if not releases:
        raise SystemExit('run.py: no releases in build/matrix (make test-matrix-cheap)')
    _run([python, REPO / 'tests' / 'matrix' / 'fingerprints.py', '--check', *releases],
         env=_env())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    form = parser.add_mutually_exclusive_group(required=True)
    form.add_argument('--cheap', action='store_true')
    form.add_argument('--full', action='store_true')
    form.add_argument('--install', action='store_true')
    form.add_argument('--venvs', action='store_true')
    parser.add_argument('wheels')
    parser.add_argument('versions', nargs='+')
    args = parser.parse_args()
    for version in args.versions:
        print(f'== CPython {version}', flush=True)
        if args.venvs:
            make_venv(version)
            continue
        python = venv_for(version, args.wheels)
        if args.install:
            continue
        check_install(python)
        check_cli(python)
        if args.cheap:
            run_tests(python, SAMPLE, SAMPLE_EXAMPLES)
        else:
            run_tests(python, ['.'])
            check_fingerprints(python)
    return 0


if __name__ == '__main__':
    sys.exit(main())
