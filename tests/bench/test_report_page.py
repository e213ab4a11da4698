"""The benchmark report page, opened in a real headless Chromium: the table
has a row for every function, the chart is an inline SVG with one bar per
row, and the bars are drawn on screen. Builds the report from a quick run
(one repetition of everything; its figures mean nothing). `make
test-bench-report` runs it:
`build/sky-native -m pytest -q -p no:cacheprovider tests/bench/test_report_page.py`."""
import html.parser
import json
import os
import pathlib
import shutil
import struct
import subprocess
import sys
import zlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))
import report_html  # noqa: E402

FUNCTIONS = {
    'read_last_n_lines', 'hash_file', 'find_free_port', 'base36_encode', 'format_float',
    'truncate_long_string', 'get_cpu_count', 'get_mem_size_gb', 'get_parallel_threads',
    'get_max_workers_for_file_mounts', 'is_process_alive', 'estimate_fd_for_directory',
}


class _Page(html.parser.HTMLParser):
    """The function table's rows and the chart's bars, from the DOM."""

    def __init__(self):
        super().__init__()
        self.table_rows = []
        self.bars = []
        self.svg_count = 0
        self._stack = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self._stack.append((tag, attrs.get('id')))
        in_functions = any(t == 'table' and i == 'functions' for t, i in self._stack)
        if tag == 'svg' and attrs.get('id') == 'speedup-chart':
            self.svg_count += 1
        if tag == 'rect' and attrs.get('class') == 'bar' and any(
                i == 'speedup-chart' for _, i in self._stack):
            self.bars.append(attrs)
        if in_functions and tag == 'tr' and any(t == 'tbody' for t, _ in self._stack):
            self._row = []
        if self._row is not None and tag == 'td':
            self._cell = ''

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag == 'td' and self._row is not None and self._cell is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        if tag == 'tr' and self._row is not None:
            self.table_rows.append(self._row)
            self._row = None
        while self._stack:
            if self._stack.pop()[0] == tag:
                break


def _png_pixels(path):
    """(width, height, rows of RGB(A) bytes) of a non-interlaced 8-bit PNG."""
    data = pathlib.Path(path).read_bytes()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    at, idat, header = 8, b'', None
    while at < len(data):
        length, kind = struct.unpack('>I4s', data[at:at + 8])
        chunk = data[at + 8:at + 8 + length]
        if kind == b'IHDR':
            header = struct.unpack('>IIBBBBB', chunk)
        elif kind == b'IDAT':
            idat += chunk
        at += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), header
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up = previous[x]
            up_left = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - up_left
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - up_left)
                pred = left if pa <= pb and pa <= pc else (up if pb <= pc else up_left)
                line[x] = (line[x] + pred) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, channels, rows


@pytest.fixture(scope='module')
def report_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp('bench-report')
    build = REPO / 'build'
    venv = pathlib.Path(os.environ.get('VIRTUAL_ENV', REPO / '.venv'))
    subprocess.run([sys.executable, str(HERE / 'report.py'), '--quick', '--build', str(build),
                    '--venv', str(venv), '--out', str(out)], check=True)
    return out


@pytest.fixture(scope='module')
def chromium():
    path = shutil.which('chromium')
    if path is None:
        pytest.fail('no chromium: `make setup` installs Debian\'s package')
    return path


def _chromium(chromium, profile, *args):
    return subprocess.run(
        [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
         '--no-first-run', f'--user-data-dir={profile}', *args],
        capture_output=True, text=True, check=True, timeout=120).stdout


def test_report_json_has_every_function(report_dir):
    report = json.loads((report_dir / 'report.json').read_text())
    assert {row['function'] for row in report['rows']} == FUNCTIONS
    for row in report['rows']:
        assert row['python_s'] > 0 and row['native_s'] > 0 and row['floor_s'] > 0
        assert row['speedup'] == pytest.approx(row['python_s'] / row['native_s'])
        assert row['native_over_floor'] == pytest.approx(row['native_s'] / row['floor_s'])
    assert report['noop']['fastcall_noop_s'] > 0
    assert {c['command'] for c in report['commands']['rows']} == {'--help', 'status'}


def test_chromium_dom_has_table_and_chart(report_dir, chromium, tmp_path):
    dom = _chromium(chromium, tmp_path / 'profile', '--dump-dom',
                    (report_dir / 'report.html').as_uri())
    page = _Page()
    page.feed(dom)
    report = json.loads((report_dir / 'report.json').read_text())
    assert len(page.table_rows) == len(report['rows'])
    assert {row[0] for row in page.table_rows} == FUNCTIONS
    assert all(len(row) == 10 for row in page.table_rows)
    assert page.svg_count == 1
    assert len(page.bars) == len(report['rows'])
    assert {bar['data-function'] for bar in page.bars} == FUNCTIONS
    assert all(float(bar['width']) > 0 and float(bar['height']) > 0 for bar in page.bars)


def test_chromium_draws_the_bars(report_dir, chromium, tmp_path):
    shot = tmp_path / 'page.png'
    _chromium(chromium, tmp_path / 'profile', f'--screenshot={shot}', '--window-size=1100,800',
              '--hide-scrollbars', (report_dir / 'report.html').as_uri())
    width, _, channels, rows = _png_pixels(shot)
    colours = {bytes.fromhex(c[1:]) for c in (report_html.BAR_IN_CLAIM,
                                               report_html.BAR_BELOW_CLAIM,
                                               report_html.BAR_SLOWER)}
    painted_rows = [any(line[x * channels:x * channels + 3] in colours for x in range(width))
                    for line in rows]
    # The chart comes first on the page: one band of painted rows per bar
    # (bars are 16 px high with 6 px between them).
    bands = sum(1 for y, painted in enumerate(painted_rows)
                if painted and (y == 0 or not painted_rows[y - 1]))
    report = json.loads((report_dir / 'report.json').read_text())
    assert bands == len(report['rows'])
