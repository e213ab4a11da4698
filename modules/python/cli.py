"""sky mode: what SkyPilot's `sky` console script does (sky.cli:cli); and
what awscli's `aws` script does, for a program named `aws`."""
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


def _not_installed(what, package):
    sys.stderr.write(
        f'sky-native: {what} is not installed for the Python at '
        f'{sys.prefix} (searched: {":".join(p for p in sys.path if p)}); '
        f'install it there with `pip install {package}`, or activate a '
        f'virtual environment that has it.\n')
    sys.exit(1)


def main():
    drop_program_directory()
    sys.argv[0] = 'sky'
    try:
        from sky.cli import cli
    except ModuleNotFoundError as e:
        if e.name != 'sky':
            raise
        _not_installed('SkyPilot', 'skypilot')
    sys.exit(cli())


def aws_main():
    """awscli's `aws` script (its prog name is always `aws`)."""
    drop_program_directory()
    if os.environ.get('LC_CTYPE', '') == 'UTF-8':
        os.environ['LC_CTYPE'] = 'en_US.UTF-8'
    try:
        import awscli.clidriver
    except ModuleNotFoundError as e:
        if e.name != 'awscli':
            raise
        _not_installed('The AWS CLI', 'awscli')
    sys.exit(awscli.clidriver.main())
