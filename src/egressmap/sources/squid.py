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
from typing import Any, cast

from ..hostnames import default_port, drop_reason, normalize_host, split_host_port
from ..model import Observation, Outcome, Skipped
from .interface import Item, Source, match_ratio
from .squid_format import BUILTIN, LogFormat
from .squid_native import rows_in_order, tally_native, tally_native_file


def _seconds(raw: bytes) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


MAX_CLIENTS = 50
"""Clients kept per observation (a sample; see :data:`.squid_native.CLIENT_SAMPLE`)."""
_NATIVE_HEAD = re.compile(r"^\d{9,10}(\.\d+)?\s+-?\d+\s+\S+\s+[A-Z_]+/\d{3}\s+-?\d+\s+\S+\s+\S+")
_FAILED_STATUS = frozenset({"000", "0", "502", "503", "504"})


@lru_cache(maxsize=4096)
def outcome_of(result: str, status: str) -> Outcome:
    """Map Squid's result code and HTTP status to allowed / denied / failed / unknown.

    >>> outcome_of("TCP_DENIED", "403"), outcome_of("TCP_MISS", "503")
    ('denied', 'failed')
    >>> outcome_of("TCP_TUNNEL", "200"), outcome_of("TCP_MISS", "304")
    ('allowed', 'allowed')

    A gateway error (502/503/504, or no status) counts as failed whatever ``%Sh`` says: Squid logs a refused
    upstream connection as ``TCP_MISS/503 ... HIER_DIRECT``, and formats without ``%Sh`` must agree.
    """
    if "DENIED" in result or status == "407":
        return "denied"
    if "ABORTED" in result or result.startswith("ERR") or result == "NONE_NONE":
        return "failed"
    if status in _FAILED_STATUS:
        return "failed"
    if not result and not status:
        return "unknown"
    return "allowed"


@lru_cache(maxsize=4096)
def _tl_seconds(value: str) -> float | None:
    try:
        return datetime.strptime(value, "%d/%b/%Y:%H:%M:%S %z").timestamp()
    except ValueError:
        return None


