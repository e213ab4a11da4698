"""`make bench`'s report: runs the floor benchmarks, native against
SkyPilot's Python, the METH_FASTCALL no-op and the whole commands, printing
progress as it goes, then writes OUT/report.json and OUT/report.html (one
table, a bar chart of the speedups against the claims, the whole-command
figures) and the table as Markdown in OUT/report.md (for docs/benchmarks.md), and
prints the table. Run with any Python 3:
`python3 tests/bench/report.py --build build --venv .venv [--quick] [--out DIR]`.

Python, native, the floor and the no-op are measured in rounds (7; each
round runs all four), so the load of a busy machine falls on them alike; the
figures are the medians over the rounds. --quick: one round, one run of each
command (for the page's test, not for figures).
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import report_html  # noqa: E402

# The v1.0 release notes claim 2-25x in all; nothing documents a figure per
# function (sky-native's docs, SkyPilot's docs).
CLAIM = {
    'low': 2.0,
    'high': 25.0,
    'text': '2–25× (range only)',
    'source': ('the v1.0 release notes claim "2-25x" for the functions as a whole; no '
               "per-function figure is documented (sky-native's docs, SkyPilot's docs), "
               'so every row shows that range'),
}

# (function, input of compare_python.py's case) -> its floor benchmark.
FLOORS = {
    ('read_last_n_lines', '10 of 200,000 lines'): 'floor_read_last_n_lines/10',
    ('read_last_n_lines', '1,000 of 200,000 lines'): 'floor_read_last_n_lines/1000',
    ('hash_file', 'sha256, 64 MiB'): 'floor_hash_file',
    ('find_free_port', '20001 (free)'): 'floor_find_free_port/20001',
    ('base36_encode', 'md5 hex'): 'floor_base36_encode',
    ('format_float', '2.25'): 'floor_format_float_fraction',
    ('format_float', '7 (int)'): 'floor_format_float_int',
    ('truncate_long_string', '47 chars to 25'): 'floor_truncate_long_string_end',
    ('truncate_long_string', '29 chars to 15, middle'): 'floor_truncate_long_string_middle',
    ('get_cpu_count', 'host'): 'floor_get_cpu_count',
    ('get_mem_size_gb', 'host'): 'floor_get_mem_size_gb',
    ('get_parallel_threads', 'kubernetes'): 'floor_get_parallel_threads',
    ('get_max_workers_for_file_mounts', '4 dirs, 500 entries'):
        'floor_get_max_workers_for_file_mounts',
    ('is_process_alive', 'own pid'): 'floor_is_process_alive',
    ('estimate_fd_for_directory', '6 entries'): 'floor_estimate_fd_for_directory',
}

# Reference benchmarks shown under the table.
FLOOR_DETAILS = {
    'floor_mem_total_sysinfo': 'sysinfo() alone: the total RAM (equal to MemTotal here: {equal})',
    'floor_mem_total_meminfo': "reading and parsing /proc/meminfo's MemTotal (psutil's source)",
    'floor_online_sysconf': "glibc's sysconf(_SC_NPROCESSORS_ONLN): what os.cpu_count() pays",
    'floor_online_cached_fd': 'one pread of a kept-open /sys/devices/system/cpu/online',
    'floor_kill_only': 'kill(pid, 0) alone, without the zombie check',
    'floor_read_last_n_lines_skypilot_reads/10':
        "read_last_n_lines, 10 lines: SkyPilot's system calls (stat, open, fstat, 3 lseeks, "
        'whole 8 KiB chunks, close) and the newline search, no Python',
    'floor_read_last_n_lines_skypilot_reads/1000':
        "read_last_n_lines, 1,000 lines: SkyPilot's system calls and the newline search, "
        'no Python',
    'floor_statfs/proc_meminfo': 'statfs() of /proc/meminfo (proves sysinfo() exact)',
    'floor_statfs/sys_cpu_online':
        'statfs() of /sys/devices/system/cpu/online (proves the affinity count exact)',
}

# Figures of noop_call.py shown with the floor details.
NOOP_DETAILS = {
    'str_lines_10_s': "read_last_n_lines' result alone, 10 lines: the str objects and their "
                      'list made from bytes in memory (noop_module.cc str_lines)',
    'str_lines_1000_s': "read_last_n_lines' result alone, 1,000 lines: the str objects and "
                        'their list made from bytes in memory',
}


def _step(number, total, text):
    print(f'\n[{number}/{total}] {text}', flush=True)


def _run(command, **kwargs):
    print('$ ' + ' '.join(shlex.quote(c) for c in command), flush=True)
    subprocess.run(command, check=True, **kwargs)


def floor_medians(path):
    """Benchmark name -> (median real seconds, counters) from Google
    Benchmark's JSON, with or without repetitions."""
    with open(path, encoding='utf-8') as f:
        data = json.load(f)
    scale = {'ns': 1e-9, 'us': 1e-6, 'ms': 1e-3, 's': 1.0}
    runs = {}
    for entry in data['benchmarks']:
        if entry.get('run_type') == 'aggregate' and entry.get('aggregate_name') != 'median':
            continue
        name = entry.get('run_name', entry['name'])
        runs.setdefault(name, {'times': [], 'median': None, 'counters': {}})
        seconds = entry['real_time'] * scale[entry['time_unit']]
        if entry.get('run_type') == 'aggregate':
            runs[name]['median'] = seconds
        else:
            runs[name]['times'].append(seconds)
        for key in ('input_bytes', 'lines', 'entries', 'read_bytes', 'cpus',
                    'sysinfo_equals_meminfo', 'sysconf_agrees'):
            if key in entry:
                runs[name]['counters'][key] = entry[key]
        if 'error_message' in entry:
            raise RuntimeError(f'floor benchmark {name}: {entry["error_message"]}')
    return {name: (run['median'] if run['median'] is not None else
                   statistics.median(run['times']), run['counters'])
            for name, run in runs.items()}


