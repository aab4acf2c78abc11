"""Aggregate observations by (host, port) into destinations.

Most destinations of a big log rest on a single observation (a parser that counts identical requests in place,
as the Squid ones do, gives one observation per distinct request kind). The table keeps such a destination as
that observation, about a fifth of the memory of a :class:`~egressmap.model.Destination` with its sets and
lists, and builds the Destination when it is read; a second observation of the same key turns it into one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from .gcpause import paused_gc
from .model import TIER_RANK, Destination, Observation

MAX_SOURCES = 5
"""Sample sources kept per destination: each input's first line naming it, the first inputs by name. The sample
does not depend on the order the inputs are read in, or on how they are split (see :mod:`.evidence`)."""
MAX_URLS = 3
"""Sample URLs kept per destination: the first by name."""
MAX_CLIENTS = 50

Key = tuple[str, int]


class DestinationTable(Mapping[Key, Destination]):
    """Destinations by (host, port), as :func:`aggregate` made them.

    Read-only: a destination seen once is built afresh on every read, so changing the Destination a read
    returns does not change the table.
    """

    __slots__ = ("_items", "_ports", "_reasons")

    def __init__(self) -> None:
        self._items: dict[Key, Observation | Destination] = {}
        self._ports: set[int] = set()
        """Every port a key has (most tables have a few)."""
        self._reasons: dict[tuple[str, str], str] = {}
        """Each distinct ``"tier: why"`` once, shared by the destinations."""

    def __getitem__(self, key: Key) -> Destination:
        item = self._items[key]
        return item if isinstance(item, Destination) else _first(item, self._reason(item))

    def __iter__(self) -> Iterator[Key]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def stored(self) -> Mapping[Key, Observation | Destination]:
        """What the table holds by key, read-only: a destination seen once is still its one observation.

        For readers that can use an observation as it is (:func:`egressmap.scan_rows.iter_scan_rows` makes a row
        of it without building the Destination); reading the table itself gives the same destination.
        """
        return MappingProxyType(self._items)

    def sorted_out(self, drain: bool = False) -> Iterator[tuple[Observation, str] | Destination]:
        """Each destination, as (observation, its reason) when it is one observation alone on its host.

        Any other (seen more than once, or its host on several ports) comes as a Destination. For readers that
        make the same of an observation as of the Destination it stands for (:func:`egressmap.policy.build_policy`)
        without building one per destination. With ``drain`` the table is emptied as they go (for a caller that
        no longer needs it: what it makes of them takes their memory).
        """
        several = self._several_ports()
        reason = self._reason
        items = list(self._items.values())
        if drain:  # its table (41 MB for a million destinations) let go now, before the caller's list grows
            self._items = {}
            items.reverse()
        take = items.pop if drain else iter(items).__next__
        for _ in range(len(items)):
            item = take()
            if isinstance(item, Destination):
                yield item
            elif item.host in several:
                yield _first(item, reason(item))
            else:
                yield item, reason(item)

    def _several_ports(self) -> set[str]:
        """The hosts stored under more than one port."""
        several: set[str] = set()
        if len(self._ports) < 2:  # (a DNS log's names all take the one default port)
            return several
        seen: set[str] = set()
        for host, _ in self._items:
            if host in seen:
                several.add(host)
            else:
                seen.add(host)
        return several

    def _reason(self, obs: Observation) -> str:
        reason = self._reasons.get((obs.tier, obs.reason))
        if reason is None:
            reason = self._reasons[(obs.tier, obs.reason)] = f"{obs.tier}: {obs.reason}"
        return reason

    def add(self, obs: Observation) -> None:
        """Fold one observation in."""
        key = (obs.host, obs.port)
        items = self._items
        dest = items.get(key)
        if dest is None:
            items[key] = obs
            self._ports.add(obs.port)
            return
        if not isinstance(dest, Destination):
            dest = items[key] = _first(dest, self._reason(dest))
        tier = obs.tier
        if tier != dest.tier and TIER_RANK[tier] < TIER_RANK[dest.tier]:
            dest.tier = tier
        count, outcome, outcomes = obs.count, obs.outcome, dest.outcomes
        dest.count += count
        outcomes[outcome] = outcomes.get(outcome, 0) + count
        dest.reasons.add(self._reason(obs))
        if obs.source not in dest.sources:
            add_source(dest.sources, obs.source)
        if obs.clients:
            clients = dest.clients
            clients.update(obs.clients)
            if len(clients) > MAX_CLIENTS:  # a sample that does not depend on the order: the first by name
                dest.clients = set(sorted(clients)[:MAX_CLIENTS])
        if obs.scheme:
            dest.schemes.add(obs.scheme)
        url = obs.url
        if url and url not in dest.urls:
            add_url(dest.urls, url)
        for when in (obs.time, obs.last_time):
            if when is not None:
                first, last = dest.first_seen, dest.last_seen
                if first is None or when < first:
                    dest.first_seen = when
                if last is None or when > last:
                    dest.last_seen = when

    def absorb(self, other: Destination) -> None:
        """Fold in a destination aggregated elsewhere (another part of the inputs, a summary)."""
        key = (other.host, other.port)
        items = self._items
        dest = items.get(key)
        if dest is None:
            self._ports.add(other.port)
            items[key] = Destination(
                other.host,
                other.port,
                count=other.count,
                tier=other.tier,
                outcomes=dict(other.outcomes),
                reasons=set(other.reasons),
                sources=list(other.sources),
                clients=set(other.clients),
                schemes=set(other.schemes),
                urls=list(other.urls),
                first_seen=other.first_seen,
                last_seen=other.last_seen,
            )
            return
        if not isinstance(dest, Destination):
            dest = items[key] = _first(dest, self._reason(dest))
        if TIER_RANK[other.tier] < TIER_RANK[dest.tier]:
            dest.tier = other.tier
        dest.count += other.count
        for outcome, n in other.outcomes.items():
            dest.outcomes[outcome] = dest.outcomes.get(outcome, 0) + n
        dest.reasons |= other.reasons
        for source in other.sources:
            if source not in dest.sources:
                add_source(dest.sources, source)
        dest.clients |= other.clients
        if len(dest.clients) > MAX_CLIENTS:
            dest.clients = set(sorted(dest.clients)[:MAX_CLIENTS])
        dest.schemes |= other.schemes
        for url in other.urls:
            if url not in dest.urls:
                add_url(dest.urls, url)
        for when in (other.first_seen, other.last_seen):
            if when is not None:
                if dest.first_seen is None or when < dest.first_seen:
                    dest.first_seen = when
                if dest.last_seen is None or when > dest.last_seen:
                    dest.last_seen = when


_SOURCE = re.compile(r"(.*):(\d+)( \(.*\))?", re.DOTALL)


def split_source(source: str) -> tuple[str, int, str]:
    """(input, line, tail) of ``file:line`` or ``file:line (GROUP STREAM)``; (source, 0, "") without a line.

    >>> split_source("access.log:12"), split_source("f.log:3 (/aws/group stream-1)")
    (('access.log', 12, ''), ('f.log', 3, ' (/aws/group stream-1)'))
    >>> split_source("s3://b/AWSLogs/x.log.gz:7"), split_source("catalog")
    (('s3://b/AWSLogs/x.log.gz', 7, ''), ('catalog', 0, ''))
    """
    name, colon, line = source.rpartition(":")
    if colon and line.isdecimal():  # most sources (``file:line``): what the pattern finds, without it
        return name, int(line), ""
    found = _SOURCE.fullmatch(source)
    return (found[1], int(found[2]), found[3] or "") if found else (source, 0, "")


def source_key(source: str) -> tuple[str, int, str]:
    """A source's sort key: by input, then line (a source without a line number sorts as line 0)."""
    return split_source(source)


