"""Squid ``access.log`` in any logformat: native, common, combined, or custom (``--squid-logformat``).

Identical requests (same destination, client, method and result) are counted in place while streaming, so
memory grows with distinct destinations, not with the size of the log. Observations come out at the end of
each input, one per distinct request kind, with a count and first/last times.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from ..model import Skipped
from .interface import Item, Source, match_ratio
from .reader import InputStream
from .squid_format import BUILTIN, LogFormat
from .squid_native import read_native, read_native_input
from .squid_tally import MAX_CLIENTS, Tally, outcome_of, split_url

_KEY_FIELDS = (
    "method",
    "result",
    "status",
    "upstream_status",
    "domain",
    "host_header",
    "sni",
    "server",
    "port",
    "server_port",
)
_NATIVE_HEAD = re.compile(r"^\d{9,10}(\.\d+)?\s+-?\d+\s+\S+\s+[A-Z_]+/\d{3}\s+-?\d+\s+\S+\s+\S+")


@lru_cache(maxsize=4096)
def _tl_seconds(value: str) -> float | None:
    for layout in ("%d/%b/%Y:%H:%M:%S %z", "%d/%b/%Y:%H:%M:%S.%f %z"):
        try:
            return datetime.strptime(value, layout).timestamp()
        except ValueError:
            continue
    return None


class SquidLog(Source):
    """A Squid access log in one logformat."""

    role = "proxy"

    def __init__(self, fmt: LogFormat, name: str) -> None:
        self.fmt = fmt
        self.name = name  # type: ignore[misc]
        self.description = f"Squid access.log, logformat {fmt.name}: {fmt.spec}"  # type: ignore[misc]
        self._native = fmt.spec == BUILTIN["squid"]
        # the fields besides the URL that decide a request's destination and outcome
        keys = [k for k in _KEY_FIELDS if k in fmt.groups] or ["url"]
        self._key_of: Callable[[dict[str, str]], object] = itemgetter(*keys)

    def sniff(self, head: Sequence[str]) -> float:
        """Fraction of head lines in this logformat."""
        if self._native:
            return match_ratio(head, lambda line: bool(_NATIVE_HEAD.match(line)))
        lines = [line for line in head if line.strip() and not line.lstrip().startswith("#")]
        fits = [self.fmt.fit(line) for line in lines]
        return sum(fits) / len(lines) if any(fits) else -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Stream the log; bad lines come out at once, observations at the end of the input."""
        if self._native:
            block = "\n".join(lines).encode("utf-8", "surrogateescape")
            yield from read_native([block] if block else [], origin)
            return
        tally = Tally(origin)
        yield from self._read_generic(lines, origin, tally)
        yield from tally.flush()

    @property
    def native(self) -> bool:
        """True for Squid's native format, which has a byte-level fast path (:meth:`read_input`)."""
        return self._native

    def read_input(self, stream: InputStream, meanwhile: Callable[[], None] | None = None) -> Iterator[Item]:
        """Native format only: the byte-level fast path over an opened input (two processes for a big file).

        ``meanwhile`` runs while a child process works (the caller warms up what it needs next).
        """
        return read_native_input(stream, meanwhile)

    def _read_generic(self, lines: Iterable[str], origin: str, tally: Tally) -> Iterator[Item]:
        """Count lines by their destination and outcome fields (the URL cut to its authority) in one pass.

        Each distinct kind of request is turned into a destination once, on its first line; its first and
        last records give the times at the end.
        """
        match = self.fmt.match
        key_of = self._key_of
        bad = f"line does not match logformat {self.fmt.name!r}"
        rows: dict[tuple[str, object], list[Any] | None] = {}
        for lineno, line in enumerate(lines, 1):
            head = line[:1]
            if not head or head in "# \t":
                if not line.strip() or line.lstrip().startswith("#"):
                    continue
            found = match(line)
            if found is None and head.isspace():  # an indented paste (a log quoted in an issue or a mail)
                found = match(line.strip())
            if found is None:
                yield Skipped(origin, lineno, bad)
                continue
            rec = found.groupdict()
            url = rec.get("url") or ""
            sep = url.find("://")
            if sep > 0:
                end = url.find("/", sep + 3)
                if end > 0:
                    url = url[:end]
            key = (url, key_of(rec))
            row = rows.get(key)
            if row is None:
                row = self._first_of_kind(rec, lineno) if key not in rows else None
                rows[key] = row
                if row is None:
                    yield Skipped(origin, lineno, "no destination in the logged fields", kind="dropped")
                continue
            row[0] += 1
            row[3] = rec
            clients = row[4]
            if len(clients) < MAX_CLIENTS:
                clients.add(rec.get("client") or "")
        time = self._time
        for row in rows.values():
            if row is not None:
                count, lineno, first, last, clients, where, method, outcome = row
                tally.add(
                    lineno,
                    method,
                    where[0],
                    where[1],
                    outcome,
                    clients,
                    time(first),
                    time(last),
                    where[2],
                    count,
                )

    def _first_of_kind(self, rec: dict[str, str], lineno: int) -> list[Any] | None:
        method = rec.get("method")
        if method is None:
            method = "-"
        where = self.destination(rec, method)
        if where is None:
            return None
        result = rec.get("result") or ""
        status = rec.get("status") or rec.get("upstream_status") or ""
        outcome = outcome_of(result, status, method)
        return [1, lineno, rec, rec, {rec.get("client") or ""}, where, method, outcome]

    @staticmethod
    def destination(rec: dict[str, str], method: str) -> tuple[str | None, str, str] | None:
        """(scheme, authority, sample URL) named by a parsed record's fields; None when none names one."""
        url = rec.get("url", "")
        if url:
            found = split_url(method, url)
            if found is not None:
                return found
        host = next(
            (rec[k] for k in ("domain", "host_header", "sni", "server") if rec.get(k, "-") != "-"), ""
        )
        if not host:
            return None
        port = rec.get("port") or rec.get("server_port") or ""
        authority = f"{host}:{port}" if port.isdigit() and ":" not in host else host
        return (None if method == "CONNECT" else "http"), authority, ""

    @staticmethod
    def _time(rec: dict[str, str]) -> float | None:
        if "ts" in rec:
            try:
                return float(rec["ts"]) + (float(rec["tu"]) / 1000 if rec.get("tu", "").isdigit() else 0.0)
            except ValueError:
                return None
        stamp = rec.get("tl") or rec.get("tg")
        return _tl_seconds(stamp) if stamp else None