def merge_rounds(compares, floors, noops):
    """One compare, floor and no-op result from several rounds: the median of
    each figure over the rounds (inputs must be the same in every round)."""
    rows = []
    for index, first in enumerate(compares[0]['rows']):
        same = [c['rows'][index] for c in compares]
        if any((r['function'], r['input'], r['facts']) !=
               (first['function'], first['input'], first['facts']) for r in same):
            raise RuntimeError(f'round inputs differ for {first["function"]}')
        rows.append({**first, 'python_s': statistics.median(r['python_s'] for r in same),
                     'native_s': statistics.median(r['native_s'] for r in same)})
    floor = {name: (statistics.median(f[name][0] for f in floors), counters)
             for name, (_, counters) in floors[0].items()}
    noop = {key: statistics.median(n[key] for n in noops) for key in noops[0] if key != 'repeat'}
    return {'rows': rows}, floor, noop


def combine(compare, floors, noop, commands, meta):
    rows = []
    for case in compare['rows']:
        key = (case['function'], case['input'])
        if key not in FLOORS:
            raise RuntimeError(f'no floor benchmark for {key}: add one to floor_bench.cc')
        floor_s, counters = floors[FLOORS[key]]
        for fact, value in case['facts'].items():
            if counters.get(fact) != value:
                raise RuntimeError(f'{key}: input differs from its floor ({fact}: '
                                   f'{value} against {counters.get(fact)})')
        rows.append({
            'function': case['function'], 'input': case['input'],
            'python_s': case['python_s'], 'native_s': case['native_s'], 'floor_s': floor_s,
            'speedup': case['python_s'] / case['native_s'],
            'native_over_floor': case['native_s'] / floor_s,
            # The most any native version could reach: SkyPilot's Python
            # against the floor. Below the claim, the claim is beyond the
            # machine for this input.
            'ceiling': case['python_s'] / floor_s,
            'claimed': CLAIM['text'], 'facts': case['facts'],
        })
    missing = {f for f, _ in FLOORS} - {r['function'] for r in rows}
    if missing:
        raise RuntimeError(f'no measurement of {sorted(missing)}')
    equal = floors['floor_get_mem_size_gb'][1].get('sysinfo_equals_meminfo') == 1
    details = [{'name': name, 'seconds': floors[name][0],
                'note': note.format(equal='yes' if equal else 'NO')}
               for name, note in FLOOR_DETAILS.items()]
    details += [{'name': f'noop_call.py {key}', 'seconds': noop[key], 'note': note}
                for key, note in NOOP_DETAILS.items()]
    return {'meta': meta, 'claim': CLAIM, 'noop': noop, 'rows': rows, 'commands': commands,
            'floor_details': details,
            'geometric_mean_speedup': statistics.geometric_mean(r['speedup'] for r in rows)}


def add_wheel(report, wheel, python):
    """The same calls under a plain python with the wheel: its native time
    beside the launcher's (same rows, same inputs)."""
    version = subprocess.run([python, '-c', 'import sys; print(sys.version.split()[0])'],
                             capture_output=True, text=True, check=True).stdout.strip()
    report['wheel'] = {'python': python, 'version': version}
    for row, case in zip(report['rows'], wheel['rows'], strict=True):
        if (row['function'], row['input']) != (case['function'], case['input']):
            raise RuntimeError(f'wheel rows differ at {row["function"]}')
        row['wheel_python_s'] = case['python_s']
        row['wheel_native_s'] = case['native_s']


