"""One client session on the test cluster, run inside tests/slurm/client.sh:
the steps of the end-to-end tests through one CLI (SkyPilot's `sky` or
sky-native), each step's exit code, stdout and stderr saved as
OUT/NN-name.{rc,out,err}. The local API server is stopped at the end.

    session.py CLI OUT CLUSTER TASK_YAML [--jobs]

Before `queue`, every executor process of the API server is killed with
SIGKILL (`kill-executors`); `queue` runs after it, and `executors` says
where the executors that ran it came from (`spawned` by the API server's
process or forked by its `zygote`).

Before `down`, a request is cancelled while it runs (`api cancel` of a
`logs` that follows a long job), and the job after it.

--jobs: a managed job too (`jobs launch`, `jobs queue`), once the cluster is
down (the node's CPUs are the cluster's until then).
"""
import os
import pathlib
import re
import select
import subprocess
import sys
import time


def run(cli, args, cwd):
    """One step: CLI ARGS with no stdin, its output captured."""
    return subprocess.run([cli, *args], stdin=subprocess.DEVNULL, capture_output=True, cwd=cwd,
                          check=False)


def cancel_a_running_request(cli, cluster, cwd):
    """`logs` of a job that runs for minutes, its request cancelled with
    `api cancel` while it streams: [(step, CompletedProcess)] of the cancel
    and of the `logs` client it ends. The job is cancelled after."""
    submitted = run(cli, ['exec', '-d', cluster, 'sleep 600'], cwd)
    done = [('exec-sleep', submitted)]
    job = re.search(rb'Job submitted, ID: (\d+)', submitted.stdout)
    job = job.group(1).decode() if job else 'none'
    follower = subprocess.Popen([cli, 'logs', cluster, job], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd)
    # Cancelled once it streams (not before the job started: its output
    # would then depend on when the cancel came).
    streamed, deadline = b'', time.time() + 300
    while b'Streaming logs' not in streamed:
        ready, _, _ = select.select([follower.stdout], [], [], max(0, deadline - time.time()))
        chunk = os.read(follower.stdout.fileno(), 4096) if ready else b''
        if not chunk:
            break
        streamed += chunk
    request = None
    while request is None and time.time() < deadline:
        time.sleep(1)
        table = run(cli, ['api', 'status'], cwd).stdout
        running = [line.split()[0].decode() for line in table.splitlines()
                   if b'sky.logs' in line and b'RUNNING' in line]
        request = running[0] if running else None
    done.append(('api-cancel', run(cli, ['api', 'cancel', request or 'none'], cwd)))
    stdout, stderr = follower.communicate(timeout=300)
    done.append(('logs-cancelled', subprocess.CompletedProcess(
        follower.args, follower.returncode, streamed + stdout, stderr)))
    done.append(('cancel-job', run(cli, ['cancel', '-y', cluster, job], cwd)))
    return done


def _cmdline(pid):
    try:
        return pathlib.Path(f'/proc/{pid}/cmdline').read_bytes()
    except OSError:
        return b''


def _parent(pid):
    try:
        stat = pathlib.Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return 0
    return int(stat.rsplit(')', 1)[1].split()[1])


def _executors():
    """The API server's executor processes (SkyPilot titles them
    SkyPilot:executor:GROUP:...) in this PID namespace."""
    return [int(pid) for pid in os.listdir('/proc') if pid.isdigit()
            and _cmdline(pid).startswith(b'SkyPilot:executor:')]


def kill_the_executors():
    """SIGKILL to every executor process, as the OOM killer would send it:
    `killed` once they are gone (their pools find them dead at the next
    request), `none` if there were none."""
    victims = _executors()
    described = b''.join(b'%d %s\n' % (pid, _cmdline(pid)) for pid in victims)
    for pid in victims:
        os.kill(pid, 9)
    deadline = time.time() + 60
    while time.time() < deadline and any(pid in _executors() for pid in victims):
        time.sleep(0.1)
    return subprocess.CompletedProcess(
        'kill-executors', 0, b'killed\n' if victims else b'none\n', described)


def _skypilot_process(pid):
    """The API server or one of its titled processes (SkyPilot:worker:...)."""
    cmdline = _cmdline(pid)
    return cmdline.startswith(b'SkyPilot:') or b'sky.server.server' in cmdline


def executor_origins():
    """Where each running executor came from, one line per kind: `spawned`
    (its parent is the SkyPilot process whose pool it serves), `zygote` (its
    parent's parent is: the parent, a zygote, may have the server's command
    line, forked from it) or `other`."""
    origins = set()
    for pid in _executors():
        parent = _parent(pid)
        if _skypilot_process(_parent(parent)):
            origins.add(b'zygote')
        elif _skypilot_process(parent):
            origins.add(b'spawned')
        else:
            origins.add(b'other')
    return subprocess.CompletedProcess('executors', 0, b''.join(
        origin + b'\n' for origin in sorted(origins)), b'')


def main() -> int:
    cli, out, cluster, task = sys.argv[1:5]
    with_jobs = sys.argv[5:] == ['--jobs']
    out_dir = pathlib.Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    steps = [
        ('check', ['check', 'slurm']),
        ('launch', ['launch', '-y', '-c', cluster, '--infra', 'slurm', task]),
        ('logs', ['logs', cluster]),
        ('logs-tail', ['logs', '--tail', '2', cluster]),
        ('exec', ['exec', cluster, 'echo "exec: $(ls ~/many | wc -l) files in ~/many"']),
        ('queue', ['queue', cluster]),
        ('down', ['down', '-y', cluster]),
    ]
    if with_jobs:
        steps += [
            ('jobs-launch', ['jobs', 'launch', '-y', '--infra', 'slurm', '-n', 'managed',
                             'echo "managed job on $(hostname)"']),
            ('jobs-queue', ['jobs', 'queue']),
        ]
    steps.append(('api-stop', ['api', 'stop']))
    cwd = pathlib.Path(task).parent
    number = 0
    for name, args in steps:
        ran = cancel_a_running_request(cli, cluster, cwd) if name == 'down' else []
        if name == 'queue':
            ran.append(('kill-executors', kill_the_executors()))
        ran.append((name, run(cli, args, cwd)))
        if name == 'queue':
            ran.append(('executors', executor_origins()))
        for ran_name, done in ran:
            stem = out_dir / f'{number:02d}-{ran_name}'
            stem.with_suffix('.rc').write_text(str(done.returncode))
            stem.with_suffix('.out').write_bytes(done.stdout)
            stem.with_suffix('.err').write_bytes(done.stderr)
            print(f'{ran_name}: {done.returncode}', flush=True)
            number += 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
