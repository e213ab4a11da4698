"""The benchmark report as one static HTML page: the table of every function
and input, a bar chart of the speedups against the claimed range as an inline
SVG (no network, no scripts), the whole-command figures and the floor
details. Used by report.py; `render(report) -> str`."""
import html
import math

# Bar colours, also what tests/bench/test_report_page.py looks for in the
# screenshot (crisp edges keep them exact).
BAR_IN_CLAIM = '#1f77b4'
BAR_BELOW_CLAIM = '#ff7f0e'
BAR_SLOWER = '#d62728'

_CHART_MIN, _CHART_MAX = 0.5, 1000.0  # the log-scale axis, in x


def format_seconds(seconds):
    if seconds is None:
        return '-'
    for unit, scale in (('s', 1), ('ms', 1e-3), ('µs', 1e-6)):
        if seconds >= scale:
            return f'{seconds / scale:.2f} {unit}'
    return f'{seconds / 1e-9:.0f} ns'


def _ratio(value, digits=2):
    return '-' if value is None else f'{value:.{digits}f}×'


def _percent(value):
    return '-' if value is None else f'{value * 100:.0f}%'


def bar_colour(speedup, claim_low):
    if speedup < 1:
        return BAR_SLOWER
    return BAR_IN_CLAIM if speedup >= claim_low else BAR_BELOW_CLAIM


def _chart(rows, claim):
    label_width, plot_width, row_height, top = 370, 520, 22, 30
    height = top + row_height * len(rows) + 58
    width = label_width + plot_width + 70

    def x_of(value):
        value = min(max(value, _CHART_MIN), _CHART_MAX)
        span = math.log10(_CHART_MAX) - math.log10(_CHART_MIN)
        return label_width + round(plot_width * (math.log10(value) - math.log10(_CHART_MIN)) /
                                   span)

    parts = [f'<svg id="speedup-chart" xmlns="http://www.w3.org/2000/svg" width="{width}" '
             f'height="{height}" viewBox="0 0 {width} {height}" shape-rendering="crispEdges" '
             'font-family="sans-serif" font-size="12" role="img" '
             'aria-label="speedup of each function against the claimed range">']
    low, high = x_of(claim['low']), x_of(claim['high'])
    parts.append(f'<rect class="claim-band" x="{low}" y="{top - 6}" width="{high - low}" '
                 f'height="{row_height * len(rows) + 6}" fill="#e8f0e0"/>')
    parts.append(f'<text x="{(low + high) // 2}" y="{top - 12}" text-anchor="middle">claimed '
                 f'{claim["low"]:g}–{claim["high"]:g}× (range, no per-function figure)</text>')
    for tick in (0.5, 1, 2, 5, 10, 25, 100, 1000):
        x = x_of(tick)
        parts.append(f'<line x1="{x}" y1="{top - 6}" x2="{x}" '
                     f'y2="{top + row_height * len(rows)}" stroke="#bbb"/>')
        parts.append(f'<text x="{x}" y="{top + row_height * len(rows) + 16}" '
                     f'text-anchor="middle">{tick:g}×</text>')
    parts.append(f'<text x="{label_width + plot_width // 2}" '
                 f'y="{top + row_height * len(rows) + 34}" text-anchor="middle">speedup = '
                 'Python / native (log scale)</text>')
    parts.append(f'<text x="{label_width + plot_width // 2}" '
                 f'y="{top + row_height * len(rows) + 52}" text-anchor="middle">blue: within '
                 'the claim · orange: faster, below it · red: slower · black mark: the '
                 'ceiling, Python / floor</text>')
    one = x_of(1)
    # The 1x line first: bars of about 1x are drawn over it.
    parts.append(f'<line x1="{one}" y1="{top - 6}" x2="{one}" '
                 f'y2="{top + row_height * len(rows)}" stroke="#000"/>')
    for index, row in enumerate(rows):
        y = top + index * row_height
        speedup = row['speedup']
        end = x_of(speedup)
        left, bar_width = min(one, end), max(abs(end - one), 4)
        label = html.escape(f'{row["function"]} ({row["input"]})')
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end">{label}</text>')
        # The ceiling's mark first, so the bar is drawn over it.
        ceiling = x_of(row['ceiling'])
        parts.append(f'<rect class="ceiling" x="{ceiling - 1}" y="{y + 1}" width="3" '
                     f'height="{row_height - 2}" fill="#000"><title>{label}: ceiling '
                     f'(Python / floor) {row["ceiling"]:.1f}×</title></rect>')
        parts.append(f'<rect class="bar" data-function="{html.escape(row["function"])}" '
                     f'x="{left}" y="{y + 3}" width="{bar_width}" height="{row_height - 6}" '
                     f'fill="{bar_colour(speedup, claim["low"])}"><title>{label}: '
                     f'{speedup:.2f}×</title></rect>')
        parts.append(f'<text x="{max(one, end) + 4}" y="{y + 15}">{speedup:.2f}×</text>')
    parts.append('</svg>')
    return '\n'.join(parts)


