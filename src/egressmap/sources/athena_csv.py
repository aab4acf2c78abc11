"""The CSV result of the aggregate query ``egressmap athena-sql`` prints, as Athena writes it (docs/athena.md).

One row per (log type, host, port, kind, outcome), under exactly this header (Athena quotes every name and value;
plain CSV reads the same)::

    "log_type","host","port","kind","outcome","count","first_seen","last_seen","clients"

* ``log_type``: ``route53-resolver``, ``vpc-flow`` or ``network-firewall`` (:data:`LOG_TYPES`), named in the reason;
* ``host``: a name or an IP address; a ``vpc-flow`` row's host must be an IP address (flow logs name no host);
* ``port``: the destination port; empty on ``route53-resolver`` rows, which get the port every name seen without one
  gets (443, :func:`egressmap.hostnames.default_port`);
* ``kind``: ``dns`` (Resolver rows) or ``connect`` (the others);
* ``outcome``: ``allowed``, ``denied``, ``failed``, ``nxdomain`` or ``unknown``, as the log readers set them;
* ``count``: how many log records the row stands for (a positive integer);
* ``first_seen``, ``last_seen``: ISO 8601 times (UTC when no zone is given) or epoch seconds; may be empty;
* ``clients``: a sample of client addresses separated by spaces (at most 50 kept).

Each row is an observation at tier ``observed`` with its count; a bad row is counted with its line number and
the rows around it are kept. A header repeated mid-input (results concatenated) is skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import ClassVar, cast, get_args

from ..hostnames import default_port, is_ip
from ..model import OUTCOMES, Kind, Observation, Outcome, Skipped
from .aws_json import name_or_skip
from .interface import Item, Source

CSV_COLUMNS: tuple[str, ...] = (
    "log_type", "host", "port", "kind", "outcome", "count", "first_seen", "last_seen", "clients",
)  # fmt: skip
"""The exact header of an Athena result egressmap reads, in order."""
LOG_TYPES: dict[str, str] = {
    "route53-resolver": "Route 53 Resolver query logs",
    "vpc-flow": "VPC flow logs",
    "network-firewall": "AWS Network Firewall alert logs",
}
"""``log_type`` values and the logs they name in reasons."""
MAX_CLIENTS = 50
"""Clients kept per row (the query keeps as many)."""
NO_HEADER = (
    "Athena result without its header line: egressmap reads the CSV of the query 'egressmap athena-sql' prints, "
    f"whose first line is {','.join(CSV_COLUMNS)}"
)
_KINDS = frozenset(get_args(Kind)) - {"mention"}


class BadRow(ValueError):
    """A row that cannot be used; the message says why."""


class AthenaCsv(Source):
    """The CSV result of egressmap's Athena aggregate query."""

    name = "athena-csv"
    role = "network"
    description = "the CSV result of the Athena query 'egressmap athena-sql' prints (docs/athena.md)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "an Athena aggregate keeps one row per host, port and outcome: no single log lines, a sample of clients",
        "VPC flow log rows name IP addresses only (no DNS answers to name them from)",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """The first non-blank line is the header, quoted or not."""
        first = next((line for line in head if line.strip()), "")
        return 1.0 if _is_header(first) else -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """An observation per row; bad rows as they come; lines before the header counted once."""
        seen_header = False
        orphans: list[int] = []  # [first line, count] of rows before any header
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            if _is_header(line):
                seen_header = True
                continue
            if not seen_header:
                orphans = orphans or [lineno, 0]
                orphans[1] += 1
                continue
            try:
                yield _observation(_fields(line), origin, lineno)
            except BadRow as exc:
                yield Skipped(origin, lineno, f"bad Athena result row: {exc}")
        if orphans:
            yield Skipped(origin, orphans[0], NO_HEADER, count=orphans[1])


def _fields(line: str) -> list[str]:
    try:
        return next(csv.reader([line]), [])
    except csv.Error as exc:
        raise BadRow(f"not a CSV row ({exc})") from exc


