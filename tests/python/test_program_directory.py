"""The binary's own directory is no module directory in sky mode.

A downloaded sky-native sits in a download folder among other files; a
`yaml.py` there must not run when SkyPilot imports yaml. Python mode keeps
Python's sys.path[0]: the script's directory, '' for -c, the current
directory for -m.
"""
import json
import pathlib
import shutil

import pytest

import cli_runner

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

# Leaves a mark, then fails the import loudly.
PLANTED = ('import pathlib\n'
           'pathlib.Path(__file__).with_name("planted-ran").write_text("ran")\n'
           'raise ImportError("the planted yaml.py was imported")\n')
REPORT_PATH0 = 'import json, sys; print(json.dumps(sys.path[0]))'


def _binary_beside_planted_yaml(tmp_path: pathlib.Path) -> pathlib.Path:
    folder = tmp_path / 'downloads'
    folder.mkdir()
    binary = folder / 'sky-native'
    shutil.copy2(cli_runner.SKY_NATIVE, binary)
    (folder / 'yaml.py').write_text(PLANTED)
    return binary


def test_sky_mode_does_not_import_from_the_binary_directory(tmp_path):
    binary = _binary_beside_planted_yaml(tmp_path)
    env = cli_runner.environment(str(tmp_path), SKY_NATIVE_SERVER='0')
    for args in (['status', '--help'], ['--native-info']):
        result = cli_runner.run([str(binary), *args], env, cwd=str(tmp_path))
        assert not (binary.parent / 'planted-ran').exists(), (args, result.stderr)
        assert result.returncode == 0, (args, result.stderr)


def test_installation_check_shows_no_program_directory(tmp_path):
    binary = _binary_beside_planted_yaml(tmp_path)
    env = cli_runner.environment(str(tmp_path), SKY_NATIVE_SERVER='0')
    result = cli_runner.run([str(binary), '--native-info', '--json'], env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert str(binary.parent) not in json.loads(result.stdout)['sys_path']


def test_python_mode_keeps_pythons_path0(tmp_path):
    binary = _binary_beside_planted_yaml(tmp_path)
    env = cli_runner.environment(str(tmp_path), SKY_NATIVE_SERVER='0')
    scripts = tmp_path / 'scripts'
    scripts.mkdir()
    (scripts / 'report.py').write_text(REPORT_PATH0)
    path0 = {}
    for name, args in (('script', [str(scripts / 'report.py')]), ('-c', ['-c', REPORT_PATH0])):
        result = cli_runner.run([str(binary), *args], env, cwd=str(tmp_path))
        assert result.returncode == 0, result.stderr
        path0[name] = json.loads(result.stdout)
    assert path0 == {'script': str(scripts), '-c': ''}
    (tmp_path / 'report_mod.py').write_text(REPORT_PATH0)
    result = cli_runner.run([str(binary), '-m', 'report_mod'], env, cwd=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == str(tmp_path)
