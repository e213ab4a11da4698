"""Start-up cost of `sky-native --help` with the native functions on and off
(and of SkyPilot's own `sky --help` for reference): medians of N interleaved
runs and the on/off ratio. Run with any Python:
`python3 tests/bench/startup.py build/sky-native .venv/bin/sky [--runs N]`."""
import argparse
import os

from timing import interleaved_medians


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('sky_native')
    parser.add_argument('sky')
    parser.add_argument('--runs', type=int, default=11)
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items()
            if k not in ('SKYPILOT_USE_NATIVE', 'SKYPILOT_USE_RUST')}
    variants = {
        'sky-native --help (native on)': ([args.sky_native, '--help'], base),
        'sky-native --help (native off)': ([args.sky_native, '--help'],
                                           {**base, 'SKYPILOT_USE_NATIVE': '0'}),
        'sky --help': ([args.sky, '--help'], base),
    }
    medians = interleaved_medians(variants, args.runs)
    for name, median in medians.items():
        print(f'{name:32} median {median * 1000:8.1f} ms over {args.runs} runs')
    on = medians['sky-native --help (native on)']
    off = medians['sky-native --help (native off)']
    print(f'on/off ratio: {on / off:.3f} (1.0 or below: the replacements cost nothing '
          'measurable)')
    print(f'sky-native (on) / sky: {on / medians["sky --help"]:.3f}')


if __name__ == '__main__':
    main()
