"""Per-call cost of a bare METH_FASTCALL no-op (tests/bench/noop_module.cc)
and of a Python `def` no-op, timed with compare_python.py's own loop, so the
report can show each native function's cost above the least a call costs;
and of the bare making of read_last_n_lines' result for compare_python.py's
two tails (str_lines over the lines' bytes in memory: the str objects and
their list, which any version pays on top of its reads).
Run under sky-native with the module's directory:
`build/sky-native tests/bench/noop_call.py --module-dir build/tests/bench
[--repeat N] [--json FILE]`."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


# read_last_n_lines' inputs in compare_python.py: the last 10 and 1,000 lines.
RESULT_LINES = (10, 1000)


def _python_noop():
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--module-dir', required=True)
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--json')
    args = parser.parse_args()
    sys.path.insert(0, args.module_dir)
    import sky_native_bench_noop
    import compare_python
    figures = {
        'fastcall_noop_s': compare_python._per_call(sky_native_bench_noop.noop, (), args.repeat),
        'python_def_noop_s': compare_python._per_call(_python_noop, (), args.repeat),
    }
    for n in RESULT_LINES:
        tail = b''.join(compare_python.log_line(i) for i in
                        range(compare_python.LOG_LINES - n, compare_python.LOG_LINES))
        data = tail[:-1]  # the last line comes without its newline
        if sky_native_bench_noop.str_lines(data) != data.decode().splitlines(True):
            raise RuntimeError('str_lines does not make read_last_n_lines\' lines')
        figures[f'str_lines_{n}_s'] = compare_python._per_call(
            sky_native_bench_noop.str_lines, (data,), args.repeat)
    for name, seconds in figures.items():
        print(f'{name:20} {compare_python._format(seconds)}', flush=True)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'repeat': args.repeat, **figures}, f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
