"""The zygote's figures: SkyPilot's API server under sky-native with the
zygote (its default), under sky-native with SKY_NATIVE_ZYGOTE=0, and under
SkyPilot's own `sky`, in the same run.

Per server (the local one `api start` starts, or `api start --deploy`), each
in its own PID and network namespace with a private HOME: seconds from
`api start` to healthy and the CPU seconds every process spent until then;
PSS and RSS summed over the server's processes right after start, after
--idle seconds, and after --requests `status` requests (one SDK client, the
venv's Python, sends them one after another: the server's load, not the
client's start, is what is measured), with the managed-job controllers'
share apart. Then each `spawn` child's start latency (Process.start() to the
child running its target) in a process that has imported SkyPilot's request
executor, as medians. A fourth variant times the same start with the opt-in
command server (SKY_NATIVE_SERVER=1) already running, as after any earlier
command: the `api start` client is then served instead of importing SkyPilot
(the server process starts as before); its memory figures include the
command server's.

Run with any Python, as root or where unprivileged user namespaces work:
`python3 tests/bench/zygote.py build/sky-native .venv [--requests 100] [--runs 3]`
(--runs: interleaved rounds, every figure their median). Nothing else may
run API servers meanwhile: these listen on SkyPilot's default port in their
namespaces, and `sky api stop` on that port anywhere on the machine (outside
a PID namespace) ends them.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.abspath(__file__)

if __name__ == '__mp_main__':
    # A spawn child re-runs its parent's main module: as the API server's
    # workers re-run sky.server.server, these import SkyPilot's executor.
    import sky.server.requests.executor  # noqa: F401  (what the workers import)


def _processes():
    """pid -> (cmdline, pss KiB, rss KiB, cpu seconds) of every process in
    this namespace but this one and its shell tools."""
    ticks = os.sysconf('SC_CLK_TCK')
    found = {}
    for entry in os.listdir('/proc'):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f'/proc/{entry}/cmdline', 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(errors='replace').strip()
            with open(f'/proc/{entry}/smaps_rollup', encoding='ascii') as f:
                fields = dict((line.split()[0].rstrip(':'), line.split()[1]) for line in f
                              if line.split() and line.split()[0] in ('Pss:', 'Rss:'))
            with open(f'/proc/{entry}/stat', encoding='ascii') as f:
                stat = f.read().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if not cmdline:
            continue
        found[int(entry)] = (cmdline, int(fields.get('Pss', 0)), int(fields.get('Rss', 0)),
                             (int(stat[11]) + int(stat[12])) / ticks)
    return found


# What the server execs rather than spawns (`sys.executable -u -m
# sky.jobs.controller` through a shell), never forked from the zygote: cold,
# or under sky-native a client that hands the controller to a command server
# (`--native-server serve`, its command line and its forks').
_CONTROLLER_PARTS = ('sky.jobs.controller', '--native-server serve')


def _memory():
    procs = _processes()
    controllers = [p for p in procs.values() if any(part in p[0] for part in _CONTROLLER_PARTS)]
    return {'processes': len(procs),
            'pss_mib': round(sum(p[1] for p in procs.values()) / 1024, 1),
            'rss_mib': round(sum(p[2] for p in procs.values()) / 1024, 1),
            'controllers': len(controllers),
            'controllers_pss_mib': round(sum(p[1] for p in controllers) / 1024, 1)}


def _cli(sky, *args):
    return subprocess.run([sky, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          check=False, timeout=600).returncode


_STATUS_REQUESTS = """
import sys
import sky
failed = 0
for _ in range(int(sys.argv[1])):
    try:
        sky.get(sky.status())
    except Exception:  # counted, as a failed CLI run would be
        failed += 1
