"""Where AWS delivers logs in S3, level by level: the prefixes ``fetch s3`` lists, and nothing wider.

The layouts under the bucket's own prefix (sources in ``docs/fetch.md``):

- Route 53 Resolver query logs: ``AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/<yyyy>/<mm>/<dd>/``;
- VPC Flow Logs: ``AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/``, or with Hive-compatible prefixes
  ``AWSLogs/aws-account-id=<account>/aws-service=vpcflowlogs/aws-region=<region>/year=<yyyy>/month=<mm>/day=<dd>/``
  (either may have an hour level under the day);
- Network Firewall: ``AWSLogs/<account>/network-firewall/<log-type>/<region>/<firewall>/<yyyy>/<mm>/<dd>/<hh>/``.

A level is a fixed name; ``{account}`` or ``{region}`` (the values given, else the children listed there that
fit); or ``*`` (every child listed there: VPC ids, log types, firewall names). Under the last level come the days,
one prefix per day asked for, each listed in full (the hours and files under it).

>>> parse_uri("s3://my-logs/central")
('my-logs', 'central/', ())
>>> parse_uri("s3://my-logs/central/AWSLogs/111122223333/")
('my-logs', 'central/', ('111122223333',))
>>> LAYOUTS[2].day_prefix(date(2026, 11, 3))
'year=2026/month=11/day=03/'
>>> fits("aws-account-id={account}", "aws-account-id=111122223333/"), fits("{region}", "vpc-0a1b/")
('111122223333', None)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache

from . import S3_KINDS
from .aws import FetchError

ROOT = "AWSLogs"
KINDS = S3_KINDS
"""The kinds of logs ``fetch s3`` finds, named as ``--format`` names their readers."""
_VALUES = {"{account}": r"(\d{12})", "{region}": r"([a-z]{2}(?:-[a-z0-9]+)+-\d+)", "*": r"([^/]+)"}


@dataclass(frozen=True)
class Layout:
    """One way AWS lays out one kind of log under ``AWSLogs/``."""

    kind: str
    """The format name of the logs (what ``scan --format`` calls them)."""
    levels: tuple[str, ...]
    """The levels from ``AWSLogs`` down to the one above the days."""
    days: str
    """``strftime`` form of the day levels."""

    def day_prefix(self, day: date) -> str:
        """The day levels of one day, ending in ``/``."""
        return day.strftime(self.days) + "/"


_PLAIN_DAY = "%Y/%m/%d"
LAYOUTS: tuple[Layout, ...] = (
    Layout("route53-resolver", (ROOT, "{account}", "vpcdnsquerylogs", "*"), _PLAIN_DAY),
    Layout("vpc-flow", (ROOT, "{account}", "vpcflowlogs", "{region}"), _PLAIN_DAY),
    Layout(
        "vpc-flow",
        (ROOT, "aws-account-id={account}", "aws-service=vpcflowlogs", "aws-region={region}"),
        "year=%Y/month=%m/day=%d",
    ),
    Layout("aws-network-firewall", (ROOT, "{account}", "network-firewall", "*", "{region}", "*"), _PLAIN_DAY),
)


def variable(level: str) -> str | None:
    """``{account}``, ``{region}`` or ``*`` when the level stands for values; None for a fixed name."""
    return next((name for name in _VALUES if name in level), None)


def fill(level: str, value: str) -> str:
    """The level with its value put in (``aws-region={region}`` -> ``aws-region=eu-west-1``)."""
    name = variable(level)
    return level if name is None else level.replace(name, value)


@cache
def _pattern(level: str) -> re.Pattern[str]:
    name = variable(level)
    if name is None:
        return re.compile(re.escape(level) + "/")
    head, _, tail = level.partition(name)
    return re.compile(re.escape(head) + _VALUES[name] + re.escape(tail) + "/")


def fits(level: str, child: str) -> str | None:
    """The value a listed child (``name/``, without the parent) stands for at this level; None if it does not fit."""
    match = _pattern(level).fullmatch(child)
    return match.group(1) if match and match.groups() else None


def days(start_ms: int, end_ms: int) -> list[date]:
    """Every UTC day from the one holding ``start_ms`` to the one holding ``end_ms``, both included.

    >>> days(1793697261000, 1793697261000 + 86400000)
    [datetime.date(2026, 11, 3), datetime.date(2026, 11, 4)]
    """
    first, last = (datetime.fromtimestamp(ms / 1000, UTC).date() for ms in (start_ms, end_ms))
    if last < first:
        raise FetchError(f"--until ({last}) is before --since ({first})")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def parse_uri(uri: str) -> tuple[str, str, tuple[str, ...]]:
    """(bucket, the prefix before ``AWSLogs/`` ending in ``/`` or empty, the account the URI names, if any)."""
    if not uri.startswith("s3://"):
        raise FetchError(f"{uri!r} is not an s3:// URI: give s3://BUCKET or s3://BUCKET/PREFIX")
    bucket, _, path = uri[len("s3://") :].partition("/")
    if not bucket:
        raise FetchError(f"{uri!r} names no bucket: give s3://BUCKET or s3://BUCKET/PREFIX")
    parts = [p for p in path.split("/") if p]
    if ROOT not in parts:
        return bucket, "".join(f"{p}/" for p in parts), ()
    at = parts.index(ROOT)
    base, rest = "".join(f"{p}/" for p in parts[:at]), parts[at + 1 :]
    if not rest:
        return bucket, base, ()
    if len(rest) == 1 and re.fullmatch(r"\d{12}", rest[0]):
        return bucket, base, (rest[0],)
    raise FetchError(
        f"{uri!r}: give the prefix down to AWSLogs/ (or AWSLogs/ACCOUNT/), "
        "and --account, --region, --source and --since for the rest"
    )
