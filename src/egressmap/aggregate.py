"""Aggregate observations by (host, port) into destinations."""

from __future__ import annotations

from collections.abc import Iterable

from .gcpause import paused_gc
from .model import TIER_RANK, Destination, Observation

MAX_SOURCES = 5
"""Sample sources kept per destination (the first seen)."""
MAX_URLS = 3
MAX_CLIENTS = 50


def aggregate(observations: Iterable[Observation]) -> dict[tuple[str, int], Destination]:
    """Fold observations into destinations keyed by (host, port); memory grows with distinct keys.

    The garbage collector is paused meanwhile (:mod:`.gcpause`), for the parsers that feed this loop too.
    """
    with paused_gc():
        return _aggregate(observations)


def _aggregate(observations: Iterable[Observation]) -> dict[tuple[str, int], Destination]:
    table: dict[tuple[str, int], Destination] = {}
    reasons: dict[tuple[str, str], str] = {}  # each distinct "tier: why" is one string shared by destinations
    for obs in observations:
        key = (obs.host, obs.port)
        dest = table.get(key)
        reason = reasons.get((obs.tier, obs.reason))
        if reason is None:
            reason = reasons[(obs.tier, obs.reason)] = f"{obs.tier}: {obs.reason}"
        if dest is None:  # most destinations of a big log are seen once: build them whole
            table[key] = _first(obs, reason)
            continue
        if TIER_RANK[obs.tier] < TIER_RANK[dest.tier]:
            dest.tier = obs.tier
        dest.count += obs.count
        dest.outcomes[obs.outcome] = dest.outcomes.get(obs.outcome, 0) + obs.count
        dest.reasons.add(reason)
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
    return table


def _first(obs: Observation, reason: str) -> Destination:
    """The destination of its first observation (what the update above makes of an empty one)."""
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