def add_source(sources: list[str], source: str) -> None:
    """Keep in ``sources`` (sorted) each input's first line, for the first :data:`MAX_SOURCES` inputs by name.

    >>> kept = ["a.log:9"]
    >>> for s in ("b.log:3", "a.log:4", "a.log:7", "c.log:1"):
    ...     add_source(kept, s)
    >>> kept
    ['a.log:4', 'b.log:3', 'c.log:1']
    """
    name, line, _ = split_source(source)
    for i, kept in enumerate(sources):
        kept_name, kept_line, _ = split_source(kept)
        if kept_name == name:
            if line < kept_line:
                sources[i] = source
            return
    sources.append(source)
    sources.sort(key=source_key)
    del sources[MAX_SOURCES:]


def add_url(urls: list[str], url: str) -> None:
    """Keep the first :data:`MAX_URLS` sample URLs by name (a sample that does not depend on the order)."""
    urls.append(url)
    urls.sort()
    del urls[MAX_URLS:]


def aggregate(observations: Iterable[Observation]) -> DestinationTable:
    """Fold observations into destinations keyed by (host, port); memory grows with distinct keys.

    The garbage collector is paused meanwhile (:mod:`.gcpause`), for the parsers that feed this loop too.
    """
    table = DestinationTable()
    add = table.add
    with paused_gc():
        for obs in observations:
            add(obs)
    return table


def _first(obs: Observation, reason: str) -> Destination:
    """The destination of its first observation (what folding it into an empty one gives)."""
    clients = set(obs.clients)
    if len(clients) > MAX_CLIENTS:
        clients = set(sorted(clients)[:MAX_CLIENTS])
    first, last = obs.time, obs.last_time
    if first is None or last is None:
        first = last = last if first is None else first
    else:  # what min() and max() of [first, last] give, NaN included
        first, last = (last if last < first else first), (last if last > first else first)
    count, url, scheme = obs.count, obs.url, obs.scheme
    return Destination(  # positional (the fields' order): quicker than by keyword
        obs.host,
        obs.port,
        count,
        obs.tier,
        {obs.outcome: count},
        {reason},
        [obs.source] if MAX_SOURCES else [],
        clients,
        {scheme} if scheme else set(),
        [url] if url and MAX_URLS else [],
        first,
        last,
    )


__all__ = [
    "MAX_CLIENTS",
    "MAX_SOURCES",
    "MAX_URLS",
    "DestinationTable",
    "add_source",
    "aggregate",
    "source_key",
]
