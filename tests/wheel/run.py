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
                                       about the launcher skipped), the
                                       fingerprint table's check against the
                                       releases of build/matrix, and
                                       SkyPilot's own tests (its sdist's) with
                                       the native functions and without: the
                                       same outcome for every test
    --old-glibc ROOT                   with --cheap or --full: also the install
                                       check and `sky --help` in ROOT (a Debian
                                       bullseye root: glibc 2.31) with its own
                                       python3 and the wheel of its version
"""
import argparse
import collections
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ElementTree

REPO = pathlib.Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO / 'packaging' / 'requirements.txt'
VENVS = REPO / 'build' / 'wheel-venvs'
# The cheap form's sample: a differential file per kind of function, and the
# replacement status; fewer hypothesis examples (SKY_NATIVE_EXAMPLES).
SAMPLE = ['test_diff_text.py', 'test_diff_resources.py', 'test_release_status.py',
          'test_module_basics.py']
SAMPLE_EXAMPLES = '100'
REPLACED = 12
SDIST = REPO / 'build' / 'skypilot-sdist'
# SkyPilot's tests that need the network or a cloud at collection time.
SKYPILOT_TESTS_LEFT_OUT = ('test_smoke.py', 'test_failover.py', 'test_api_compatibility.py')


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


def _wheel(wheels, version):
    tag = _tag(version)
    wheel = sorted(pathlib.Path(wheels).glob(f'sky_native-*-{tag}-{tag}-*.whl'))
    if len(wheel) != 1:
        raise SystemExit(f'run.py: expected one {tag} wheel in {wheels}, found {len(wheel)}')
    return wheel[0]


def venv_for(version, wheels):
    """The venv of `version`, the wheel reinstalled each time."""
    wheel = _wheel(wheels, version)
    python = make_venv(version)
    _run([python, '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check',
          '--force-reinstall', '--no-deps', wheel])
    return python


def _env(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ('VIRTUAL_ENV', 'PYTHONPATH', 'SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')}
    env.update(changes)
    return env


def check_install(python, env=_env, inside=list):
    """`python -m sky_native --json`: every function native; with either flag
    off, none (SkyPilot's Python). `inside` wraps each command (a root),
    `env` makes its environment."""
    # From the venvs' directory: `-m` puts the working directory on sys.path.
    report = json.loads(_run(inside([python, '-m', 'sky_native', '--json']), env=env(),
                             cwd=VENVS, capture_output=True, text=True).stdout)
    backends = {name: f['backend'] for name, f in report['functions'].items()}
    assert report['ok'] and list(backends.values()) == ['native'] * REPLACED, report
    for flag in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST'):
        off = json.loads(subprocess.run(
            inside([python, '-m', 'sky_native', '--json']), env=env(**{flag: '0'}), cwd=VENVS,
            capture_output=True, text=True, check=True).stdout)
        assert not off['native_enabled'], off
        assert set(f['backend'] for f in off['functions'].values()) == {'python'}, off
    print(f'   {report["python_version"]}: {REPLACED} functions native; off with either flag')


def check_cli(python, env=_env, inside=list):
    """SkyPilot's own console script: the same --help with and without the
    native functions."""
    sky = str(pathlib.Path(python).parent / 'sky')
    native = _run(inside([sky, '--help']), env=env(), capture_output=True, text=True).stdout
    plain = _run(inside([sky, '--help']), env=env(SKYPILOT_USE_NATIVE='0'),
                 capture_output=True, text=True).stdout
    assert native == plain and 'Usage: sky' in native


def check_old_glibc(root, wheels):
    """In `root`, a Debian root of an older glibc (make glibc-root), its own
    python3 in a venv with the pinned SkyPilot and the wheel of its version:
    the install check and `sky --help` as above. Each command runs chrooted
    in a private mount namespace with its own /proc."""
    root = pathlib.Path(root).resolve()

    def inside(command):
        return ['unshare', '--mount', '--propagation', 'private', 'sh', '-c',
                'mount -t proc proc "$0/proc" && exec /usr/sbin/chroot "$0" "$@"', root, *command]

    # pip inside trusts what the build machine's pip trusts.
    ca = '/etc/sky-native-test-ca.crt'
    shutil.copy(os.environ.get('PIP_CERT', '/etc/ssl/certs/ca-certificates.crt'), f'{root}{ca}')

    def env(**changes):
        return {'PATH': '/usr/bin:/bin', 'HOME': '/root', 'LANG': 'C.UTF-8', 'PIP_CERT': ca,
                'PIP_DISABLE_PIP_VERSION_CHECK': '1', **changes}

    version = _run(inside(['python3', '-c', 'import sys; print("%d.%d" % sys.version_info[:2])']),
                   env=env(), capture_output=True, text=True).stdout.strip()
    glibc = _run(inside(['ldd', '--version']), env=env(), capture_output=True,
                 text=True).stdout.splitlines()[0]
    print(f'   {root.name}: CPython {version}, {glibc}', flush=True)
    venv = '/opt/sky-native-wheel-test'
    python = f'{venv}/bin/python'
    if not (root / venv[1:] / '.installed').exists():
        _run(inside(['python3', '-m', 'venv', '--clear', venv]), env=env())
        _run(inside([python, '-m', 'pip', 'install', '--quiet', _pins()[0]]), env=env())
        (root / venv[1:] / '.installed').touch()
    wheel = _wheel(wheels, version)
    shutil.copy(wheel, root / 'tmp' / wheel.name)
    _run(inside([python, '-m', 'pip', 'install', '--quiet', '--force-reinstall', '--no-deps',
                 f'/tmp/{wheel.name}']), env=env())
    check_install(python, env, inside)
    check_cli(python, env, inside)


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


def _skypilot_tests(python):
    """The tests directory of the pinned SkyPilot's sdist (downloaded once)."""
    version = _pins()[0].split('==')[1]
    tests = SDIST / f'skypilot-{version}' / 'tests'
    if not tests.exists():
        _run([python, '-m', 'pip', 'download', '--quiet', '--disable-pip-version-check',
              '--no-deps', '--no-binary', ':all:', '--dest', SDIST, f'skypilot=={version}'])
        top = f'skypilot-{version}'
        with tarfile.open(SDIST / f'{top}.tar.gz') as sdist:
            # (Python 3.11.2 has no extraction filters.)
            for member in sdist.getmembers():
                inside = member.name == top or member.name.startswith(f'{top}/')
                parts = pathlib.PurePosixPath(member.name).parts
                if not inside or '..' in parts or not (member.isfile() or member.isdir()):
                    raise SystemExit(f'run.py: unexpected member {member.name} in the sdist')
            sdist.extractall(SDIST)
    return tests


def _outcomes(junit):
    """test id -> passed, failed, error or skipped, from a JUnit XML file."""
    outcomes = {}
    for case in ElementTree.parse(junit).iter('testcase'):
        kinds = [child.tag for child in case if child.tag in ('failure', 'error', 'skipped')]
        outcome = {'failure': 'failed'}.get(kinds[0], kinds[0]) if kinds else 'passed'
        outcomes[f'{case.get("classname")}::{case.get("name")}'] = outcome
    return outcomes


def check_skypilot_tests(python):
    """SkyPilot's own tests (its sdist's, without its pytest configuration,
    which asks for plugins it does not list), in a PID and network namespace
    (some start API servers) with a home of their own, with the native
    functions and with the flag off: every test's outcome the same."""
    tests = _skypilot_tests(python)
    runs = {}
    for name, flag in (('native', {}), ('python', {'SKYPILOT_USE_NATIVE': '0'})):
        with tempfile.TemporaryDirectory() as home:
            junit = pathlib.Path(home) / 'junit.xml'
            env = _env(HOME=home, SKYPILOT_DISABLE_USAGE_COLLECTION='1', SKYPILOT_DEBUG='1',
                       **flag)
            subprocess.run(
                ['unshare', '--net', '--pid', '--fork', '--mount-proc', python, '-m', 'pytest',
                 '-c', '/dev/null', '--rootdir', tests.parent, '-q', '-p', 'no:cacheprovider',
                 '--continue-on-collection-errors', f'--junitxml={junit}',
                 *(f'--ignore={tests / t}' for t in SKYPILOT_TESTS_LEFT_OUT), tests],
                env=env, cwd=tests.parent, stdout=subprocess.DEVNULL, check=False,
                timeout=1800)
            runs[name] = _outcomes(junit)
    differ = {t: (runs['native'].get(t), runs['python'].get(t))
              for t in runs['native'].keys() | runs['python'].keys()
              if runs['native'].get(t) != runs['python'].get(t)}
    assert not differ, f'SkyPilot\'s tests differ with the native functions: {differ}'
    counts = dict(sorted(collections.Counter(runs['native'].values()).items()))
    print(f'   SkyPilot\'s tests: {len(runs["native"])}, the same outcome with and without '
          f'the native functions ({counts})', flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    form = parser.add_mutually_exclusive_group(required=True)
    form.add_argument('--cheap', action='store_true')
    form.add_argument('--full', action='store_true')
    form.add_argument('--install', action='store_true')
    form.add_argument('--venvs', action='store_true')
    parser.add_argument('--old-glibc', metavar='ROOT')
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
            check_skypilot_tests(python)
    if args.old_glibc and (args.cheap or args.full):
        print(f'== {args.old_glibc}', flush=True)
        check_old_glibc(args.old_glibc, args.wheels)
    return 0


if __name__ == '__main__':
    sys.exit(main())
