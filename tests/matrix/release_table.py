"""The table of which implementation SkyPilot gets per release,
made from the functions' descriptions (modules/python/functions.py) and the
verified-code table (modules/python/verified_code.py), so it cannot say
anything the hook does not do.

    release_table.py            prints the table (Markdown)
    release_table.py --check    fails when docs/functions.md's table is not it
    release_table.py --write    puts it into docs/functions.md

A function is native in a release when the plain (not -O/-OO) code of the
function and of every helper it stands in for is in the table as 'native'
for that release; python, with the recorded reason, when one of them is
known and different; "not in SkyPilot" when the function's own code was
never seen in that release. Adjacent releases that come out the same share
a column. Run with any Python 3.
"""
import argparse
import importlib.util
import pathlib
import re
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]
DOCUMENT = REPO / 'docs' / 'functions.md'
BEGIN = '<!-- release table: tests/matrix/release_table.py -->'
END = '<!-- end of release table -->'
# A -O/-OO variant's reason names the plain code it was compiled from.
_VARIANT = re.compile(r'^[0-9a-f]{16} compiled with -O+$')


def _load(name):
    path = REPO / 'modules' / 'python' / f'{name}.py'
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _version_key(version):
    return [int(p) if p.isdigit() else 0 for p in version.replace('.post', '.').split('.')]


def _plain_entries(code, qualified, release):
    """(verdict, why) of the plain code of `qualified` seen in `release`."""
    return [(verdict, why) for verdict, releases, why in code.get(qualified, {}).values()
            if release in releases.split() and not _VARIANT.match(why)]


def cell(function, code, release):
    if not _plain_entries(code, function.qualified(), release):
        return 'not in SkyPilot'
    for qualified in function.code_names():
        entries = _plain_entries(code, qualified, release)
        if not entries:
            return f'python: no `{qualified.rsplit(".", 1)[1]}`'
        for verdict, why in entries:
            if verdict != 'native':
                return f'python: {why}'
    return 'native'


def render():
    """A table per Python version of the verified table; versions whose
    tables are the same share one."""
    functions = _load('functions')
    sections = _load('verified_code').CODE
    pythons = {}  # table -> the versions it is for
    for python, code in sorted(sections.items()):
        pythons.setdefault(render_section(functions, code), []).append(f'{python[0]}.{python[1]}')
    return '\n'.join(f'CPython {", ".join(versions)}:\n\n{table}'
                      for table, versions in pythons.items())


def render_section(functions, code):
    releases = sorted({r for entries in code.values() for _, seen, _ in entries.values()
                       for r in seen.split()}, key=_version_key)
    replaced = [f for f in functions.FUNCTIONS if f.module]
    columns = []  # [first release, last release, cells]
    for release in releases:
        cells = [cell(f, code, release) for f in replaced]
        if columns and columns[-1][2] == cells:
            columns[-1][1] = release
        else:
            columns.append([release, release, cells])
    heads = [first if first == last else f'{first} – {last}' for first, last, _ in columns]
    lines = ['| function | ' + ' | '.join(heads) + ' |',
             '|---|' + '---|' * len(columns)]
    for i, function in enumerate(replaced):
        lines.append(f'| `{function.name}` | ' +
                     ' | '.join(cells[i] for _, _, cells in columns) + ' |')
    return '\n'.join(lines) + '\n'


def _block(text):
    """(start, end) of the table between the markers."""
    start = text.find(BEGIN)
    end = text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f'{DOCUMENT}: no "{BEGIN}" ... "{END}" block')
    return start + len(BEGIN) + 1, end


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    action = parser.add_mutually_exclusive_group()
    action.add_argument('--check', action='store_true',
                        help="fail when docs/functions.md's table is not the generated one")
    action.add_argument('--write', action='store_true', help='put the table into docs/functions.md')
    args = parser.parse_args()
    table = render()
    text = DOCUMENT.read_text()
    start, end = _block(text)
    if args.write:
        DOCUMENT.write_text(text[:start] + table + text[end:])
    if not args.check:
        sys.stdout.write(table)
        return 0
    if text[start:end] != table:
        sys.stdout.write(f'{DOCUMENT}: the release table is stale; it should be:\n{table}')
        return 1
    print('docs/functions.md: release table up to date')
    return 0


if __name__ == '__main__':
    sys.exit(main())
