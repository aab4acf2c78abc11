"""The scan table: destinations seen only denied or failed first, in the plain and the rich rendering."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.aggregate import aggregate
from egressmap.classify import classify
from egressmap.model import TIER_RANK, Destination, Observation
from egressmap.report import render_scan_plain, render_scan_rich, scan_sections
from egressmap.review import OTHER_HEADING, SCAN_HEADING
from egressmap.scan_rows import _row, iter_scan_rows, scan_rows

from .test_aggregate import _OBSERVATIONS as OBSERVATIONS
from .test_aggregate import _reference as reference_fold


def _dest(host: str, **outcomes: int) -> Destination:
    return Destination(host, 443, count=sum(outcomes.values()), tier="observed", outcomes=dict(outcomes))


ROWS = scan_rows(
    [
        _dest("allowed.example.com", allowed=3),
        _dest("denied.example.net", denied=2),
        _dest("failed.example.org", failed=1, unknown=2),
        _dest("mixed.example.com", allowed=1, failed=4),
    ]
)


def test_sections_put_flagged_destinations_first() -> None:
    """Two sections with counted headings; one untitled section when nothing is flagged."""
    sections = scan_sections(ROWS)
    assert [(h, [r["host"] for r in part]) for h, part in sections] == [
        (f"{SCAN_HEADING}: 2", ["denied.example.net", "failed.example.org"]),
        (f"{OTHER_HEADING}: 2", ["allowed.example.com", "mixed.example.com"]),
    ]
    calm = [r for r in ROWS if not r["flag"]]
    assert scan_sections(calm) == [(None, calm)]


def test_plain_table_keeps_one_header_and_aligned_columns() -> None:
    """One header line for both sections, so the columns line up across them."""
    out = io.StringIO()
    render_scan_plain(ROWS, out)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("HOST ") and lines[1] == f"-- {SCAN_HEADING}: 2"
    assert lines[4] == f"-- {OTHER_HEADING}: 2"
    starts = {line.index("observed") for line in lines if not line.startswith("--") and "observed" in line}
    assert len(starts) == 1


def test_rich_tables_are_titled_by_section(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the flagged destinations get their own table, titled with the heading, before the rest."""
    monkeypatch.setenv("COLUMNS", "160")  # wide enough that rich does not cut the host names
    out = io.StringIO()
    render_scan_rich(ROWS, out)
    text = out.getvalue()
    assert text.index(SCAN_HEADING) < text.index("denied.example.net") < text.index(OTHER_HEADING)
    assert text.index(OTHER_HEADING) < text.index("allowed.example.com")
    calm = io.StringIO()
    render_scan_rich([r for r in ROWS if not r["flag"]], calm)
    assert "2 destinations" in calm.getvalue() and SCAN_HEADING not in calm.getvalue()


def _old_scan_rows(destinations: dict[tuple[str, int], Destination]) -> list[dict[str, Any]]:
    """The rows as scan made them before rows were made straight from the table: sorted, one _row each."""
    order = sorted((classify(d.host).scope, TIER_RANK[d.tier], d.host, d.port) for d in destinations.values())
    return [_row(destinations[(host, port)], classify(host)) for _, _, host, port in order]


@settings(max_examples=200)
@given(observations=st.lists(OBSERVATIONS, max_size=12))
def test_rows_from_the_table_are_those_of_the_plain_fold(observations: list[Observation]) -> None:
    """A table's rows (single observations made rows directly) equal the plain fold's, in the same order."""
    table = aggregate(observations)
    want = _old_scan_rows(reference_fold(observations))
    assert list(iter_scan_rows(table)) == want
    assert list(iter_scan_rows(dict(table))) == want
    assert [json.dumps(r) for r in iter_scan_rows(table)] == [json.dumps(r) for r in want]


@pytest.mark.parametrize(
    "times",
    [(None, None), (None, 2.0), (3.0, None), (5.0, 1.0), (1.0, 5.0), (math.nan, 1.0), (1.0, math.nan)],
)
def test_a_single_observation_row_has_the_times_of_the_fold(times: tuple[float | None, float | None]) -> None:
    """First and last seen of a destination seen once are min() and max() of its times, NaN included."""
    obs = Observation(
        "pypi.org", 443, "connect", "observed", "seen", "log:1", time=times[0], last_time=times[1]
    )
    (row,) = iter_scan_rows(aggregate([obs]))
    (want,) = _old_scan_rows(reference_fold([obs]))
    assert repr((row["first_seen"], row["last_seen"])) == repr((want["first_seen"], want["last_seen"]))


def test_scan_states_what_each_kind_of_evidence_cannot_see(tmp_path: Path) -> None:
    """Issue 15: scan names the blind spots of the inputs' sources (plain text and --json); Squid logs have none."""
    from egressmap.cli import main

    resolver = tmp_path / "r53.log"
    resolver.write_text(
        '{"version":"1.100000","query_timestamp":"2026-12-01T10:00:00Z","query_name":"pypi.org.",'
        '"query_type":"A","rcode":"NOERROR","answers":[],"srcaddr":"10.0.1.5","srcids":{"instance":"i-1"}}\n',
        encoding="utf-8",
    )
    squid = tmp_path / "access.log"
    squid.write_text(
        "1732186800.030   1161 10.0.2.37 TCP_TUNNEL/200 476 CONNECT github.com:443 - HIER_DIRECT/192.0.2.10 -\n",
        encoding="utf-8",
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["scan", str(resolver), str(squid)]) == 0
    text = out.getvalue()
    assert "What these sources cannot see:" in text
    assert "route53-resolver: sees only questions sent to the VPC's Route 53 Resolver" in text
    assert "squid:" not in text.split("What these sources cannot see:")[1]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["scan", str(resolver), str(squid), "--json"])
    inputs = {i["format"]: i for i in json.loads(out.getvalue())["inputs"]}
    assert any("Route 53 Resolver" in s for s in inputs["route53-resolver"]["blind_spots"])
    assert "blind_spots" not in inputs["squid"]
