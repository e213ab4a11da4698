"""sky mode: what SkyPilot's `sky` console script does (sky.cli:cli)."""
import sys


def main():
    sys.argv[0] = 'sky'
    try:
        from sky.cli import cli  # pylint: disable=import-outside-toplevel
    except ModuleNotFoundError as e:
        if e.name != 'sky':
            raise
        sys.stderr.write(
            f'sky-native: SkyPilot is not installed for the Python at '
            f'{sys.prefix} (searched: {":".join(p for p in sys.path if p)}); '
            f'install it there with `pip install skypilot`, or activate a '
            f'virtual environment that has it.\n')
        sys.exit(1)
    sys.exit(cli())