def _wheel_cells(report, row):
    """(wheel's native, its time over the launcher's), or blanks."""
    if 'wheel' not in report:
        return '', ''
    fmt = report_html.format_seconds
    return fmt(row['wheel_native_s']), f'{row["wheel_native_s"] / row["native_s"]:.2f}'


def text_table(report):
    fmt = report_html.format_seconds
    noop = report['noop']['fastcall_noop_s']
    lines = [f'{"function":32} {"input":24} {"Python":>10} {"native":>10} {"floor":>10} '
             f'{"speedup":>8} {"%floor":>7} {"ceiling":>8} {"-no-op":>9} {"wheel":>10} '
             f'{"/native":>7}']
    for r in report['rows']:
        wheel, ratio = _wheel_cells(report, r)
        lines.append(f'{r["function"]:32} {r["input"]:24} {fmt(r["python_s"]):>10} '
                     f'{fmt(r["native_s"]):>10} {fmt(r["floor_s"]):>10} '
                     f'{r["speedup"]:7.2f}x {r["native_over_floor"] * 100:6.0f}% '
                     f'{r["ceiling"]:7.1f}x '
                     f'{fmt(r["native_s"] - noop):>9} {wheel:>10} {ratio:>7}')
    if 'wheel' in report:
        lines.append(f'wheel: native under plain python {report["wheel"]["version"]} with the '
                     f'wheel ({report["wheel"]["python"]}); /native: its time over the launcher\'s')
    lines.append(f'geometric mean speedup {report["geometric_mean_speedup"]:.2f}x; '
                 f'METH_FASTCALL no-op {fmt(noop)}, Python def no-op '
                 f'{fmt(report["noop"]["python_def_noop_s"])}; claimed {CLAIM["text"]}')
    for c in report['commands']['rows']:
        lines.append(f'{c["command"]:8} sky {fmt(c["sky"]["wall_s"])} '
                     f'{c["sky"]["peak_rss_mib"]:.1f} MiB, sky-native '
                     f'{fmt(c["sky-native"]["wall_s"])} {c["sky-native"]["peak_rss_mib"]:.1f} MiB, '
                     f'sky/sky-native {c["speedup"]:.2f}x')
    for d in report['floor_details']:
        lines.append(f'{fmt(d["seconds"]):>10}  {d["name"]}: {d["note"]}')
    return '\n'.join(lines)


def markdown_table(report):
    """The table as Markdown, for docs/benchmarks.md."""
    fmt = report_html.format_seconds
    noop = report['noop']['fastcall_noop_s']
    wheel = report.get('wheel')
    wheel_heads = (f' native, python {wheel["version"]} + wheel | wheel / launcher |'
                   if wheel else '')
    lines = ['| function | input | Python | native | floor | speedup | % of floor | claimed | '
             'ceiling | native − no-op |' + wheel_heads,
             '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|' + ('--:|--:|' if wheel else '')]
    for r in report['rows']:
        cells = ' {} | {} |'.format(*_wheel_cells(report, r)) if wheel else ''
        lines.append(f'| `{r["function"]}` | {r["input"]} | {fmt(r["python_s"])} | '
                     f'{fmt(r["native_s"])} | {fmt(r["floor_s"])} | {r["speedup"]:.2f}× | '
                     f'{r["native_over_floor"] * 100:.0f}% | {r["claimed"]} | '
                     f'{r["ceiling"]:.1f}× | '
                     f'{fmt(r["native_s"] - noop)} |' + cells)
    lines.append('')
    lines.append('| command | sky | sky-native | sky / sky-native | peak RSS sky | '
                 'peak RSS sky-native |')
    lines.append('|---|--:|--:|--:|--:|--:|')
    for c in report['commands']['rows']:
        lines.append(f'| `{c["command"]}` | {fmt(c["sky"]["wall_s"])} | '
                     f'{fmt(c["sky-native"]["wall_s"])} | {c["speedup"]:.2f}× | '
                     f'{c["sky"]["peak_rss_mib"]:.1f} MiB | '
                     f'{c["sky-native"]["peak_rss_mib"]:.1f} MiB |')
    lines.append('')
    lines.append('| benchmark | median | what it shows |')
    lines.append('|---|--:|---|')
    for d in report['floor_details']:
        lines.append(f'| `{d["name"]}` | {fmt(d["seconds"])} | {d["note"]} |')
    return '\n'.join(lines) + '\n'


