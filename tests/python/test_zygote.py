"""The zygote (modules/python/zygote.py): a `spawn` child of a sky-native
API server process forked from the zygote sees what a spawned one sees.

Each test compares the children of tests/python/zygote_probe.py run with the
zygote (the default: SKY_NATIVE_ZYGOTE unset) and with SKY_NATIVE_ZYGOTE=0
(multiprocessing's own spawn), in the same way, on one of the differences a
fork could make; for both kinds of zygote: the one a process that imported
SkyPilot's executor starts at its first child, and the one forked from the
server at its main block (the probe run `--as-server`)."""
import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.launcher  # about the launcher (skipped under the wheel)

PROBE = pathlib.Path(__file__).resolve().parent / 'zygote_probe.py'


def _probe(tmp_path, zygote, as_server):
    cwd = tmp_path / ('zygote' if zygote else 'spawn')
    cwd.mkdir()
    env = {k: v for k, v in os.environ.items() if k != 'SKY_NATIVE_ZYGOTE'}
    env['HOME'] = str(tmp_path / 'home')
    if not zygote:
        env['SKY_NATIVE_ZYGOTE'] = '0'
    result = subprocess.run([sys.executable, str(PROBE), *(['--as-server'] if as_server else [])],
                            cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    report['stderr'] = result.stderr
    report['cwd'] = str(cwd)
    return report


@pytest.fixture(scope='module', params=['started', 'forked'])
def probes(request, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp('zygote')
    (tmp_path / 'home').mkdir()
    as_server = request.param == 'forked'
    return _probe(tmp_path, True, as_server), _probe(tmp_path, False, as_server)


def test_children_come_from_the_zygote(probes):
    zygote, spawn = probes
    for child in spawn['children']:
        assert child['ppid'] == spawn['parent_pid']
    zygote_pids = {child['ppid'] for child in zygote['children']}
    assert zygote['parent_pid'] not in zygote_pids and len(zygote_pids) >= 1
    # A forked zygote has the server's command line, a started one its own.
    # The forked one serves the first child; the environment changes after
    # it (as a server's never does) and the next ones start another.
    started = zygote['children']
    if '--as-server' in zygote['parent_cmdline']:
        assert started[0]['ppid_cmdline'] == zygote['parent_cmdline']
        started = started[1:]
    for child in started:
        assert 'sky_native._zygote' in ' '.join(child['ppid_cmdline'])
    # multiprocessing's parent is still the process that started the child.
    for report in probes:
        for child in report['children']:
            assert child['parent_process'] == report['parent_pid']


def test_random_state_is_fresh(probes):
    for report in probes:
        draws = [child['random'] for child in report['children']]
        assert len(set(draws)) == len(draws)
        assert len({child['urandom'] for child in report['children']}) == len(draws)


def test_no_threads_inherited(probes):
    """The parent's second thread reaches neither. (A spawned child's own
    import of numpy starts OpenBLAS's pool, a native thread that a zygote
    child lacks: the zygote imports it single-threaded; docs/zygote.md.)"""
    zygote, spawn = probes
    assert [c['threads'] for c in zygote['children']] == \
        [c['threads'] for c in spawn['children']] == [1] * 3
    assert [c['tasks'] for c in zygote['children']] == [1] * 3
    assert all(c['tasks'] >= 1 for c in spawn['children'])


def _shape(report, child):
    """The child's descriptors: 0-2 the parent's own files, the others as
    kinds and flags (numbers shift with the parent's own descriptors)."""
    parent = report['parent_descriptors']
    fds = child['descriptors']
    standard = [fds[str(n)]['inode'] == parent[str(n)]['inode'] for n in (0, 1, 2)]
    others = sorted((d['type'], d['inheritable']) for n, d in fds.items() if int(n) > 2)
    return standard, others


def test_open_descriptors_are_what_spawn_passes(probes):
    zygote, spawn = probes
    for z_child, s_child in zip(zygote['children'], spawn['children']):
        assert _shape(zygote, z_child) == _shape(spawn, s_child)
        assert _shape(zygote, z_child)[0] == [True, True, True]


def test_signal_dispositions_and_mask_of_a_fresh_process(probes):
    zygote, spawn = probes
    for z_child, s_child in zip(zygote['children'], spawn['children']):
        assert z_child['signals'] == s_child['signals']
        assert z_child['mask'] == s_child['mask']
    child = zygote['children'][0]
    assert child['signals']['SIGUSR1'] == repr(signal.SIG_IGN)
    assert child['signals']['SIGUSR2'] == repr(signal.SIG_DFL)
    assert child['signals']['SIGINT'] == repr(signal.default_int_handler)


def test_main_module_is_fresh(probes):
    zygote, spawn = probes
    for z_child, s_child in zip(zygote['children'], spawn['children']):
        assert z_child['main_name'] == s_child['main_name'] == '__mp_main__'
        assert z_child['main_names'] == s_child['main_names']


def test_main_module_run_by_name(probes):
    """A parent run as `-m sky.server.server`: the zygote runs the module as
    `__mp_main__` once and its children keep it (as CPython's own spawn
    does in a forked process); what the child sees is a spawned child's."""
    zygote, spawn = probes
    z_child, s_child = zygote['main_by_name'], spawn['main_by_name']
    assert z_child['ppid'] != zygote['parent_pid'] and s_child['ppid'] == spawn['parent_pid']
    assert z_child['main_frozen'] and not s_child['main_frozen']
    for key in ('main_name', 'main_spec', 'main_names', 'is_mp_main', 'sky_server_imported',
                'old_mains'):
        assert z_child[key] == s_child[key], key
    assert z_child['main_name'] == '__mp_main__' and 'app' in z_child['main_names']
    assert z_child['old_mains'] == [['spawn_main']]


def test_import_time_lock_is_the_childs(probes):
    """A `filelock` lock SkyPilot makes at import time works in the child,
    as the one a spawned child's own import makes (filelock refuses a lock
    inherited across a fork: preloaded_locks.py)."""
    for report in probes:
        assert [c['ssh_config_lock'] for c in report['children']] == ['taken'] * 3


def test_environment_argv_cwd_umask_path(probes):
    zygote, spawn = probes
    for step, (z_child, s_child) in enumerate(zip(zygote['children'], spawn['children'])):
        z_env, s_env = dict(z_child['environ']), dict(s_child['environ'])
        assert 'SKY_NATIVE_ZYGOTE' not in z_env
        assert s_env.pop('SKY_NATIVE_ZYGOTE') == '0'
        assert z_env['ZYGOTE_PROBE_STEP'] == str(step)
        assert z_env == s_env
        assert z_child['cwd'] == zygote['cwd'] and s_child['cwd'] == spawn['cwd']
        assert z_child['argv'] == s_child['argv']
        assert z_child['umask'] == s_child['umask'] == 0o027
        assert z_child['executable'] == s_child['executable']
        assert z_child['flags'] == s_child['flags']
        assert [p.replace(zygote['cwd'], '') for p in z_child['path']] == \
            [p.replace(spawn['cwd'], '') for p in s_child['path']]


def test_exit_codes_and_tracebacks(probes):
    zygote, spawn = probes
    assert zygote['exit_codes'] == spawn['exit_codes'] == {
        'sys.exit(3)': 3, 'sys.exit(None)': 0, 'os._exit(7)': 7, 'raise': 1,
        'terminate': -15, 'atexit': 0}
    assert zygote['atexit_ran'] and spawn['atexit_ran']
    for report in probes:
        assert "RuntimeError: raised in the child" in report['stderr']
    assert zygote['stderr'].replace(zygote['cwd'], '') == \
        spawn['stderr'].replace(spawn['cwd'], '')


def test_sys_path_entries_added_since_the_zygote_started(tmp_path):
    """The server's sys.path gains entries after the zygote started with it
    (the working directory, SkyPilot's '.'): accepted only when none holds a
    top-level module already imported, so that every import resolves as in
    a spawned child."""
    from sky_native import _import_state
    base = sys.path[-2:]
    added = tmp_path / 'added'
    added.mkdir()
    assert _import_state.resolves_alike([str(added), *base], base)
    (added / 'not_imported_anywhere.py').write_text('')
    # A directory named like an imported package: a namespace portion, which
    # never wins over the regular package.
    (added / 'json').mkdir()
    assert _import_state.resolves_alike([str(added), *base], base)
    (added / 'json.py').write_text('')  # json is imported: it would shadow it
    assert not _import_state.resolves_alike([str(added), *base], base)
    assert not _import_state.resolves_alike(base[:1], base)  # an entry gone
    assert not _import_state.resolves_alike(base[::-1], base)  # another order