print(failed)
"""


def _send_status_requests(python, count):
    """The number of `status` requests that failed (all when the client did)."""
    out = subprocess.run([python, '-c', _STATUS_REQUESTS, str(count)], capture_output=True,
                         text=True, check=False, timeout=3600)
    lines = out.stdout.split()
    return int(lines[-1]) if out.returncode == 0 and lines else count


def _warm_command_server(sky):
    """Starts the command server of this environment (a command starts one
    for the next) and waits until it answers: the CPU seconds of the
    processes running then, which the start to healthy does not count."""
    _cli(sky, '--help')
    deadline = time.monotonic() + 300
    while 'pid ' not in subprocess.run([sky, '--native-server', 'status'], capture_output=True,
                                       text=True, check=False).stdout:
        if time.monotonic() > deadline:
            raise RuntimeError('no command server answered')  # the row: an error
        time.sleep(0.2)
    return sum(p[3] for p in _processes().values())


def inside(sky, python, deploy, idle, requests):
    """In the namespace (this process is its PID 1): one server's figures."""
    subprocess.run(['ip', 'link', 'set', 'lo', 'up'], check=True)
    served = os.environ.get('SKY_NATIVE_SERVER') == '1'
    cpu_before = _warm_command_server(sky) if served else 0
    begin = time.monotonic()
    before = os.times()
    code = _cli(sky, 'api', 'start', *(['--deploy'] if deploy else []))
    healthy = time.monotonic() - begin
    after = os.times()
    children_cpu = (after.children_user - before.children_user +
                    after.children_system - before.children_system)
    result = {'start_exit': code, 'seconds_to_healthy': round(healthy, 2),
              'cpu_seconds_to_healthy': round(
                  children_cpu + sum(p[3] for p in _processes().values()) - cpu_before, 2),
              'after_start': _memory()}
    time.sleep(idle)
    result['idle'] = _memory()
    failures = _send_status_requests(python, requests)
    result['after_requests'] = _memory()
    result['failed_requests'] = failures
    _cli(sky, 'api', 'stop')
    if served:
        _cli(sky, '--native-server', 'stop')
    print(json.dumps(result))


def child_latency(count):
    """In a process that imported SkyPilot's request executor: medians of
    Process.start() to the child running its target, and to its exit."""
    import multiprocessing
    import sky.server.requests.executor  # noqa: F401  (as in an API server)
    multiprocessing.set_start_method('spawn', force=True)
    running, exited = [], []
    for _ in range(count):
        queue = multiprocessing.Queue()
        child = multiprocessing.Process(target=_report_time, args=(queue,))
        begin = time.time()
        child.start()
        running.append(queue.get(timeout=300) - begin)
        child.join()
        exited.append(time.time() - begin)
    print(json.dumps({'child_running_ms': round(statistics.median(running) * 1000, 1),
                      'child_exited_ms': round(statistics.median(exited) * 1000, 1),
                      'first_child_ms': round(running[0] * 1000, 1)}))


def _report_time(queue):
    queue.put(time.time())


_SERVED = 'sky-native (zygote, SKY_NATIVE_SERVER=1)'


def _variants(binary, venv):
    base = {k: v for k, v in os.environ.items()
            if k not in ('SKY_NATIVE_ZYGOTE', 'SKY_NATIVE_SERVER')}
    base.update(VIRTUAL_ENV=venv, PATH=f'{venv}/bin:{base.get("PATH", "")}')
    return [('sky-native (zygote)', binary, binary, dict(base)),
            ('sky-native (SKY_NATIVE_ZYGOTE=0)', binary, binary, dict(base, SKY_NATIVE_ZYGOTE='0')),
            (_SERVED, binary, binary, dict(base, SKY_NATIVE_SERVER='1')),
            ('SkyPilot (sky)', f'{venv}/bin/sky', f'{venv}/bin/python', dict(base))]


def _median_row(found):
    """Each figure's median over the runs (a run that failed gives none)."""
    good = [row for row in found if 'error' not in row]
    if not good:
        return found[-1]

    def median(values):
        if isinstance(values[0], dict):
            return {key: median([v[key] for v in values]) for key in values[0]}
        return statistics.median(values)
    return median(good)


def _ratio(ours, theirs, when):
    """Ours over theirs, PSS summed, then without the controllers."""
    def pss(row, with_controllers):
        excluded = 0 if with_controllers else row[when]['controllers_pss_mib']
        return row[when]['pss_mib'] - excluded
    return (f'{pss(ours, True) / pss(theirs, True):.2f}x (without the controllers '
            f'{pss(ours, False) / pss(theirs, False):.2f}x)')


