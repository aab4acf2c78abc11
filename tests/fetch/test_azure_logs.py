"""fetch azure-logs without the SDK: queries, chunks, splitting at the service's limits, partial results, resume."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from egressmap.fetch.azure_logs import (
    MIN_CHUNK_MS,
    Answer,
    LogsQuery,
    chunks,
    duration_ms,
    fetch,
    kql,
    row_line,
)
from egressmap.fetch.cloudwatch import FetchError

HOUR = 3_600_000
COLUMNS = ("TimeGenerated", "Type", "QueryName")


class FakeRunner:
    """Answers from a list of (time ms, name) rows; ``limit`` rows at most, else a size-limit partial error."""

    def __init__(
        self, rows: Sequence[tuple[int, str]], limit: int = 1000, fail_at: int | None = None
    ) -> None:
        self.rows = rows
        self.limit = limit
        self.fail_at = fail_at
        self.calls: list[tuple[int, int]] = []
        self.retries = 0

    def run(self, query: str, start_ms: int, end_ms: int) -> Answer:
        """The rows in [start, end), cut at the limit; a FetchError on call number ``fail_at``."""
        assert query == kql("AZFWDnsQuery", start_ms, end_ms)
        self.calls.append((start_ms, end_ms))
        if self.fail_at is not None and len(self.calls) == self.fail_at:
            raise FetchError("Log Analytics still throttling (429) after the retries")
        found = [(datetime.fromtimestamp(t / 1000, UTC), "AZFWDnsQuery", n) for t, n in self.rows
                 if start_ms <= t < end_ms]  # fmt: skip
        if len(found) > self.limit:
            return Answer(COLUMNS, found[: self.limit], "PartialError: E_QUERY_RESULT_SET_TOO_LARGE")
        return Answer(COLUMNS, found)


def names(path: Path) -> list[str]:
    """The QueryName of every line written."""
    return [json.loads(line)["QueryName"] for line in path.read_text().splitlines()]


def test_query_per_table() -> None:
    """A half-open time filter and oldest-first order; AzureDiagnostics keeps only the firewall's categories."""
    text = kql("AzureDiagnostics", 0, HOUR)
    assert text.splitlines() == [
        "AzureDiagnostics",
        "| where TimeGenerated >= datetime(1970-01-01T00:00:00.000Z) and TimeGenerated < datetime(1970-01-01T01:00:00.000Z)",
        '| where Category in ("AzureFirewallApplicationRule", "AzureFirewallNetworkRule", "AzureFirewallDnsProxy")',
        '| project TimeGenerated, Type, Category, Resource, msg_s = column_ifexists("msg_s", "")',
        "| sort by TimeGenerated asc",
    ]
    with pytest.raises(FetchError, match="unknown table 'Syslog'"):
        kql("Syslog", 0, HOUR)


def test_chunks_and_durations() -> None:
    """Ranges cover the span exactly; --chunk takes m/h/d/w of at least a minute."""
    assert chunks(0, 5 * HOUR, 2 * HOUR) == [(0, 2 * HOUR), (2 * HOUR, 4 * HOUR), (4 * HOUR, 5 * HOUR)]
    assert (duration_ms("1m"), duration_ms("2d"), duration_ms("1w")) == (60_000, 172_800_000, 604_800_000)
    for bad in ("30s", "0m", "6", "h", "2026-11-20T00:00:00Z"):
        with pytest.raises(FetchError, match="at least a minute"):
            duration_ms(bad)


def test_row_line_values() -> None:
    """Times become ISO 8601 UTC with a Z whatever their zone; other SDK objects their text; None stays null."""
    plus2 = timezone(timedelta(hours=2))
    line = row_line(
        ("a", "b", "c", "d"), [datetime(2026, 11, 20, 10, 0, tzinfo=plus2), timedelta(seconds=3), None, 5]
    )
    assert json.loads(line) == {"a": "2026-11-20T08:00:00Z", "b": "0:00:03", "c": None, "d": 5}
    assert json.loads(row_line(("t",), [datetime(2026, 1, 1)])) == {"t": "2026-01-01T00:00:00Z"}


def test_chunks_asked_in_order_and_rows_written_once(tmp_path: Path) -> None:
    """Four 6-hour chunks over a day, each asked once; the rows in time order."""
    rows = [(i * 5 * HOUR, f"n{i}.example.org.") for i in range(5)]
    runner = FakeRunner(rows)
    out = tmp_path / "out.jsonl"
    result = fetch(runner, LogsQuery("ws", "AZFWDnsQuery", 0, 24 * HOUR), out)
    assert runner.calls == [
        (0, 6 * HOUR),
        (6 * HOUR, 12 * HOUR),
        (12 * HOUR, 18 * HOUR),
        (18 * HOUR, 24 * HOUR),
    ]
    assert (result.rows, result.queries, result.splits, result.partial) == (5, 4, 0, [])
    assert names(out) == [n for _, n in rows]


def test_chunk_cut_by_the_limit_is_split_until_it_fits(tmp_path: Path) -> None:
    """A size-limit partial answer: the chunk is asked again in halves (oldest first), nothing lost or doubled."""
    rows = [(i * 10 * 60_000, f"n{i}.example.org.") for i in range(6)]  # every 10 minutes in the first hour
    runner = FakeRunner(rows, limit=2)
    out = tmp_path / "out.jsonl"
    result = fetch(runner, LogsQuery("ws", "AZFWDnsQuery", 0, 4 * HOUR, chunk_ms=4 * HOUR), out)
    assert names(out) == [n for _, n in rows]
    assert result.partial == [] and (result.splits, result.queries) == (5, 11)
    q = HOUR // 4
    assert runner.calls == [(0, 16 * q), (0, 8 * q), (0, 4 * q), (0, 2 * q), (0, q), (q, 2 * q), (2 * q, 4 * q),
                            (2 * q, 3 * q), (3 * q, 4 * q), (4 * q, 8 * q), (8 * q, 16 * q)]  # fmt: skip


