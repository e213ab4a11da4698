"""sky mode: what SkyPilot's `sky` console script does (sky.cli:cli)."""
import os
import sys


def drop_program_directory():
    """Takes the binary's own directory off sys.path.

    CPython put it first (argv[0] is the binary's path, as a console script's
    is), but a single file sits in a download folder, so a yaml.py beside it
    must not be imported. sys.flags stay as under `sky` (safe_path would also
    hand -P to every multiprocessing child). Python mode keeps Python's rules.
    """
    if sys.path and sys.path[0] == os.path.dirname(os.path.realpath(sys.argv[0])):
        del sys.path[0]


def main():
    drop_program_directory()
    sys.argv[0] = 'sky'
    try:
        from sky.cli import cli
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