def _table(headers, rows, table_id):
    head = ''.join(f'<th>{html.escape(h)}</th>' for h in headers)
    body = '\n'.join('<tr>' + ''.join(f'<td>{html.escape(str(c))}</td>' for c in row) + '</tr>'
                     for row in rows)
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>\n{body}\n</tbody></table>'


def render(report):
    claim = report['claim']
    rows = report['rows']
    noop = report['noop']
    function_rows = [
        [r['function'], r['input'], format_seconds(r['python_s']), format_seconds(r['native_s']),
         format_seconds(r['floor_s']), _ratio(r['speedup']), _percent(r['native_over_floor']),
         r['claimed'], _ratio(r['ceiling'], 1),
         format_seconds(r['native_s'] - noop['fastcall_noop_s'])]
        for r in rows]
    command_rows = []
    for c in report['commands']['rows']:
        command_rows.append([c['command'], format_seconds(c['sky']['wall_s']),
                             format_seconds(c['sky-native']['wall_s']), _ratio(c['speedup']),
                             f'{c["sky"]["peak_rss_mib"]:.1f} MiB',
                             f'{c["sky-native"]["peak_rss_mib"]:.1f} MiB'])
    detail_rows = [[d['name'], format_seconds(d['seconds']), d['note']]
                   for d in report['floor_details']]
    meta = report['meta']
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>sky-native benchmark report</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; white-space: nowrap; }}
th {{ background: #f2f2f2; }}
td:nth-child(1), td:nth-child(2), th:nth-child(1), th:nth-child(2) {{ text-align: left; }}
td:nth-child(1) {{ font-family: monospace; }}
.note {{ color: #555; max-width: 60em; }}
</style></head><body>
<h1>sky-native benchmark report</h1>
<p class="note">{html.escape(meta['date'])} · <code>{html.escape(meta['command'])}</code> ·
{html.escape(meta['machine'])} · load average {meta['load_average_before']:.1f} before,
{meta['load_average_after']:.1f} after</p>
<h2>Speedups against the claims</h2>
{_chart(rows, claim)}
<h2>Per call: native against SkyPilot's Python, and the floor</h2>
<p class="note">Python and native: per-call times in one sky-native process
(tests/bench/compare_python.py). Floor: the least work the result needs, plain C++ with no
Python (tests/bench/floor_bench.cc), on the same inputs. Medians over {meta['rounds']}
rounds, each round running the floor, native and Python and the no-op in turn.
Speedup = Python / native;
% of floor = native / floor (the goal is at most 125%). Bare METH_FASTCALL no-op called
from Python with the same loop: {format_seconds(noop['fastcall_noop_s'])}
(a Python <code>def</code> no-op: {format_seconds(noop['python_def_noop_s'])}); the last column
is native minus that no-op (the goal for the cheapest functions: at most ~60 ns).
Ceiling = Python / floor, the most any native version could reach on this machine (the black
mark in the chart): where it is below the claim, the claim is beyond what the machine allows.
Claimed: {html.escape(claim['source'])}.</p>
{_table(['function', 'input', 'Python', 'native', 'floor', 'speedup', '% of floor', 'claimed',
         'ceiling', 'native − no-op'], function_rows, 'functions')}
<h2>Whole commands</h2>
<p class="note">tests/bench/commands.py: medians of {report['commands']['runs']} interleaved
runs, a local API server running, wall time and the peak RSS of the process.</p>
{_table(['command', 'sky', 'sky-native', 'sky / sky-native', 'sky peak RSS',
         'sky-native peak RSS'], command_rows, 'commands')}
<h2>Floor details</h2>
{_table(['benchmark', 'median', 'what it shows'], detail_rows, 'floor-details')}
</body></html>
"""
