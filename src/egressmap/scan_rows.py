"""The rows of ``scan``: one dict per destination, classified, in the scan's order (scope, tier, host, port).

:mod:`egressmap.report` renders them; ``scan --json`` writes them as they are made. :func:`compare_rows` sets them
against the catalog's predictions.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from .aggregate import MAX_CLIENTS, MAX_SOURCES, MAX_URLS, DestinationTable
from .classify import classifier
from .gcpause import paused_gc
from .model import NXDOMAIN, TIER_RANK, Classification, Destination, Entry, Observation, pattern_covers
from .review import ONLY_NXDOMAIN, destination_flag, seen_only


def scan_rows(destinations: Iterable[Destination]) -> list[dict[str, Any]]:
    """One dict per destination, classified, sorted by scope, tier, host, port."""
    return list(iter_scan_rows({(d.host, d.port): d for d in destinations}))


def iter_scan_rows(destinations: Mapping[tuple[str, int], Destination]) -> Iterator[dict[str, Any]]:
    """:func:`scan_rows` one at a time, from destinations by (host, port).

    Only a sort entry per destination is held meanwhile, so a big scan written as JSON never holds every row
    at once. From an :class:`~egressmap.aggregate.DestinationTable` a destination seen once becomes its row
    straight from its observation (:func:`_single_row`), never a Destination. The garbage collector is paused
    throughout: the rows form no cycles, and each collection would walk the whole table again.
    """
    stored: Mapping[tuple[str, int], Observation | Destination] = (
        destinations.stored() if isinstance(destinations, DestinationTable) else destinations
    )
    reasons: dict[tuple[str, str], str] = {}
    classify = classifier()  # each host once: the cache would only cost time and memory
    with paused_gc():
        # bucketed by (scope, tier), each bucket sorted by (host, port): far fewer tuple comparisons
        buckets: dict[tuple[str, int], list[tuple[str, int, Observation | Destination, Classification]]] = {}
        for (host, port), item in stored.items():
            c = classify(host)
            group = (c.scope, TIER_RANK[item.tier])
            bucket = buckets.get(group)
            if bucket is None:
                bucket = buckets[group] = []
            bucket.append((host, port, item, c))
        for scope_tier in sorted(buckets):
            bucket = buckets.pop(scope_tier)
            bucket.sort()  # (host, port) is unique: the items are never compared
            for _, _, item, c in bucket:
                if isinstance(item, Destination):
                    yield _row(item, c)
                    continue
                reason = reasons.get((item.tier, item.reason))
                if reason is None:
                    reason = reasons[(item.tier, item.reason)] = f"{item.tier}: {item.reason}"
                yield _single_row(item, reason, c)


def _row(d: Destination, c: Classification) -> dict[str, Any]:
    return {
        "host": d.host,
        "port": d.port,
        "tier": d.tier,
        "scope": c.scope,
        "category": c.category,
        "provider": c.provider,
        "service": c.service,
        "region": c.region,
        "private_endpoint": c.private_endpoint,
        "count": d.count,
        "denied": d.denied,
        "failed": d.outcomes.get("failed", 0) + d.outcomes.get(NXDOMAIN, 0),
        "allowed": d.outcomes.get("allowed", 0),
        "flag": destination_flag(d),
        "clients": sorted(d.clients),
        "reasons": sorted(d.reasons),
        "sources": d.sources,
        "urls": d.urls,
        "first_seen": d.first_seen,
        "last_seen": d.last_seen,
    }


def _single_row(obs: Observation, reason: str, c: Classification) -> dict[str, Any]:
    """``_row`` of the destination that only ``obs`` was folded into (``reason`` is its ``"tier: why"``)."""
    outcome, count, clients = obs.outcome, obs.count, obs.clients
    denied = count if outcome == "denied" else 0
    failed = count if outcome == "failed" or outcome == NXDOMAIN else 0
    allowed = count if outcome == "allowed" else 0
    first, last = obs.time, obs.last_time
    if first is None or last is None:
        first = last = last if first is None else first
    else:  # what min() and max() of [first, last] give, NaN included
        first, last = (last if last < first else first), (last if last > first else first)
    return {
        "host": obs.host,
        "port": obs.port,
        "tier": obs.tier,
        "scope": c.scope,
        "category": c.category,
        "provider": c.provider,
        "service": c.service,
        "region": c.region,
        "private_endpoint": c.private_endpoint,
        "count": count,
        "denied": denied,
        "failed": failed,
        "allowed": allowed,
        "flag": None
        if not (denied or failed)
        else ONLY_NXDOMAIN
        if outcome == NXDOMAIN
        else seen_only(allowed, denied, failed),
        "clients": sorted(set(clients))[:MAX_CLIENTS] if len(clients) > 1 else list(clients),
        "reasons": [reason],
        "sources": [obs.source] if MAX_SOURCES else [],
        "urls": [obs.url] if obs.url and MAX_URLS else [],
        "first_seen": first,
        "last_seen": last,
    }


def compare_rows(
    rows: Sequence[dict[str, Any]], predicted: Sequence[Entry]
) -> dict[str, list[dict[str, Any]]]:
    """Logs against the catalog: seen and predicted, seen but not predicted, predicted but never seen.

    Only evidence counts as seen (tiers observed and referenced; documentation links do not). A host matches a
    prediction when the prediction's pattern names it (exact, ``{region}`` template or ``*.suffix``).
    """
    seen = [r for r in rows if r["tier"] in ("observed", "referenced")]
    both, unpredicted = [], []
    for row in seen:
        hits = [p.pattern for p in predicted if pattern_covers(p.pattern, row["host"])]
        item = {"host": row["host"], "port": row["port"], "tier": row["tier"], "count": row["count"]}
        if hits:
            both.append({**item, "predicted_by": sorted(set(hits))})
        else:
            unpredicted.append(item)
    unseen = [
        {"pattern": p.pattern, "ports": list(p.ports), "scope": p.scope, "reasons": list(p.reasons[:3])}
        for p in predicted
        if not any(pattern_covers(p.pattern, r["host"]) for r in seen)
    ]
    return {
        "predicted_and_observed": both,
        "observed_not_predicted": unpredicted,
        "predicted_not_observed": sorted(unseen, key=lambda u: (u["scope"], u["pattern"])),
    }
