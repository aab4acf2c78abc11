"""Aggregate observations by (host, port) into destinations."""

from __future__ import annotations

from collections.abc import Iterable

from .model import TIER_RANK, Destination, Observation

MAX_SOURCES = 5
"""Sample sources kept per destination (the first seen)."""
MAX_URLS = 3
MAX_CLIENTS = 50


def aggregate(observations: Iterable[Observation]) -> dict[tuple[str, int], Destination]:
    """Fold observations into destinations keyed by (host, port); memory grows with distinct keys."""
    table: dict[tuple[str, int], Destination] = {}
    for obs in observations:
        key = (obs.host, obs.port)
        dest = table.get(key)
        if dest is None:
            dest = table[key] = Destination(obs.host, obs.port, tier=obs.tier)
        elif TIER_RANK[obs.tier] < TIER_RANK[dest.tier]:
            dest.tier = obs.tier
        dest.count += obs.count
        dest.outcomes[obs.outcome] = dest.outcomes.get(obs.outcome, 0) + obs.count
        dest.reasons.add(f"{obs.tier}: {obs.reason}")
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