def test_as_many_rows_as_the_limit_is_split_too(tmp_path: Path) -> None:
    """Exactly the record limit with no error is treated as cut (the service may stop there)."""
    rows = [(0, "a.example.org."), (HOUR + 1, "b.example.org.")]
    runner = FakeRunner(rows)
    result = fetch(runner, LogsQuery("ws", "AZFWDnsQuery", 0, 2 * HOUR, chunk_ms=2 * HOUR), tmp_path / "o",
                   row_limit=2)  # fmt: skip
    assert result.splits == 1 and runner.calls == [(0, 2 * HOUR), (0, HOUR), (HOUR, 2 * HOUR)]
    assert result.rows == 2 and result.partial == []


def test_still_cut_at_a_minute_is_kept_and_reported(tmp_path: Path) -> None:
    """Too many rows within one minute: the rows there are kept and the range reported partial."""
    rows = [(i, f"n{i}.example.org.") for i in range(5)]
    runner = FakeRunner(rows, limit=3)
    result = fetch(
        runner, LogsQuery("ws", "AZFWDnsQuery", 0, MIN_CHUNK_MS, chunk_ms=MIN_CHUNK_MS), tmp_path / "o"
    )
    assert runner.calls == [(0, MIN_CHUNK_MS)]
    (partial,) = result.partial
    assert (partial.start_ms, partial.end_ms, partial.rows) == (0, MIN_CHUNK_MS, 3)
    assert str(partial) == (
        "1970-01-01T00:00:00.000Z to 1970-01-01T00:01:00.000Z: PartialError: E_QUERY_RESULT_SET_TOO_LARGE (3 rows kept)"
    )


def test_resume_from_checkpoint(tmp_path: Path) -> None:
    """A fetch stopped at its third chunk resumes there: same times, every row once, checkpoint deleted."""
    rows = [(i * 5 * HOUR, f"n{i}.example.org.") for i in range(5)]
    out, checkpoint = tmp_path / "out.jsonl", tmp_path / "out.ckpt"
    query = LogsQuery("ws", "AZFWDnsQuery", 0, 24 * HOUR)
    with pytest.raises(FetchError, match="still throttling"):
        fetch(FakeRunner(rows, fail_at=3), query, out, checkpoint)
    saved = json.loads(checkpoint.read_text())
    assert (saved["done_ms"], saved["rows"], saved["queries"]) == (12 * HOUR, 3, 2)
    with out.open("ab") as sink:
        sink.write(b'{"half a line')  # a crash mid-write
    moved = LogsQuery("ws", "AZFWDnsQuery", 7, 24 * HOUR + 7)  # --since 1d a little later
    second = FakeRunner(rows)
    result = fetch(second, moved, out, checkpoint)
    assert result.resumed and second.calls == [(12 * HOUR, 18 * HOUR), (18 * HOUR, 24 * HOUR)]
    assert names(out) == [n for _, n in rows] and (result.rows, result.queries) == (5, 4)
    assert not checkpoint.exists()


def test_checkpoint_of_another_fetch_is_refused(tmp_path: Path) -> None:
    """A checkpoint for another table, an unreadable one, or one whose output is gone: one clear error."""
    out, checkpoint = tmp_path / "out.jsonl", tmp_path / "ckpt"
    with pytest.raises(FetchError):
        fetch(FakeRunner([(0, "a.example.org.")] * 1, fail_at=2), LogsQuery("ws", "AZFWDnsQuery", 0, 2 * HOUR,
              chunk_ms=HOUR), out, checkpoint)  # fmt: skip
    other = LogsQuery("ws", "AZFWNetworkRule", 0, 2 * HOUR)
    with pytest.raises(FetchError, match=r"for another fetch \(table differ\)"):
        fetch(FakeRunner([]), other, out, checkpoint)
    out.unlink()
    with pytest.raises(FetchError, match="shorter or missing"):
        fetch(FakeRunner([]), LogsQuery("ws", "AZFWDnsQuery", 0, 2 * HOUR), out, checkpoint)
    checkpoint.write_text("{not json")
    with pytest.raises(FetchError, match="unreadable"):
        fetch(FakeRunner([]), LogsQuery("ws", "AZFWDnsQuery", 0, 2 * HOUR), out, checkpoint)
    checkpoint.write_text(json.dumps({"version": 1, "query": {"group": "/x"}, "bytes": 0, "done_ms": 0, "rows": 0,
                                      "queries": 0}))  # fmt: skip
    with pytest.raises(FetchError, match="not an azure-logs checkpoint"):
        fetch(FakeRunner([]), LogsQuery("ws", "AZFWDnsQuery", 0, 2 * HOUR), out, checkpoint)


def test_empty_span_is_an_error(tmp_path: Path) -> None:
    """--since not before --until: one clear error, nothing written."""
    with pytest.raises(FetchError, match="nothing to fetch"):
        fetch(FakeRunner([]), LogsQuery("ws", "AZFWDnsQuery", HOUR, HOUR), tmp_path / "o")
    assert not (tmp_path / "o").exists()


def test_failure_before_any_answer_writes_nothing(tmp_path: Path) -> None:
    """The output is opened at the first answer: a fetch that fails at once leaves no empty file."""
    runner: Any = FakeRunner([], fail_at=1)
    with pytest.raises(FetchError):
        fetch(runner, LogsQuery("ws", "AZFWDnsQuery", 0, HOUR), tmp_path / "o")
    assert not (tmp_path / "o").exists()
