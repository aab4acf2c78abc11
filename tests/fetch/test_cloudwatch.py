"""fetch cloudwatch against moto in-process: pages (one empty), throttling, resume, errors; no AWS reached."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from egressmap.fetch.cloudwatch import FetchError, Query, fetch, parse_time
from tests.sources.test_route53_resolver import record

GROUP = "/aws/route53/resolver-query-logs"
T0 = (int(time.time()) - 3600) * 1000  # moto refuses events older than 14 days
T0_TEXT = datetime.fromtimestamp(T0 / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials and a region; moto intercepts every call in-process."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    with mock_aws():
        yield


def names(count: int) -> list[str]:
    """Resolver records for count distinct names."""
    return [record(f"host{i}.example.org.") for i in range(count)]


def fill(client: Any, messages: list[str], stream: str = "vpc-0b7d2e4f6a8c13579_i-07c3e5a9b1d2f4680") -> None:
    """A log group with one stream holding these messages, a second apart."""
    client.create_log_group(logGroupName=GROUP)
    client.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    events = [{"timestamp": T0 + i * 1000, "message": m} for i, m in enumerate(messages)]
    client.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=events)


class EmptyFirstPage:
    """Wraps a client: the first FilterLogEvents answer is an empty page with a nextToken (moto never makes one)."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **args: Any) -> dict[str, Any]:
        """An empty page first, then the real answers (the fake token is dropped)."""
        self.calls.append(dict(args))
        if len(self.calls) == 1:
            return {"events": [], "nextToken": "empty-page-token", "searchedLogStreams": []}
        if args.get("nextToken") == "empty-page-token":
            del args["nextToken"]
        result: dict[str, Any] = self.client.filter_log_events(**args)
        return result


def test_every_page_fetched_including_an_empty_one(aws_env: None, tmp_path: Path) -> None:
    """7 events at 3 per page after an empty page: 4 pages, every event written once with group and stream."""
    client = boto3.client("logs")
    fill(client, names(7))
    wrapped = EmptyFirstPage(client)
    out = tmp_path / "out.log"
    result = fetch(wrapped, Query(group=GROUP, page_size=3), out)
    assert (result.events, result.pages) == (7, 4)
    lines = out.read_text().splitlines()
    assert len(lines) == 7
    assert lines[0].startswith(f"{GROUP} vpc-0b7d2e4f6a8c13579_i-07c3e5a9b1d2f4680 {T0_TEXT} {{")
    assert [json.loads(line.split(" ", 3)[3])["query_name"] for line in lines] == [
        f"host{i}.example.org." for i in range(7)
    ]
    assert [call.get("nextToken") for call in wrapped.calls][:2] == [None, "empty-page-token"]
    assert all(call["limit"] == 3 and call["logGroupName"] == GROUP for call in wrapped.calls)


def test_throttling_retried_with_backoff(tmp_path: Path) -> None:
    """Two ThrottlingExceptions, then pages: retried, slept between with bounded jittered delays."""
    client = boto3.client(
        "logs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    event = {
        "logStreamName": "s1",
        "timestamp": T0,
        "message": "hello https://pypi.org/simple/",
        "eventId": "1",
    }
    with Stubber(client) as stub:
        for _ in range(2):
            stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded", 400)
        stub.add_response(
            "filter_log_events", {"events": [event], "nextToken": "t1"}, {"logGroupName": GROUP}
        )
        stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded", 400)
        stub.add_response(
            "filter_log_events", {"events": [event]}, {"logGroupName": GROUP, "nextToken": "t1"}
        )
        slept: list[float] = []
        result = fetch(client, Query(group=GROUP), tmp_path / "out.log", sleep=slept.append)
        stub.assert_no_pending_responses()
    assert (result.events, result.pages, result.retries) == (2, 2, 3)
    assert len(slept) == 3 and all(0 <= s <= 2.0 for s in slept)


