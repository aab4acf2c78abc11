"""Counting identical Squid requests in place, and turning each distinct one into an Observation.

Shared by every Squid logformat: the generic parser adds one line at a time, the native fast path
(:mod:`.squid_native`) adds rows it has already counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

from ..hostnames import default_port, drop_reason, fast_plain_destination, normalize_host, split_host_port
from ..model import Observation, Outcome, Skipped
from .interface import Item

MAX_CLIENTS = 50
"""Clients kept per observation (a sample; see :data:`.squid_count.CLIENT_SAMPLE`)."""
_NO_CLIENT = frozenset({"", "-"})
_FAILED_STATUS = frozenset({"000", "0", "502", "503", "504"})


@lru_cache(maxsize=4096)
def outcome_of(result: str, status: str, method: str = "") -> Outcome:
    """Map Squid's result code, HTTP status and method to allowed / denied / failed / unknown.

    >>> outcome_of("TCP_DENIED", "403"), outcome_of("TCP_MISS", "503")
    ('denied', 'failed')
    >>> outcome_of("TCP_TUNNEL", "200"), outcome_of("TCP_MISS", "304")
    ('allowed', 'allowed')
    >>> outcome_of("TCP_TUNNEL", "500", "CONNECT"), outcome_of("NONE", "400", "CONNECT")
    ('failed', 'failed')

    A gateway error (502/503/504, or no status) counts as failed whatever ``%Sh`` says: Squid logs a refused
    upstream connection as ``TCP_MISS/503 ... HIER_DIRECT``, and formats without ``%Sh`` must agree. A
    ``CONNECT`` answered 4xx/5xx never became a tunnel (the status is the proxy's own answer), so it failed.
    """
    if "DENIED" in result or status == "407":
        return "denied"
    if "ABORTED" in result or result.startswith("ERR") or result == "NONE_NONE":
        return "failed"
    if status in _FAILED_STATUS or (method == "CONNECT" and status[:1] in ("4", "5")):
        return "failed"
    if not result and not status:
        return "unknown"
    return "allowed"


class Tally:
    """Counts identical requests; turns each distinct one into an Observation at the end."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        # (method, scheme, authority, outcome) -> [count, first lineno, first time, last time, url, clients]; the
        # clients a set, or a tuple of one (as the native path hands them over) until another comes
        self.rows: dict[tuple[str, str | None, str, Outcome], list[Any]] = {}

    def add(
        self,
        lineno: int,
        method: str,
        scheme: str | None,
        authority: str,
        outcome: Outcome,
        clients: Iterable[str],
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
        if last is not None and (
            row[3] is None or last > row[3]
        ):  # rows of the native path come by first line
            row[3] = last
        if len(row[5]) < MAX_CLIENTS:
            if type(row[5]) is tuple:
                row[5] = set(row[5])
            row[5].update(clients)

    def absorb(self, later: Tally, offset: int) -> None:
        """Count in the rows of a later part of the same input, whose line numbers start after ``offset``.

        ``later`` is emptied: its rows are taken over (or let go once counted) as they come.
        """
        rows, later.rows = later.rows, {}
        take, mine = rows.pop, self.rows
        for key in list(rows):  # each row is taken over or let go as it comes: never both tallies whole
            row = take(key)
            if key not in mine:
                row[1] += offset
                mine[key] = row
                continue
            count, lineno, first, last, url, clients = row
            self.add(lineno + offset, *key, clients, first, last, url, count)

    def flush(self) -> Iterator[Item]:
        """One observation per distinct request kind, in order of first appearance; the tally is emptied."""
        origin = self.origin
        reasons: dict[tuple[str, str], str] = {}  # one string per (method, outcome), shared by observations
        rows = self.rows
        take = rows.pop
        keys = list(rows)
        keys.reverse()
        # each row and key is let go once used: its memory serves the destinations built meanwhile
        while keys:
            key = keys.pop()
            method, scheme, authority, outcome = key
            count, lineno, first, last, url, clients = take(key)
            plain = fast_plain_destination(authority, 443 if scheme is None else default_port(scheme))
            if plain is not None:  # most authorities: canonical and usable, checked at once
                host, port = plain
            else:
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
            reason = reasons.get((method, outcome))
            if reason is None:
                reason = reasons[(method, outcome)] = _reason(method, outcome)
            if "-" in clients or "" in clients:
                clients = set(clients) - _NO_CLIENT
            names = tuple(clients) if len(clients) < 2 else tuple(sorted(clients))
            yield Observation(  # positional (the fields' order): a third quicker than by keyword
                host,
                port,
                "connect",
                "observed",
                reason,
                f"{origin}:{lineno}",
                scheme or ("https" if port == 443 else None),
                outcome,
                names if len(names) <= MAX_CLIENTS else names[:MAX_CLIENTS],
                first,
                last,
                url or None,
                count,
            )


def _reason(method: str, outcome: str) -> str:
    verb = "CONNECT tunnel" if method == "CONNECT" else f"{method} request"
    return f"{verb} seen in squid log" + (" (denied by the proxy)" if outcome == "denied" else "")


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
