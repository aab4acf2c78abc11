"""The inline SVG stacked bar chart: geometry, escaping, empty charts."""

from __future__ import annotations

import re

from egressmap.exporters.svgchart import BAR_AREA, Series, stacked_bars

SERIES = (
    Series("a", "#111111", "#ffffff"),
    Series("b", "#222222", "#000000"),
    Series("c", "#333333", "#000000"),
)


def _widths(svg: str) -> list[list[int]]:
    """Segment widths per bar."""
    return [
        [int(w) for w in re.findall(r'class="seg" x="\d+" y="\d+" width="(\d+)"', bar)]
        for bar in svg.split('<g class="bar">')[1:]
    ]


def test_parts_add_up_to_the_bar_exactly() -> None:
    """Rounded parts never leave a gap or overlap: each bar's parts sum to its own rounded length."""
    svg = stacked_bars(
        "t", [("x", {"a": 1, "b": 1, "c": 1}), ("y", {"a": 2, "c": 5}), ("z", {"b": 1})], SERIES, "n"
    )
    assert _widths(svg) == [[69, 68, 69], [137, 343], [69]]
    assert sum(_widths(svg)[1]) == BAR_AREA


def test_labels_are_escaped_and_shortened() -> None:
    """A label with markup is text; a long one is cut with an ellipsis and kept whole in the bar's title."""
    long = "<b>" + "x" * 40
    svg = stacked_bars("<t>", [(long, {"a": 1})], SERIES, "n")
    assert "<b>" not in svg and "&lt;t&gt;" in svg
    assert f"<title>&lt;b&gt;{'x' * 40}: total 1, a 1</title>" in svg
    assert f">&lt;b&gt;{'x' * 22}\u2026</text>" in svg


def test_empty_chart_says_so() -> None:
    """No rows: the legend with zero counts and a sentence instead of bars."""
    svg = stacked_bars("t", [], SERIES, "entries")
    assert '<g class="bar">' not in svg and "No entries to chart." in svg and ">a (0)</text>" in svg