def test_throttling_gives_up_after_the_bounded_retries(tmp_path: Path) -> None:
    """Throttled on every try: one clear error after max_retries sleeps."""
    client = boto3.client(
        "logs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        for _ in range(3):
            stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded", 400)
        slept: list[float] = []
        with pytest.raises(FetchError, match="still throttling"):
            fetch(client, Query(group=GROUP), tmp_path / "out.log", sleep=slept.append, max_retries=2)
    assert len(slept) == 2


class FailsAfter:
    """Wraps a client: the call after `pages` successful ones fails like a dropped connection."""

    def __init__(self, client: Any, pages: int) -> None:
        self.client, self.left = client, pages

    def filter_log_events(self, **args: Any) -> dict[str, Any]:
        """The real answer, until the budget is spent."""
        if self.left == 0:
            raise FetchError("connection lost")
        self.left -= 1
        result: dict[str, Any] = self.client.filter_log_events(**args)
        return result


def test_resume_from_a_checkpoint(aws_env: None, tmp_path: Path) -> None:
    """Interrupted after 2 pages: the checkpoint holds the token; the rerun writes the rest, nothing twice."""
    client = boto3.client("logs")
    fill(client, names(8))
    out, checkpoint = tmp_path / "out.log", tmp_path / "out.checkpoint"
    query = Query(group=GROUP, page_size=3, start_ms=T0)
    with pytest.raises(FetchError, match="connection lost"):
        fetch(FailsAfter(client, 2), query, out, checkpoint)
    saved = json.loads(checkpoint.read_text())
    assert saved["events"] == 6 and saved["next_token"] and saved["bytes"] == out.stat().st_size
    with out.open("a") as sink:
        sink.write("half a line written when the process died")
    later = Query(group=GROUP, page_size=3, start_ms=T0 + 5)  # --since 2d moves between runs
    result = fetch(client, later, out, checkpoint)
    assert result.resumed and result.events == 8
    assert not checkpoint.exists()
    lines = out.read_text().splitlines()
    assert [json.loads(line.split(" ", 3)[3])["query_name"] for line in lines] == [
        f"host{i}.example.org." for i in range(8)
    ]


def test_checkpoint_of_another_fetch_refused(aws_env: None, tmp_path: Path) -> None:
    """A checkpoint for another group is not used: one clear error, nothing overwritten."""
    client = boto3.client("logs")
    fill(client, names(4))
    out, checkpoint = tmp_path / "out.log", tmp_path / "cp"
    with pytest.raises(FetchError):
        fetch(FailsAfter(client, 1), Query(group=GROUP, page_size=2), out, checkpoint)
    with pytest.raises(FetchError, match="another fetch"):
        fetch(client, Query(group="/other"), out, checkpoint)


def test_no_such_group(aws_env: None, tmp_path: Path) -> None:
    """A missing group is one clear error naming it."""
    with pytest.raises(FetchError, match="no such log group '/nope'"):
        fetch(boto3.client("logs"), Query(group="/nope"), tmp_path / "out.log")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AccessDeniedException", "access denied to log group"),
        ("ExpiredTokenException", "session token has expired"),
        ("UnrecognizedClientException", "rejected the credentials"),
    ],
)
def test_aws_errors_are_one_clear_line(tmp_path: Path, code: str, words: str) -> None:
    """Access denied, expired token, bad keys: each a FetchError with one line saying what to do."""
    client = boto3.client(
        "logs", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    with Stubber(client) as stub:
        stub.add_client_error("filter_log_events", code, "denied", 400)
        with pytest.raises(FetchError, match=words) as info:
            fetch(client, Query(group=GROUP), tmp_path / "out.log")
    assert "\n" not in str(info.value)


def test_parse_time_forms() -> None:
    """Durations ago and ISO times (bare ones are UTC); anything else is a clear error."""
    assert parse_time("90s", now=1000.0) == 910000
    assert parse_time("1w", now=604800.0) == 0
    assert parse_time("2026-11-03T09:14:21") == 1793697261000
    with pytest.raises(FetchError, match="cannot read the time"):
        parse_time("yesterday")


def test_identifier_arn_sent_and_its_group_named() -> None:
    """--log-group-identifier goes as logGroupIdentifier; lines carry the ARN's group name."""
    arn = "arn:aws:logs:eu-central-1:111122223333:log-group:/aws/imagebuilder/Img:*"
    query = Query(identifier=arn, stream_prefix="3.5.0/", filter_pattern="Get")
    assert query.call_args() == {
        "logGroupIdentifier": arn,
        "logStreamNamePrefix": "3.5.0/",
        "filterPattern": "Get",
    }
    assert query.label() == "/aws/imagebuilder/Img"