def _is_header(line: str) -> bool:
    try:
        return tuple(f.strip() for f in _fields(line)) == CSV_COLUMNS
    except BadRow:
        return False


def _observation(fields: list[str], origin: str, lineno: int) -> Observation | Skipped:
    if len(fields) != len(CSV_COLUMNS):
        raise BadRow(f"{len(fields)} fields, the header names {len(CSV_COLUMNS)}")
    row = dict(zip(CSV_COLUMNS, (f.strip() for f in fields), strict=True))
    log_type = row["log_type"]
    if log_type not in LOG_TYPES:
        raise BadRow(f"log_type {log_type[:40]!r} is not one of {', '.join(LOG_TYPES)}")
    kind = cast(Kind, row["kind"])
    if kind not in _KINDS:
        raise BadRow(f"kind {kind[:20]!r} is not dns or connect")
    if (kind == "dns") != (log_type == "route53-resolver"):
        raise BadRow(f"a {log_type} row has kind {'dns' if log_type == 'route53-resolver' else 'connect'}")
    outcome = cast(Outcome, row["outcome"])
    if outcome not in OUTCOMES:
        raise BadRow(f"outcome {outcome[:20]!r} is not one of {', '.join(OUTCOMES)}")
    host = name_or_skip(row["host"], origin, lineno)
    if isinstance(host, Skipped):
        return host
    if log_type == "vpc-flow" and not is_ip(host):
        raise BadRow(f"a vpc-flow row names {host[:60]!r}, not an IP address")
    first, last = _time(row, "first_seen"), _time(row, "last_seen")
    count = _count(row["count"])
    return Observation(
        host=host,
        port=_port(row["port"], kind),
        kind=kind,
        tier="observed",
        reason=_reason(log_type, outcome, is_ip(host)),
        source=f"{origin}:{lineno}",
        outcome=outcome,
        clients=tuple(dict.fromkeys(row["clients"].split()))[:MAX_CLIENTS],
        time=first,
        last_time=last if count > 1 and last != first else None,
        count=count,
    )


def _port(text: str, kind: str) -> int:
    if not text:
        if kind == "dns":
            return default_port(None)
        raise BadRow("empty port (only DNS rows may leave it empty)")
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise BadRow(f"port {text[:20]!r} is not a number from 1 to 65535")
    return int(text)


def _count(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise BadRow(f"count {text[:20]!r} is not a positive whole number")
    return int(text)


def _time(row: dict[str, str], column: str) -> float | None:
    """Epoch seconds from epoch seconds or ISO 8601 (Athena's ``to_iso8601``); a time without a zone is UTC."""
    text = row[column]
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    cleaned = text.removesuffix(" UTC").replace(" ", "T", 1)
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise BadRow(f"{column} {text[:40]!r} is not an ISO 8601 time or epoch seconds") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _reason(log_type: str, outcome: Outcome, ip: bool) -> str:
    """Words naming Athena and the log type; a DNS row's reason begins with "DNS " as every DNS reason does."""
    logs = LOG_TYPES[log_type]
    if log_type == "route53-resolver":
        what = f"DNS query seen in {logs} (an Athena aggregate; DNS only: no connection seen)"
        notes = {
            "denied": "; blocked by DNS Firewall",
            "nxdomain": "; answered NXDOMAIN",
            "failed": "; failed",
        }
        return what + notes.get(outcome, "")
    if log_type == "vpc-flow":
        rejected = ", REJECT" if outcome == "denied" else ""
        return f"outbound flow in {logs} (an Athena aggregate{rejected}; unattributed IP)"
    what = "connection to an IP address" if ip else "name"
    notes = {"denied": "; blocked", "failed": "; TLS error", "allowed": "; allowed"}
    tail = "; no name seen" if ip else ""
    return f"{what} seen in {logs} (an Athena aggregate{notes.get(outcome, '')}{tail})"
