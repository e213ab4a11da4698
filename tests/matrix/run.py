"""Runs the differential tests and the replacement-status tests against
every SkyPilot release of the matrix, then checks that the fingerprint table
knows every release's code and that docs/functions.md's table follows from it.

    run.py --cheap SKY_NATIVE VENV   each release's wheel installed --no-deps
                                     into build/matrix/<release>, first on
                                     PYTHONPATH over the pinned venv
    run.py --full SKY_NATIVE PYTHON  a venv per release with its own
                                     dependencies (build/matrix-venvs/<release>)

The releases' own functions are what the differential tests compare the
native versions with. --full runs them against every release. --cheap (CI)
runs the status tests against every release, but the differential tests
only against the first release of each group whose code (every function
and helper, by fingerprint) is the same, skipping the pinned release's group
(`make test-python` covers it), with fewer hypothesis examples
(SKY_NATIVE_EXAMPLES): over the same dependencies, equal code behaves
equally.
"""
import argparse
import os
import pathlib
import subprocess
import sys

import fingerprints

REPO = pathlib.Path(__file__).resolve().parents[2]
RELEASES = ('0.9.3', '0.10.5', '0.11.2', '0.12.3.post1', '0.13.0', '0.14.0', '0.14.1')
PINNED = '0.14.1'
DIFFERENTIAL_TESTS = sorted(
    str(p) for p in (REPO / 'tests' / 'python').glob('test_diff_*.py'))
STATUS_TESTS = [str(REPO / 'tests' / 'python' / 'test_release_status.py')]
TESTS = DIFFERENTIAL_TESTS + STATUS_TESTS
CHEAP_EXAMPLES = '60'
TEST_PACKAGES = ('pytest', 'hypothesis')
# SQLAlchemy 2.1 made greenlet optional; older SkyPilot releases import
# sqlalchemy's asyncio support but list greenlet only under their cloud
# extras, so a bare `pip install skypilot==0.10.5` today cannot `import sky`.
RELEASE_PACKAGES = ('greenlet',)


def _run(command, **kwargs):
    print('+', ' '.join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def _pip(python, *args):
    _run([python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', *args])


def cheap(sky_native, venv):
    """Returns the release directories (for the fingerprint check)."""
    python = str(pathlib.Path(venv) / 'bin' / 'python')
    directories = {}
    for release in RELEASES:
        target = REPO / 'build' / 'matrix' / release
        if not (target / 'sky' / '__init__.py').exists():
            _pip(python, '--no-deps', '--target', str(target), f'skypilot=={release}')
        directories[release] = str(target)
    code = {r: tuple(sorted(fingerprints.probe(d)['code'].items()))
            for r, d in directories.items()}
    tested = {code[PINNED]}
    for release, target in directories.items():
        env = dict(os.environ, VIRTUAL_ENV=str(venv), PYTHONPATH=target,
                   SKY_NATIVE_EXAMPLES=CHEAP_EXAMPLES)
        tests = STATUS_TESTS if code[release] in tested else TESTS
        # Equal code: the tests that start sky-native children ran already.
        selection = ['-k', 'not native_info and not every_state'] if tests is STATUS_TESTS else []
        tested.add(code[release])
        print(f'== SkyPilot {release} (wheel over the pinned venv): '
              f'{"status" if tests is STATUS_TESTS else "differential and status"} tests',
              flush=True)
        _run([sky_native, '-m', 'pytest', '-q', '-p', 'no:cacheprovider', *selection, *tests],
             env=env)
    return python, list(directories.values())


def full(sky_native, base_python):
    python_of, directories = {}, []
    for release in RELEASES:
        venv = REPO / 'build' / 'matrix-venvs' / release
        python = str(venv / 'bin' / 'python')
        packages = (f'skypilot=={release}', *RELEASE_PACKAGES, *TEST_PACKAGES)
        installed = venv / '.installed'  # holds what was installed
        if not installed.exists() or installed.read_text() != ' '.join(packages):
            _run([base_python, '-m', 'venv', '--clear', str(venv)])
            _pip(python, *packages)
            installed.write_text(' '.join(packages))
        # sky-native finds the venv as its own python would.
        link = venv / 'bin' / 'sky-native'
        link.unlink(missing_ok=True)
        link.symlink_to(pathlib.Path(sky_native).resolve())
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
        env.update(VIRTUAL_ENV=str(venv), PATH=f'{venv / "bin"}:{os.environ["PATH"]}')
        print(f'== SkyPilot {release} (its own venv)', flush=True)
        _run([str(link), '-m', 'pytest', '-q', '-p', 'no:cacheprovider', *TESTS], env=env)
        site = subprocess.run([python, '-c', 'import sky, os; print(os.path.dirname('
                               'os.path.dirname(sky.__file__)))'],
                              check=True, capture_output=True, text=True).stdout.strip()
        directories.append(site)
        python_of[release] = python
    return python_of[PINNED], directories


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument('--cheap', metavar='VENV', help='the pinned venv')
    mode.add_argument('--full', metavar='PYTHON', help='the Python that makes the venvs')
    parser.add_argument('sky_native')
    args = parser.parse_args()
    if args.cheap:
        python, directories = cheap(args.sky_native, args.cheap)
    else:
        python, directories = full(args.sky_native, args.full)
    # Fails when a release's code is unknown or the table is not up to date.
    _run([python, str(REPO / 'tests' / 'matrix' / 'fingerprints.py'), '--check',
          *directories])
    # ... and when docs/functions.md's function x release table does not follow from it.
    _run([python, str(REPO / 'tests' / 'matrix' / 'release_table.py'), '--check'])
    print(f'matrix: {len(RELEASES)} releases passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
