"""``fetch s3``: the AWS log objects under a bucket prefix, found level by level, never by a bucket-wide listing.

For each kind of log asked for, each layout of :mod:`.s3_layout` is walked from the bucket's prefix down: fixed
levels are appended, ``{account}``/``{region}`` take the values given (or, without them, the children one
ListObjectsV2 call with ``Delimiter='/'`` finds there), ``*`` levels take the children found; then each day of
the range is one prefix, listed in full. Only those prefixes are ever listed. The sizes listed give the bytes to
read before any object is read: above a limit the fetch stops with the estimate unless told to go on.

Objects are read one after another (see :mod:`.s3_read`); Parquet objects (flow logs delivered as Parquet) are
counted and left out, since egressmap reads the text format.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .aws import FetchError, aws_errors, parse_time
from .s3_layout import KINDS, LAYOUTS, ROOT, Layout, days, fill, fits, parse_uri, variable

DEFAULT_MAX_BYTES = 1 << 30
"""Bytes (as stored, so gzip) a fetch reads without being told to go on (``--yes`` or ``--max-size``)."""
DEFAULT_SINCE = "1d"
"""How far back the days go without ``--since``: today and yesterday (UTC)."""
PARQUET = "Parquet objects left out (egressmap reads flow logs in the text format)"
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


@dataclass(frozen=True)
class S3Query:
    """What to list: a bucket and the prefix before ``AWSLogs/``, accounts, regions, kinds and a day range."""

    bucket: str
    base: str = ""
    """The prefix before ``AWSLogs/`` (the one given to the log delivery), ending in ``/``, or empty."""
    accounts: tuple[str, ...] = ()
    """Accounts to read; empty: those found under ``AWSLogs/``."""
    regions: tuple[str, ...] = ()
    """Regions to read (flow logs and Network Firewall; Resolver paths have none); empty: those found."""
    kinds: tuple[str, ...] = KINDS
    start_ms: int = 0
    end_ms: int = 0
    page_size: int | None = None
    """ListObjectsV2 ``MaxKeys`` (the service's 1,000 when None)."""

    @property
    def uri(self) -> str:
        """``s3://bucket/prefix/``."""
        return f"s3://{self.bucket}/{self.base}"


@dataclass(frozen=True)
class S3Object:
    """One object listed."""

    key: str
    size: int


@dataclass
class Listing:
    """What the listing found."""

    objects: dict[str, list[S3Object]] = field(default_factory=dict)
    """Kind -> its objects, in listing order (by layout, then prefix, then key)."""
    left_out: Counter[str] = field(default_factory=Counter)
    """Why -> how many objects found were left out."""
    prefixes: list[str] = field(default_factory=list)
    """Every prefix listed, in order (``Delimiter='/'`` ones included)."""
    days: list[date] = field(default_factory=list)

    def size(self, kind: str | None = None) -> int:
        """Bytes to read (of one kind, or all)."""
        return sum(o.size for k, objs in self.objects.items() if kind in (None, k) for o in objs)

    def count(self) -> int:
        """Objects to read."""
        return sum(len(objs) for objs in self.objects.values())

    def span(self) -> str:
        """The days listed, as ``2026-11-02..2026-11-03``."""
        return f"{self.days[0]}..{self.days[-1]}" if self.days else "no day"


class Lister:
    """ListObjectsV2 calls under one bucket: one level (``Delimiter='/'``, cached) or a day's prefix in full."""

    def __init__(self, client: Any, query: S3Query) -> None:
        self.client, self.query = client, query
        self.listed: list[str] = []
        self._children: dict[str, list[str]] = {}

    def _pages(self, prefix: str, delimiter: bool) -> Iterator[dict[str, Any]]:
        self.listed.append(prefix)
        args: dict[str, Any] = {"Bucket": self.query.bucket, "Prefix": prefix}
        if delimiter:
            args["Delimiter"] = "/"
        if self.query.page_size:
            args["PaginationConfig"] = {"PageSize": self.query.page_size}
        with aws_errors("S3", self.explain):
            yield from self.client.get_paginator("list_objects_v2").paginate(**args)

    def children(self, prefix: str) -> list[str]:
        """The names one level under ``prefix``, each ending in ``/``."""
        if prefix not in self._children:
            found = [
                p["Prefix"][len(prefix) :]
                for page in self._pages(prefix, delimiter=True)
                for p in page.get("CommonPrefixes", ())
            ]
            self._children[prefix] = found
        return self._children[prefix]

    def objects(self, prefix: str) -> Iterator[S3Object]:
        """Every object under ``prefix``."""
        for page in self._pages(prefix, delimiter=False):
            for item in page.get("Contents", ()):
                yield S3Object(item["Key"], int(item.get("Size", 0)))

    def day_prefixes(self, layout: Layout, span: Sequence[date]) -> list[str]:
        """The prefixes of the days in ``span`` under every path of ``layout`` that exists (or was given)."""
        given = {"{account}": self.query.accounts, "{region}": self.query.regions}
        prefixes = [self.query.base]
        for level in layout.levels:
            name = variable(level)
            values = given.get(name or "", ())
            step: list[str] = []
            for prefix in prefixes:
                if name is None:
                    step.append(f"{prefix}{level}/")
                elif values:
                    step.extend(f"{prefix}{fill(level, v)}/" for v in values)
                else:
                    step.extend(prefix + c for c in self.children(prefix) if fits(level, c) is not None)
            prefixes = step
        return [prefix + layout.day_prefix(day) for prefix in prefixes for day in span]

    def explain(self, code: str, detail: str) -> str:
        """One line for an S3 error code."""
        bucket = self.query.bucket
        if code == "NoSuchBucket":
            return f"no such S3 bucket {bucket!r} (check the name, and --endpoint-url if one is set)"
        if code in ("AccessDenied", "AccessDeniedException", "AllAccessDisabled"):
            return (
                f"access denied to s3://{bucket}/{self.listed[-1] if self.listed else ''}: the credentials "
                "need s3:ListBucket on the bucket (and s3:GetObject on AWSLogs/*)"
            )
        return f"S3 error: {detail}"


def make_query(
    uri: str,
    accounts: Sequence[str] = (),
    regions: Sequence[str] = (),
    kinds: Sequence[str] = (),
    since: str | None = None,
    until: str | None = None,
) -> S3Query:
    """The query for ``s3://BUCKET[/PREFIX]`` and the flags (``since`` defaults to :data:`DEFAULT_SINCE`)."""
    bucket, base, named = parse_uri(uri)
    unknown = sorted(set(kinds) - set(KINDS))
    if unknown:
        raise FetchError(f"unknown kind of log {unknown[0]!r}: choose from {', '.join(KINDS)}")
    for account in accounts:
        if not account.isdigit() or len(account) != 12:
            raise FetchError(f"{account!r} is not an AWS account id (12 digits)")
    return S3Query(
        bucket=bucket,
        base=base,
        accounts=tuple(dict.fromkeys((*named, *accounts))),
        regions=tuple(dict.fromkeys(regions)),
        kinds=tuple(k for k in KINDS if k in kinds) if kinds else KINDS,
        start_ms=parse_time(since or DEFAULT_SINCE),
        end_ms=parse_time(until) if until else int(time.time() * 1000),
    )


def list_logs(client: Any, query: S3Query) -> Listing:
    """Every log object of the kinds, accounts, regions and days of ``query``."""
    lister = Lister(client, query)
    listing = Listing(days=days(query.start_ms, query.end_ms))
    for layout in LAYOUTS:
        if layout.kind not in query.kinds:
            continue
        for prefix in lister.day_prefixes(layout, listing.days):
            for obj in lister.objects(prefix):
                if obj.key.endswith("/"):
                    continue  # a "folder" made in the console
                if obj.key.endswith(".parquet"):
                    listing.left_out[PARQUET] += 1
                    continue
                listing.objects.setdefault(layout.kind, []).append(obj)
    listing.prefixes = lister.listed
    return listing


def check_size(listing: Listing, uri: str, max_bytes: int, advice: str) -> None:
    """Stop with one line giving the estimate when more than ``max_bytes`` would be read."""
    total = listing.size()
    if total > max_bytes:
        raise FetchError(
            f"{uri}: {listing.count()} objects, {human(total)} to read ({listing.span()}), "
            f"over the {human(max_bytes)} limit: {advice}"
        )


def nothing_found(listing: Listing, uri: str) -> FetchError:
    """The error for a listing that found no log object."""
    left = "".join(f"; {n} {why}" for why, n in listing.left_out.items())
    return FetchError(
        f"{uri}: no log objects under {ROOT}/ for {listing.span()} ({len(listing.prefixes)} prefixes listed"
        f"{left}): check the bucket prefix, --account, --region, --source and --since"
    )


def human(size: int) -> str:
    """A byte count for people.

    >>> human(1536), human(3 << 30), human(12)
    ('1.5 KiB', '3.0 GiB', '12 B')
    """
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{size} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def parse_size(text: str) -> int:
    """Bytes from ``500M``, ``2G``, ``1T`` or a plain number (powers of 1024).

    >>> parse_size("2G"), parse_size("500m"), parse_size("1024")
    (2147483648, 524288000, 1024)
    """
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    number, unit = (cleaned[:-1], cleaned[-1]) if cleaned[-1:] in _UNITS else (cleaned, "")
    try:
        return int(float(number) * _UNITS[unit])
    except ValueError:
        raise FetchError(
            f"cannot read the size {text!r}: give bytes, or a number with K, M, G or T"
        ) from None


__all__ = [
    "DEFAULT_MAX_BYTES",
    "KINDS",
    "Lister",
    "Listing",
    "S3Object",
    "S3Query",
    "check_size",
    "human",
    "list_logs",
    "make_query",
    "nothing_found",
    "parse_size",
]