def _start_ratios(ours, theirs):
    return (f'to healthy {theirs["seconds_to_healthy"] / ours["seconds_to_healthy"]:.2f}x '
            f'faster, CPU to healthy '
            f'{theirs["cpu_seconds_to_healthy"] / ours["cpu_seconds_to_healthy"]:.2f}x less')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('binary')
    parser.add_argument('venv')
    parser.add_argument('--requests', type=int, default=100)
    parser.add_argument('--idle', type=float, default=30)
    parser.add_argument('--children', type=int, default=10)
    parser.add_argument('--modes', default='local,deploy')
    parser.add_argument('--runs', type=int, default=1,
                        help='interleaved rounds; figures are their medians')
    parser.add_argument('--inside', nargs=3, help=argparse.SUPPRESS)
    parser.add_argument('--child-latency', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        inside(args.inside[0], args.inside[1], args.inside[2] == 'deploy', args.idle,
               args.requests)
        return
    if args.child_latency:
        child_latency(args.children)
        return
    binary, venv = os.path.abspath(args.binary), os.path.abspath(args.venv)
    runs = {}  # (mode, name) -> a row per run
    for _ in range(args.runs):  # interleaved: every variant once per round
        for mode in args.modes.split(','):
            for name, sky, _, env in _variants(binary, venv):
                home = subprocess.run(['mktemp', '-d'], capture_output=True, text=True,
                                      check=True).stdout.strip()
                env['HOME'] = home
                out = subprocess.run(
                    ['unshare', '--net', '--pid', '--fork', '--mount-proc', sys.executable,
                     HERE, binary, venv, '--idle', str(args.idle), '--requests',
                     str(args.requests), '--inside', sky, f'{venv}/bin/python', mode],
                    env=env, capture_output=True, text=True, check=False)
                subprocess.run(['rm', '-rf', home], check=False)
                lines = out.stdout.strip().splitlines()
                row = json.loads(lines[-1]) if lines else {'error': out.stderr[-2000:]}
                runs.setdefault((mode, name), []).append(row)
                print(f'{mode:7} {name:34} {json.dumps(row)}', flush=True)
    rows = [(mode, name, _median_row(found)) for (mode, name), found in runs.items()]
    if args.runs > 1:
        for mode, name, row in rows:
            print(f'{mode:7} {name:34} median of {args.runs}: {json.dumps(row)}', flush=True)
    for name, _, python, env in _variants(binary, venv):
        if name == _SERVED:
            continue  # a spawn child's start does not involve the command server
        env['HOME'] = subprocess.run(['mktemp', '-d'], capture_output=True, text=True,
                                     check=True).stdout.strip()
        out = subprocess.run([python, HERE, binary, venv, '--child-latency', '--children',
                              str(args.children)], env=env, capture_output=True, text=True,
                             check=False)
        subprocess.run(['rm', '-rf', env['HOME']], check=False)
        lines = out.stdout.strip().splitlines()
        print(f'spawn child {name:34} '
              f'{lines[-1] if lines else out.stderr[-2000:]}', flush=True)
    for mode in args.modes.split(','):
        ours = next((r for m, n, r in rows if m == mode and 'zygote)' in n), {})
        theirs = next((r for m, n, r in rows if m == mode and n.startswith('SkyPilot')), {})
        served = next((r for m, n, r in rows if m == mode and n == _SERVED), {})
        failed = [row for row in (ours, theirs)
                  if 'idle' not in row or row['start_exit'] or row['failed_requests']]
        if failed:
            # A server that failed to start or died: its figures compare nothing.
            print(f'{mode}: no ratios, a server failed: {json.dumps(failed)[:2000]}')
        else:
            print(f'{mode}: PSS idle {_ratio(ours, theirs, "idle")} of SkyPilot\'s, after '
                  f'requests {_ratio(ours, theirs, "after_requests")}; '
                  f'{_start_ratios(ours, theirs)}')
            if served.get('start_exit') == 0:
                print(f'{mode}: with a running command server, {_start_ratios(served, theirs)}')


if __name__ == '__main__':
    main()
