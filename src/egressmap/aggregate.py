"""Aggregate observations by (host, port) into destinations.

Most destinations of a big log rest on a single observation (a parser that counts identical requests in place,
as the Squid ones do, gives one observation per distinct request kind). The table keeps such a destination as
that observation, about a fifth of the memory of a :class:`~egressmap.model.Destination` with its sets and
lists, and builds the Destination when it is read; a second observation of the same key turns it into one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType

from .gcpause import paused_gc
from .model import TIER_RANK, Destination, Observation

MAX_SOURCES = 5
"""Sample sources kept per destination (the first seen)."""
MAX_URLS = 3
MAX_CLIENTS = 50

Key = tuple[str, int]


class DestinationTable(Mapping[Key, Destination]):
    """Destinations by (host, port), as :func:`aggregate` made them.

    Read-only: a destination seen once is built afresh on every read, so changing the Destination a read
    returns does not change the table.
    """

    __slots__ = ("_items", "_reasons")

    def __init__(self) -> None:
        self._items: dict[Key, Observation | Destination] = {}
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

        For readers that can use an observation as it is (:func:`egressmap.report.iter_scan_rows` makes a row
        of it without building the Destination); reading the table itself gives the same destination.
        """
        return MappingProxyType(self._items)

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
            return
        if not isinstance(dest, Destination):
            dest = items[key] = _first(dest, self._reason(dest))
        if TIER_RANK[obs.tier] < TIER_RANK[dest.tier]:
            dest.tier = obs.tier
        dest.count += obs.count
        dest.outcomes[obs.outcome] = dest.outcomes.get(obs.outcome, 0) + obs.count
        dest.reasons.add(self._reason(obs))
        if len(dest.sources) < MAX_SOURCES and obs.source not in dest.sources:
            dest.sources.append(obs.source)
        if obs.clients and len(dest.clients) < MAX_CLIENTS:
            dest.clients.update(obs.clients)
            if len(dest.clients) > MAX_CLIENTS:  # keep a deterministic sample: the first names in order
                dest.clients = set(sorted(dest.clients)[:MAX_CLIENTS])
        if obs.scheme:
            dest.schemes.add(obs.scheme)
        if obs.url and len(dest.urls) < MAX_URLS and obs.url not in dest.urls:
            dest.urls.append(obs.url)
        for when in (obs.time, obs.last_time):
            if when is not None:
                if dest.first_seen is None or when < dest.first_seen:
                    dest.first_seen = when
                if dest.last_seen is None or when > dest.last_seen:
                    dest.last_seen = when


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
    times = [when for when in (obs.time, obs.last_time) if when is not None]
    return Destination(
        obs.host,
        obs.port,
        count=obs.count,
        tier=obs.tier,
        outcomes={obs.outcome: obs.count},
        reasons={reason},
        sources=[obs.source] if MAX_SOURCES else [],
        clients=clients,
        schemes={obs.scheme} if obs.scheme else set(),
        urls=[obs.url] if obs.url and MAX_URLS else [],
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
    )


__all__ = ["MAX_CLIENTS", "MAX_SOURCES", "MAX_URLS", "DestinationTable", "aggregate"]
