"""One client session on the test cluster, run inside tests/slurm/client.sh:
the steps of the end-to-end tests through one CLI (SkyPilot's `sky` or
sky-native), each step's exit code, stdout and stderr saved as
OUT/NN-name.{rc,out,err}. The local API server is stopped at the end.

    session.py CLI OUT CLUSTER TASK_YAML [--jobs]

--jobs: a managed job too (`jobs launch`, `jobs queue`), once the cluster is
down (the node's CPUs are the cluster's until then).
"""
import pathlib
import subprocess
import sys


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
    for number, (name, args) in enumerate(steps):
        done = subprocess.run([cli, *args], stdin=subprocess.DEVNULL, capture_output=True,
                              cwd=pathlib.Path(task).parent, check=False)
        stem = out_dir / f'{number:02d}-{name}'
        stem.with_suffix('.rc').write_text(str(done.returncode))
        stem.with_suffix('.out').write_bytes(done.stdout)
        stem.with_suffix('.err').write_bytes(done.stderr)
        print(f'{name}: {done.returncode}', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