class _Tally:
    """Counts identical requests; turns each distinct one into an Observation at the end."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        # (method, scheme, authority, outcome) -> [count, first lineno, first time, last time, url, clients]
        self.rows: dict[tuple[str, str | None, str, str], list[Any]] = {}

    def add(
        self,
        lineno: int,
        method: str,
        scheme: str | None,
        authority: str,
        outcome: str,
        clients: Iterable[str | bytes],
        first: float | None,
        last: float | None,
        url: str,
        count: int = 1,
    ) -> None:
        """Count ``count`` requests (lines at and after ``lineno``)."""
        key = (method, scheme, authority, outcome)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = [count, lineno, first, last, url, set(clients)]
            return
        row[0] += count
        if last is not None:
            row[3] = last
        if len(row[5]) < MAX_CLIENTS:
            row[5].update(clients)

    def flush(self) -> Iterator[Item]:
        """One observation per distinct request kind, in order of first appearance."""
        origin = self.origin
        decoded: dict[str | bytes, str] = {}  # a log has few distinct clients: decode each once
        for (method, scheme, authority, outcome), row in self.rows.items():
            count, lineno, first, last, url, clients = row
            try:
                raw, port = split_host_port(authority, default_port(scheme))
                host = normalize_host(raw)
            except ValueError as exc:
                yield Skipped(origin, lineno, f"{exc}: {authority[:80]!r}", count=count)
                continue
            why = drop_reason(host)
            if why:
                yield Skipped(origin, lineno, f"{why}: {host}", kind="dropped", count=count)
                continue
            verb = "CONNECT tunnel" if method == "CONNECT" else f"{method} request"
            reason = f"{verb} seen in squid log" + (" (denied by the proxy)" if outcome == "denied" else "")
            yield Observation(
                host=host,
                port=port,
                kind="connect",
                tier="observed",
                reason=reason,
                source=f"{origin}:{lineno}",
                scheme=scheme or ("https" if port == 443 else None),
                outcome=cast(Outcome, outcome),
                clients=_client_names(clients, decoded),
                time=first,
                last_time=last,
                url=url or None,
                count=count,
            )


def _client_names(clients: Iterable[str | bytes], decoded: dict[str | bytes, str]) -> tuple[str, ...]:
    names = {decoded.get(c) or decoded.setdefault(c, _text(c)) for c in clients}
    names.discard("")
    names.discard("-")
    return tuple(sorted(names))[:MAX_CLIENTS]


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("utf-8", "replace")


def split_url(method: str, url: str) -> tuple[str | None, str, str] | None:
    """(scheme, authority, sample URL) of a logged request URL; None when it names no destination.

    >>> split_url("CONNECT", "pypi.org:443")
    (None, 'pypi.org:443', '')
    >>> split_url("GET", "http://user:pw@mirror.example.com:8080/ubuntu/dists?x=1")
    ('http', 'mirror.example.com:8080', 'http://mirror.example.com:8080/ubuntu/dists')
    """
    sep = url.find("://")
    if sep < 0 and url.startswith(("error:", "cache_object:", "-")):
        return None
    if sep < 0:
        if method == "CONNECT" or (url and url[0] != "/" and ":" in url and " " not in url):
            return None, url, ""
        return None
    scheme = url[:sep].lower()
    rest = url[sep + 3 :]
    slash = rest.find("/")
    authority = rest if slash < 0 else rest[:slash]
    path = "" if slash < 0 else rest[slash:]
    for mark in "?#":
        if mark in authority:
            authority, _, tail = authority.partition(mark)
            path = ""
        if mark in path:
            path = path.split(mark, 1)[0]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]
    return scheme, authority, f"{scheme}://{authority}{path[:200]}"


class SquidLog(Source):
    """A Squid access log in one logformat."""

    def __init__(self, fmt: LogFormat, name: str) -> None:
        self.fmt = fmt
        self.name = name  # type: ignore[misc]
        self.description = f"Squid access.log, logformat {fmt.name}: {fmt.spec}"  # type: ignore[misc]
        self._native = fmt.spec == BUILTIN["squid"]

    def sniff(self, head: Sequence[str]) -> float:
        """Fraction of head lines in this logformat."""
        check: Callable[[str], bool] = (
            (lambda line: bool(_NATIVE_HEAD.match(line))) if self._native else self.fmt.matches
        )
        return match_ratio(head, check)

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Stream the log; bad lines come out at once, observations at the end of the input."""
        if self._native:
            block = "\n".join(lines).encode("utf-8", "surrogateescape")
            yield from self.read_raw([block] if block else [], origin)
            return
        tally = _Tally(origin)
        yield from self._read_generic(lines, origin, tally)
        yield from tally.flush()

    @property
    def native(self) -> bool:
        """True for Squid's native format, which has a byte-level fast path (:meth:`read_raw`)."""
        return self._native

    def read_raw(
        self,
        blocks: Iterable[bytes],
        origin: str,
        path: str | None = None,
        meanwhile: Callable[[], None] | None = None,
    ) -> Iterator[Item]:
        """Native format only: the fast path over raw blocks (or, for a big plain file, its path).

        ``meanwhile`` runs while a forked child parses part of a big file (the caller warms up what it needs next).
        """
        done = tally_native_file(path, origin, meanwhile) if path else None
        rows, skipped, _ = done if done is not None else tally_native(blocks, origin)
        yield from skipped
        tally = _Tally(origin)
        words: dict[bytes, str] = {}  # status codes and methods: few distinct values, decoded once each
        for (raw_url, raw_code, raw_method), row in rows_in_order(rows):
            count, lineno, first, last, clients, sample = row
            try:
                url = raw_url.decode("utf-8")
                code = words.get(raw_code) or words.setdefault(raw_code, raw_code.decode("utf-8"))
                method = words.get(raw_method) or words.setdefault(raw_method, raw_method.decode("utf-8"))
            except UnicodeDecodeError:
                yield Skipped(
                    origin, lineno, "invalid UTF-8 in the destination or status fields", count=count
                )
                continue
            result, _, status = code.partition("/")
            outcome = outcome_of(result, status)
            where = split_url(method, url)
            if where is None:
                yield Skipped(
                    origin, lineno, f"no destination in URL {url[:80]!r}", kind="dropped", count=count
                )
                continue
            sample_url = (
                where[2]
                if sample == raw_url
                else (split_url(method, sample.decode("utf-8", "replace")) or (None, "", ""))[2]
            )
            tally.add(
                lineno,
                method,
                where[0],
                where[1],
                outcome,
                clients,
                _seconds(first),
                _seconds(last),
                sample_url,
                count,
            )
        yield from tally.flush()

    def _read_generic(self, lines: Iterable[str], origin: str, tally: _Tally) -> Iterator[Item]:
        parse = self.fmt.parse
        for lineno, line in enumerate(lines, 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            rec = parse(line)
            if rec is None:
                yield Skipped(origin, lineno, f"line does not match logformat {self.fmt.name!r}")
                continue
            method = rec.get("method", "-")
            where = self._destination(rec, method)
            if where is None:
                yield Skipped(origin, lineno, "no destination in the logged fields", kind="dropped")
                continue
            result = rec.get("result", "")
            status = rec.get("status") or rec.get("upstream_status", "")
            outcome = outcome_of(result, status)
            when = self._time(rec)
            tally.add(
                lineno, method, where[0], where[1], outcome, (rec.get("client", ""),), when, when, where[2]
            )

    @staticmethod
    def _destination(rec: dict[str, str], method: str) -> tuple[str | None, str, str] | None:
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
