r"""``fetch cloudwatch``: every event of a CloudWatch Logs group into a file ``scan`` and ``build`` read.

FilterLogEvents is called page after page until a page has no ``nextToken`` (a page may be empty and still
have one). Throttling is retried with jittered exponential backoff, a bounded number of times. After each page
the output is flushed and a checkpoint (the next token, the events and bytes written) is saved, so an
interrupted fetch resumes where it stopped. boto3 is imported only here (the ``[aws]`` extra).

Each output line is ``GROUP STREAM TIME MESSAGE``, the layout of ``awslogs get`` with timestamps, which the
readers already take as a prefix (a message over several lines gives several lines, each with the prefix).

>>> event_lines("/aws/x", {"logStreamName": "s1", "timestamp": 0, "message": "a\nb\n"})
['/aws/x s1 1970-01-01T00:00:00.000Z a\n', '/aws/x s1 1970-01-01T00:00:00.000Z b\n']
>>> group_of_arn("arn:aws:logs:eu-west-1:111122223333:log-group:/aws/x:*")
'/aws/x'
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import aws
from .aws import THROTTLED, FetchError, error_code, parse_time, rejected_line, transport_line

__all__ = ["FetchError", "FetchResult", "Query", "event_lines", "fetch", "make_client", "pages", "parse_time"]

MAX_RETRIES = 8
"""Throttled calls retried at most this many times in a row before giving up."""
BASE_DELAY, MAX_DELAY = 0.5, 20.0
"""Backoff: the first retry waits up to BASE_DELAY seconds, doubling up to MAX_DELAY (full jitter)."""
CHECKPOINT_VERSION = 1


@dataclass(frozen=True)
class Query:
    """What to fetch: one log group (by name or ARN), times in milliseconds since the epoch."""

    group: str | None = None
    identifier: str | None = None
    stream_prefix: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    filter_pattern: str | None = None
    page_size: int | None = None
    """FilterLogEvents ``limit`` (the service's default, 10,000 events, when None)."""

    def label(self) -> str:
        """The group name written on each line (the ARN's group name for --log-group-identifier)."""
        if self.group:
            return self.group
        return group_of_arn(self.identifier or "")

    def call_args(self) -> dict[str, Any]:
        """FilterLogEvents parameters (without nextToken)."""
        args: dict[str, Any] = {}
        if self.group:
            args["logGroupName"] = self.group
        if self.identifier:
            args["logGroupIdentifier"] = self.identifier
        if self.stream_prefix:
            args["logStreamNamePrefix"] = self.stream_prefix
        if self.start_ms is not None:
            args["startTime"] = self.start_ms
        if self.end_ms is not None:
            args["endTime"] = self.end_ms
        if self.filter_pattern:
            args["filterPattern"] = self.filter_pattern
        if self.page_size:
            args["limit"] = self.page_size
        return args


@dataclass
class FetchResult:
    """What a fetch did."""

    events: int = 0
    pages: int = 0
    retries: int = 0
    resumed: bool = False


def group_of_arn(arn: str) -> str:
    """The log group name in a log group ARN (``arn:aws:logs:R:A:log-group:NAME[:*]``); the ARN otherwise."""
    _, sep, rest = arn.partition(":log-group:")
    if not sep:
        return arn
    return rest[:-2] if rest.endswith(":*") else rest


def event_lines(group: str, event: Mapping[str, Any]) -> list[str]:
    """The output lines for one event: ``GROUP STREAM TIME`` before each line of its message."""
    stamp = datetime.fromtimestamp(int(event.get("timestamp", 0)) / 1000, UTC)
    prefix = f"{group} {event.get('logStreamName', '-')} {stamp.strftime('%Y-%m-%dT%H:%M:%S')}.{stamp.microsecond // 1000:03d}Z"
    message = str(event.get("message", "")).rstrip("\r\n")
    return [f"{prefix} {line.rstrip()}\n" for line in message.splitlines() or [""]]


def make_client(profile: str | None, region: str | None, endpoint_url: str | None) -> Any:
    """A CloudWatch Logs client from the standard AWS chain (profile, environment, instance role)."""
    return aws.make_client("logs", profile, region, endpoint_url)


def pages(
    client: Any,
    query: Query,
    token: str | None = None,
    result: FetchResult | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = MAX_RETRIES,
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """Every FilterLogEvents page from ``token`` on, as (events, next token), until a page has no token."""
    result = FetchResult() if result is None else result
    while True:
        args = query.call_args()
        if token:
            args["nextToken"] = token
        page = _call(client, args, result, sleep, max_retries)
        result.pages += 1
        token = page.get("nextToken")
        yield list(page.get("events", ())), token
        if not token:
            return


def fetch(
    client: Any,
    query: Query,
    out: Path,
    checkpoint: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    max_retries: int = MAX_RETRIES,
) -> FetchResult:
    """Write every event of ``query`` to ``out``; resume from ``checkpoint`` when it exists. Deletes it when done."""
    result = FetchResult()
    token: str | None = None
    size = 0
    saved = _load_checkpoint(checkpoint, query, out) if checkpoint else None
    if saved is not None:
        query = Query(**saved["query"])
        token, size, result.events, result.pages = (
            saved["next_token"],
            saved["bytes"],
            saved["events"],
            saved["pages"],
        )
        result.resumed = True
    label = query.label()
    with open(out, "r+b" if saved is not None else "wb") as sink:
        sink.truncate(size)
        sink.seek(size)
        for events, following in pages(client, query, token, result, sleep, max_retries):
            for event in events:
                data = "".join(event_lines(label, event)).encode()
                sink.write(data)
                size += len(data)
                result.events += 1
            sink.flush()
            if following and checkpoint:
                _save_checkpoint(checkpoint, query, following, size, result)
    if checkpoint and checkpoint.exists():
        checkpoint.unlink()
    return result


def _call(
    client: Any, args: dict[str, Any], result: FetchResult, sleep: Callable[[float], None], max_retries: int
) -> dict[str, Any]:
    """One FilterLogEvents call, throttling retried with jittered backoff; other failures as FetchError."""
    import botocore.exceptions

    for attempt in range(max_retries + 1):
        try:
            page: dict[str, Any] = client.filter_log_events(**args)
            return page
        except botocore.exceptions.ClientError as exc:
            code = error_code(exc)
            if code in THROTTLED and attempt < max_retries:
                result.retries += 1
                sleep(random.uniform(0, min(MAX_DELAY, BASE_DELAY * 2**attempt)))
                continue
            raise FetchError(rejected_line(code) or _explain(code, str(exc), args)) from None
        except botocore.exceptions.BotoCoreError as exc:
            raise FetchError(transport_line(exc, "CloudWatch Logs") or str(exc)) from None
    raise FetchError(f"CloudWatch Logs still throttling after {max_retries} retries: try again later")


def _explain(code: str, detail: str, args: Mapping[str, Any]) -> str:
    """One clear line for a CloudWatch Logs error code."""
    group = args.get("logGroupName") or args.get("logGroupIdentifier")
    if code == "ResourceNotFoundException":
        return f"no such log group {group!r} in this account and region (check --region, --profile)"
    if code in ("AccessDeniedException", "AccessDenied"):
        return f"access denied to log group {group!r}: the credentials need logs:FilterLogEvents on it"
    if code in THROTTLED:
        return "CloudWatch Logs still throttling after the retries: try again later"
    return f"CloudWatch Logs error: {' '.join(detail.split())}"


def _save_checkpoint(path: Path, query: Query, token: str, size: int, result: FetchResult) -> None:
    """Write the checkpoint atomically (a crash leaves the old one or the new one)."""
    data = {
        "version": CHECKPOINT_VERSION,
        "query": asdict(query),
        "next_token": token,
        "bytes": size,
        "events": result.events,
        "pages": result.pages,
    }
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _load_checkpoint(path: Path, query: Query, out: Path) -> dict[str, Any] | None:
    """The saved state when ``path`` exists and belongs to the same fetch; None when there is none."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = data["query"]
        fields = (data["next_token"], data["bytes"], data["events"], data["pages"])
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise FetchError(f"checkpoint {path} is unreadable ({exc}): delete it to start over") from None
    if data.get("version") != CHECKPOINT_VERSION or not isinstance(saved, dict):
        raise FetchError(f"checkpoint {path} is from another egressmap version: delete it to start over")
    mine = asdict(query)
    # times given relative to now (--since 2d) move between runs: the checkpoint's own times are kept
    differ = [
        k for k in ("group", "identifier", "stream_prefix", "filter_pattern") if saved.get(k) != mine[k]
    ]
    if differ:
        raise FetchError(
            f"checkpoint {path} is for another fetch ({', '.join(differ)} differ): delete it or use another file"
        )
    if not out.exists() or out.stat().st_size < fields[1]:
        raise FetchError(
            f"checkpoint {path} says {fields[1]} bytes were written but {out} is shorter or missing"
        )
    return dict(data)
