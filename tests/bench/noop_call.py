"""Per-call cost of a bare METH_FASTCALL no-op (tests/bench/noop_module.cc)
and of a Python `def` no-op, timed with compare_python.py's own loop, so the
report can show each native function's cost above the least a call costs.
Run under sky-native with the module's directory:
`build/sky-native tests/bench/noop_call.py --module-dir build/tests/bench
[--repeat N] [--json FILE]`."""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _python_noop():
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--module-dir', required=True)
    parser.add_argument('--repeat', type=int, default=7)
    parser.add_argument('--json')
    args = parser.parse_args()
    sys.path.insert(0, args.module_dir)
    import sky_native_bench_noop  # pylint: disable=import-outside-toplevel
    import compare_python  # pylint: disable=import-outside-toplevel
    figures = {
        'fastcall_noop_s': compare_python._per_call(sky_native_bench_noop.noop, (), args.repeat),
        'python_def_noop_s': compare_python._per_call(_python_noop, (), args.repeat),
    }
    for name, seconds in figures.items():
        print(f'{name:20} {compare_python._format(seconds)}', flush=True)
    if args.json:
        with open(args.json, 'w', encoding='utf-8') as f:
            json.dump({'repeat': args.repeat, **figures}, f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