def _machine():
    model = ''
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as f:
            model = next((line.split(':', 1)[1].strip() for line in f
                          if line.startswith('model name')), '')
    except OSError:
        pass
    return f'{model}, {os.cpu_count()} CPUs, Linux {platform.release()}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--build', default='build')
    parser.add_argument('--venv', default='.venv')
    parser.add_argument('--out', help='default: BUILD/bench')
    parser.add_argument('--quick', action='store_true')
    parser.add_argument('--wheel-python', help="a plain python with the pinned SkyPilot and "
                        "the wheel (build/wheel-venvs/cp312): the per-call figures under it too")
    args = parser.parse_args()
    build, venv = os.path.abspath(args.build), os.path.abspath(args.venv)
    out = os.path.abspath(args.out or os.path.join(build, 'bench'))
    os.makedirs(out, exist_ok=True)
    sky_native, sky = os.path.join(build, 'sky-native'), os.path.join(venv, 'bin', 'sky')
    env = {**os.environ, 'VIRTUAL_ENV': venv,
           'PATH': os.path.join(venv, 'bin') + os.pathsep + os.environ.get('PATH', '')}
    # Rounds interleave the floor with native and Python (and the no-op), so
    # a busy machine's load falls on all of them alike; medians over rounds.
    rounds, runs = (1, 1) if args.quick else (7, 9)
    floor_time = '0.01' if args.quick else '0.2'
    floor_bench = os.path.join(build, 'tests', 'bench', 'sky_native_floor_bench')
    wheel_env = {k: v for k, v in os.environ.items() if k != 'VIRTUAL_ENV'}

    load_before = os.getloadavg()
    for number in range(rounds):
        _step(number + 1, rounds + 1, f'round {number + 1} of {rounds}: floor, native against '
              "SkyPilot's Python, the METH_FASTCALL no-op")
        _run([floor_bench, f'--benchmark_min_time={floor_time}',
              f'--benchmark_out={out}/floor-{number}.json', '--benchmark_out_format=json'])
        _run([sky_native, os.path.join(HERE, 'compare_python.py'), '--repeat', '1',
              '--json', f'{out}/compare-{number}.json'], env=env)
        if args.wheel_python:
            _run([args.wheel_python, os.path.join(HERE, 'compare_python.py'), '--repeat', '1',
                  '--json', f'{out}/compare-wheel-{number}.json'], env=wheel_env)
        _run([sky_native, os.path.join(HERE, 'noop_call.py'), '--module-dir',
              os.path.join(build, 'tests', 'bench'), '--repeat', '1',
              '--json', f'{out}/noop-{number}.json'], env=env)
    _step(rounds + 1, rounds + 1, 'whole commands: --help and status against sky '
          '(tests/bench/commands.py)')
    _run([sys.executable, os.path.join(HERE, 'commands.py'), sky_native, sky, '--runs',
          str(runs), '--json', f'{out}/commands.json'], env=env)

    def load(name):
        with open(os.path.join(out, name), encoding='utf-8') as f:
            return json.load(f)

    meta = {
        'date': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC'),
        'command': 'make bench' if not args.quick else 'tests/bench/report.py --quick',
        'machine': _machine(), 'quick': args.quick, 'rounds': rounds, 'command_runs': runs,
        # The figures are wall times: on a busy machine they carry its load.
        'load_average_before': load_before[0], 'load_average_after': os.getloadavg()[0],
    }
    compare, floors, noop = merge_rounds(
        [load(f'compare-{n}.json') for n in range(rounds)],
        [floor_medians(f'{out}/floor-{n}.json') for n in range(rounds)],
        [load(f'noop-{n}.json') for n in range(rounds)])
    report = combine(compare, floors, noop, load('commands.json'), meta)
    if args.wheel_python:
        wheel, _, _ = merge_rounds([load(f'compare-wheel-{n}.json') for n in range(rounds)],
                                   [floor_medians(f'{out}/floor-{n}.json') for n in range(rounds)],
                                   [load(f'noop-{n}.json') for n in range(rounds)])
        add_wheel(report, wheel, args.wheel_python)
    with open(f'{out}/report.json', 'w', encoding='utf-8') as f:
        json.dump(report, f, indent=1)
    with open(f'{out}/report.html', 'w', encoding='utf-8') as f:
        f.write(report_html.render(report))
    with open(f'{out}/report.md', 'w', encoding='utf-8') as f:
        f.write(markdown_table(report))
    print('\n' + text_table(report))
    print(f'\nwrote {out}/report.json, {out}/report.html and {out}/report.md', flush=True)


if __name__ == '__main__':
    main()
