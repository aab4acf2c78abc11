"""fetch azure-logs through the real SDK and credential against the stand-in: time ranges, 429, limits, errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from egressmap.fetch.azure_logs import LogsQuery, fetch, kql
from egressmap.fetch.azure_sdk import make_runner
from egressmap.fetch.cloudwatch import FetchError, parse_time

from .azure_rows import DNS
from .azure_standin import TOKEN, WORKSPACE, StandIn

START, END = parse_time("2026-11-20T00:00:00Z"), parse_time("2026-11-21T00:00:00Z")


def dns_rows(count: int, minutes: int) -> list[dict[str, Any]]:
    """``count`` DNS rows ``minutes`` apart from 08:00."""
    base = DNS[0]
    return [{**base, "TimeGenerated": f"2026-11-20T{8 + i * minutes // 60:02d}:{i * minutes % 60:02d}:00.0000000Z",
             "QueryName": f"n{i}.example.org."} for i in range(count)]  # fmt: skip


def fetched(path: Path) -> list[dict[str, Any]]:
    """The JSON lines written."""
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_chunked_time_ranges_sent_and_rows_kept(azure: StandIn, tmp_path: Path) -> None:
    """A day in 6-hour chunks: four queries whose timespan and KQL filter agree; one token for all of them."""
    azure.tables = {"AZFWDnsQuery": DNS}
    out = tmp_path / "dns.jsonl"
    result = fetch(make_runner(WORKSPACE, azure.url), LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END), out)
    spans = [q["timespan"] for q in azure.queries]
    assert spans == [
        "2026-11-20T00:00:00.000Z/2026-11-20T06:00:00.000Z",
        "2026-11-20T06:00:00.000Z/2026-11-20T12:00:00.000Z",
        "2026-11-20T12:00:00.000Z/2026-11-20T18:00:00.000Z",
        "2026-11-20T18:00:00.000Z/2026-11-21T00:00:00.000Z",
    ]
    hours = 6 * 3_600_000
    assert [q["query"] for q in azure.queries] == [kql("AZFWDnsQuery", START + i * hours, START + (i + 1) * hours)
                                                   for i in range(4)]  # fmt: skip
    assert (result.rows, result.queries, azure.tokens) == (2, 4, 1)
    rows = fetched(out)
    assert [r["QueryName"] for r in rows] == ["login.microsoftonline.com.", "nosuch.example.org."]
    assert rows[0]["TimeGenerated"] == "2026-11-20T00:00:00Z" and rows[0]["DnssecOkBit"] is False
    assert rows[1]["TimeGenerated"] == "2026-11-20T12:00:00Z"  # the 7th fraction digit is beyond Python's
    assert list(rows[0]) == list(DNS[0])  # every column, in the table's order


def test_throttled_query_is_retried(azure: StandIn, tmp_path: Path) -> None:
    """A 429 answer (Retry-After: 0): the SDK's retry policy asks again; the retry counted, nothing lost."""
    azure.tables = {"AZFWDnsQuery": DNS}
    azure.throttle = 1
    runner = make_runner(WORKSPACE, azure.url)
    result = fetch(runner, LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END), tmp_path / "o")
    assert (result.retries, azure.throttled, result.rows, result.queries) == (1, 1, 2, 4)


def test_throttling_beyond_the_retries_is_one_error(azure: StandIn, tmp_path: Path) -> None:
    """Still 429 after the retries: a FetchError saying so (the CLI's one line)."""
    azure.tables = {"AZFWDnsQuery": DNS}
    azure.throttle = 100
    runner = make_runner(WORKSPACE, azure.url, retry_total=1)
    with pytest.raises(FetchError, match=r"still throttling \(429\) after the retries"):
        fetch(runner, LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END), tmp_path / "o")
    assert runner.retries == 2 and not (tmp_path / "o").exists()


def test_answer_over_the_record_limit_is_split(azure: StandIn, tmp_path: Path) -> None:
    """The service cuts an answer at its record limit (a PartialError): halves asked until each fits."""
    azure.tables = {"AZFWDnsQuery": dns_rows(7, 5)}
    azure.row_limit = 2
    query = LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END, chunk_ms=END - START)
    result = fetch(make_runner(WORKSPACE, azure.url), query, tmp_path / "o")
    assert [r["QueryName"] for r in fetched(tmp_path / "o")] == [f"n{i}.example.org." for i in range(7)]
    assert result.partial == [] and result.splits > 0 and result.queries == len(azure.queries)


def test_partial_error_message_is_the_innermost(azure: StandIn, tmp_path: Path) -> None:
    """A partial answer not about size: kept, and reported with the reason the details give."""
    azure.tables = {"AZFWDnsQuery": DNS}
    azure.broken = {"AZFWDnsQuery"}
    query = LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END, chunk_ms=END - START)
    result = fetch(make_runner(WORKSPACE, azure.url), query, tmp_path / "o")
    (partial,) = result.partial
    assert partial.message == (
        "PartialError: Some of the data could not be read: a storage partition did not answer"
    )
    assert partial.rows == 2 and result.splits == 0


def test_access_denied_is_one_error(azure: StandIn, tmp_path: Path) -> None:
    """403 from the query API: the role the identity needs."""
    azure.deny = True
    with pytest.raises(FetchError, match="access denied to workspace .* Log Analytics Reader"):
        fetch(
            make_runner(WORKSPACE, azure.url),
            LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END),
            tmp_path / "o",
        )


def test_rejected_token_is_one_error(azure: StandIn, tmp_path: Path) -> None:
    """A token the query API does not accept (401)."""

    class Stale:
        def get_token(self, *scopes: str, **kwargs: Any) -> Any:
            from azure.core.credentials import AccessToken

            return AccessToken("stale", 4_000_000_000)

    assert TOKEN != "stale"
    runner = make_runner(WORKSPACE, azure.url, credential=Stale(), retry_total=0)
    with pytest.raises(FetchError, match=r"rejected the access token \(401\): InvalidTokenError"):
        fetch(runner, LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END), tmp_path / "o")


def test_unreachable_endpoint_is_one_error(azure: StandIn, tmp_path: Path) -> None:
    """Nothing listening at the endpoint: 'cannot reach' with the endpoint."""
    runner = make_runner(WORKSPACE, "https://127.0.0.1:1", retry_total=0)
    with pytest.raises(FetchError, match=r"cannot reach Log Analytics at https://127\.0\.0\.1:1"):
        fetch(runner, LogsQuery(WORKSPACE, "AZFWDnsQuery", START, END), tmp_path / "o")
