"""A stacked horizontal bar chart as inline SVG markup, drawn on the server side and byte-for-byte stable.

The chart has no script, no external font and no image: only ``rect`` and ``text`` elements with integer
coordinates, so a strict Content-Security-Policy page shows it and its colours are painted exactly.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

__all__ = ["BAR_AREA", "BAR_HEIGHT", "SWATCH", "Series", "stacked_bars"]

LABEL_WIDTH = 190
"""Room left of the bars for the row labels."""
BAR_AREA = 480
"""Width of the longest bar."""
BAR_HEIGHT = 20
ROW_HEIGHT = 28
SWATCH = 14
"""Side of a legend's colour square."""
_CHAR_WIDTH = 7
"""A generous average glyph width at 12px, to space the legend without measuring text."""
_TOP = 40
_WIDTH = LABEL_WIDTH + BAR_AREA + 60
_MAX_LABEL = 26
_MIN_INNER_LABEL = 22


@dataclass(frozen=True)
class Series:
    """One stacked part of every bar (a tier): its key in the row counts, its fill and its text colour."""

    key: str
    fill: str
    """A ``#rrggbb`` colour, used for nothing else on the page, so a screenshot can find it."""
    ink: str
    """The colour of a count written inside a part of this series."""


def stacked_bars(
    title: str, rows: Sequence[tuple[str, Mapping[str, int]]], series: Sequence[Series], unit: str
) -> str:
    """SVG markup for one bar per row (label, counts by series key), parts in ``series`` order.

    Every label is HTML-escaped here; callers pass plain text.

    >>> svg = stacked_bars("T", [("a", {"x": 2, "y": 1})], [Series("x", "#000000", "#fff"),
    ...     Series("y", "#111111", "#fff")], "entries")
    >>> svg.count('class="seg"'), 'width="320"' in svg, 'x="510" y="40" width="160"' in svg
    (2, True, True)
    """
    totals = [sum(counts.get(s.key, 0) for s in series) for _, counts in rows]
    height = _TOP + ROW_HEIGHT * max(len(rows), 1) + 8
    desc = "; ".join(
        f"{label}: total {total}, {_parts(counts, series)}"
        for (label, counts), total in zip(rows, totals, strict=True)
    )
    legend, x = ['<g class="legend">'], LABEL_WIDTH
    for s in series:
        key = f"{s.key} ({sum(counts.get(s.key, 0) for _, counts in rows)})"
        legend.append(
            f'<rect x="{x}" y="6" width="{SWATCH}" height="{SWATCH}" fill="{_e(s.fill)}"/>'
            f'<text x="{x + SWATCH + 6}" y="18">{_e(key)}</text>'
        )
        x += SWATCH + 6 + _CHAR_WIDTH * len(key) + 18
    width = max(_WIDTH, x)
    out = [
        f'<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" shape-rendering="crispEdges">',
        f'<title id="chart-title">{_e(title)}</title>',
        f'<desc id="chart-desc">{_e(desc or "no " + unit)}</desc>',
        *legend,
        "</g>",
    ]
    if not rows:
        out.append(f'<text x="{LABEL_WIDTH}" y="{_TOP + 16}">No {_e(unit)} to chart.</text>')
    peak = max(totals, default=1) or 1
    for i, ((label, counts), total) in enumerate(zip(rows, totals, strict=True)):
        y = _TOP + i * ROW_HEIGHT
        shown = label if len(label) <= _MAX_LABEL else label[: _MAX_LABEL - 1] + "\u2026"
        out += [
            '<g class="bar">',
            f"<title>{_e(label)}: total {total}, {_e(_parts(counts, series))}</title>",
            f'<text class="label" x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{_e(shown)}</text>',
        ]
        done = 0
        for s in series:
            n = counts.get(s.key, 0)
            if n <= 0:
                continue
            left = LABEL_WIDTH + round(done * BAR_AREA / peak)
            done += n
            width = LABEL_WIDTH + round(done * BAR_AREA / peak) - left
            out.append(
                f'<rect class="seg" x="{left}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="{_e(s.fill)}"/>'
            )
            if width >= _MIN_INNER_LABEL:
                out.append(
                    f'<text x="{left + width // 2}" y="{y + 15}" text-anchor="middle" '
                    f'fill="{_e(s.ink)}">{n}</text>'
                )
        end = LABEL_WIDTH + round(done * BAR_AREA / peak)
        out += [f'<text class="total" x="{end + 6}" y="{y + 15}">{total}</text>', "</g>"]
    out.append("</svg>")
    return "\n".join(out)


def _parts(counts: Mapping[str, int], series: Sequence[Series]) -> str:
    return ", ".join(f"{s.key} {counts[s.key]}" for s in series if counts.get(s.key, 0) > 0)


def _e(text: str) -> str:
    return html.escape(text, quote=True)
