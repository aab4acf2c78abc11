"""Build a policy from destinations: one classified entry per host, predictions merged, optionally generalised.

Output is deterministic: same input, the same entries in the same order (the file it is written to:
:mod:`egressmap.policy_file`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from operator import attrgetter
from typing import TypeVar

from . import aggregate as _aggregate
from . import classify as classify_mod
from .aggregate import DestinationTable, source_key
from .errors import ConfigError
from .generalize import add_listed_wildcards, apply_wildcards, fold_regions
from .model import (
    NXDOMAIN,
    PREDICTED,
    REGION_TOKEN,
    TIER_RANK,
    Classification,
    Destination,
    Entry,
    Observation,
    Policy,
    entry_covers,
    kept_reasons,
    pattern_covers,
    reason_key,
)

UNATTRIBUTED = (
    "unattributed IP: the evidence recorded this connection by address and no DNS answer to the same client "
    "named it; find the name (a Resolver log, a capture) before allowing an address that may change"
)
MAX_REASONS = 8
MAX_SOURCES = 5
_T = TypeVar("_T")


def entries_from(
    destinations: Iterable[Destination] | DestinationTable,
    classify: Callable[[str], Classification] = classify_mod.classify,
    *,
    drain: bool = False,
) -> list[Entry]:
    """One exact entry per host, ports merged, classified.

    From a :class:`~.aggregate.DestinationTable`, a host seen once on one port makes its entry straight from
    the observation the table keeps for it (the same entry, without a Destination built for it); with
    ``drain`` the table is emptied as the entries are made (the caller no longer needs it).
    """
    if isinstance(destinations, DestinationTable):
        entries: list[Entry] = []
        other: list[Destination] = []
        for item in destinations.sorted_out(drain):
            if isinstance(item, Destination):
                other.append(item)
            else:
                obs, reason = item
                entries.append(_observed(obs, reason, classify(obs.host)))
        return entries + entries_from(other, classify) if other else entries
    by_host: dict[str, list[Destination]] = {}
    for dest in destinations:
        by_host.setdefault(dest.host, []).append(dest)
    entries = []
    for host, dests in by_host.items():
        if len(dests) == 1 and len(dests[0].reasons) == 1:  # most hosts: one port, one reason (same result)
            entries.append(_single(dests[0], classify(host)))
        else:
            entries.append(_general(host, dests, classify(host)))
    return entries


def _general(host: str, dests: Sequence[Destination], classification: Classification) -> Entry:
    """The entry of a host from its destinations (one per port)."""
    reasons = kept_reasons(sorted({r for d in dests for r in d.reasons}, key=reason_key))
    sources = sorted({s for d in dests for s in d.sources}, key=source_key)
    return Entry(
        pattern=host,
        hosts=(host,),
        ports=tuple(sorted({d.port for d in dests})),
        classification=classification,
        tier=min((d.tier for d in dests), key=TIER_RANK.__getitem__),
        count=sum(d.count for d in dests),
        denied=sum(d.denied for d in dests),
        failed=sum(d.outcomes.get("failed", 0) + d.outcomes.get(NXDOMAIN, 0) for d in dests),
        allowed=sum(d.outcomes.get("allowed", 0) for d in dests),
        nxdomain=sum(d.outcomes.get(NXDOMAIN, 0) for d in dests),
        reasons=reasons,
        sources=tuple(sources[:MAX_SOURCES]),
        warnings=(UNATTRIBUTED,) if any("unattributed IP" in r for r in reasons) else (),
    )


def _single(d: Destination, classification: Classification) -> Entry:
    """The entry of a host seen on one port with one reason (what the general case gives, with less work)."""
    (reason,) = d.reasons
    outcomes = d.outcomes
    nx = outcomes.get(NXDOMAIN, 0)
    return Entry(
        pattern=d.host,
        hosts=(d.host,),
        ports=(d.port,),
        classification=classification,
        tier=d.tier,
        count=d.count,
        denied=outcomes.get("denied", 0),
        failed=outcomes.get("failed", 0) + nx,
        allowed=outcomes.get("allowed", 0),
        nxdomain=nx,
        reasons=(reason,),
        sources=tuple(sorted(d.sources, key=source_key)[:MAX_SOURCES]),
        warnings=(UNATTRIBUTED,) if "unattributed IP" in reason else (),
    )


def _observed(obs: Observation, reason: str, classification: Classification) -> Entry:
    """The entry of a host seen once, on one port: what :func:`_single` gives for its one Destination."""
    count, outcome = obs.count, obs.outcome
    nx = count if outcome == NXDOMAIN else 0
    return Entry(
        pattern=obs.host,
        hosts=(obs.host,),
        ports=_one(obs.port),
        classification=classification,
        tier=obs.tier,
        count=count,
        denied=count if outcome == "denied" else 0,
        failed=(count if outcome == "failed" else 0) + nx,
        allowed=count if outcome == "allowed" else 0,
        nxdomain=nx,
        reasons=_one(reason),
        sources=(obs.source,) if MAX_SOURCES and _aggregate.MAX_SOURCES else (),
        warnings=(UNATTRIBUTED,) if "unattributed IP" in reason else (),
    )


@lru_cache(maxsize=1024)
def _one(value: _T) -> tuple[_T]:
    """A one-item tuple, the same object for equal values (ports, reasons): a million entries share a few."""
    return (value,)


def build_policy(
    destinations: Iterable[Destination] | Mapping[tuple[str, int], Destination],
    *,
    fold: bool = False,
    regions: Sequence[str] = (),
    wildcards: Sequence[str] = (),
    label_wildcards: Sequence[str] = (),
    inputs: Sequence[str] = (),
    skipped: Mapping[str, int] | None = None,
    predicted: Sequence[Entry] = (),
    drain: bool = False,
) -> Policy:
    """Destinations (plus catalog ``predicted`` entries) -> a sorted, classified, optionally generalised policy.

    ``destinations`` may be what ingest returns (a mapping by host and port): its table is read as it is kept,
    and with ``drain`` emptied as the entries are made (for a caller that no longer needs it).
    """
    if isinstance(destinations, Mapping) and not isinstance(destinations, DestinationTable):
        destinations = destinations.values()
    destinations, listed = _split_listed(destinations)
    entries = entries_from(destinations, drain=drain)
    if predicted:
        entries = merge_predictions(entries, predicted)
    if fold:
        entries = fold_regions(entries, classify_mod.all_regions())
    if wildcards or label_wildcards:
        entries = apply_wildcards(
            entries,
            wildcards,
            classify_mod.psl.is_public_suffix,
            classify_mod.psl.is_shared_suffix,
            one_label=label_wildcards,
        )
    if listed:
        entries = add_listed_wildcards(
            entries, entries_from(listed, _classify_suffix), classify_mod.psl.is_shared_suffix
        )
    return Policy(
        entries=_sorted(entries),
        regions=tuple(regions),
        inputs=tuple(inputs),
        skipped=dict(sorted((skipped or {}).items())),
    )


def _split_listed(
    destinations: Iterable[Destination] | DestinationTable,
) -> tuple[Iterable[Destination] | DestinationTable, list[Destination]]:
    """Wildcards a plain list carried (host ``*.x.com`` or ``.x.com``) apart from the other destinations."""
    if isinstance(destinations, DestinationTable):
        keys = [key for key in destinations if key[0][:1] in _LISTED_MARKS]
        if not keys:
            return destinations, []
        listed = [destinations[key] for key in keys]
        return [d for key, d in destinations.items() if key[0][:1] not in _LISTED_MARKS], listed
    every = destinations if isinstance(destinations, Sequence) else list(destinations)
    listed = [d for d in every if d.host[:1] in _LISTED_MARKS]
    return (every if not listed else [d for d in every if d.host[:1] not in _LISTED_MARKS]), listed


_LISTED_MARKS = frozenset("*.")


def _classify_suffix(pattern: str) -> Classification:
    """A listed wildcard is classified as the suffix it stands over."""
    return classify_mod.classify(pattern.lstrip("*."))


def merge_predictions(observed: Sequence[Entry], predicted: Sequence[Entry]) -> list[Entry]:
    """Entries from evidence plus predictions.

    A prediction whose pattern names an entry seen in the logs is folded into that entry: it keeps its evidence
    tier and gains the prediction's reasons (so it says both). Other predictions are kept as ``predicted``. A
    wildcard prediction only names what its match kind reaches, and a broad one (shared hosting: any bucket
    under ``*.s3.amazonaws.com``) names nothing seen: the hosts under it may be anyone's, so it stays an entry.
    """
    out = list(observed)
    for pred in predicted:
        hits = [
            i
            for i, e in enumerate(out)
            if e.tier != "predicted"
            and not pred.broad
            and (
                entry_covers(pred.pattern, pred.match, e.pattern)
                if pred.match != "exact"
                else pattern_covers(pred.pattern, e.pattern)
            )
        ]
        same = [i for i, e in enumerate(out) if e.tier == "predicted" and e.pattern == pred.pattern]
        if not hits and not same:
            out.append(pred)
            continue
        for i in hits or same:
            seen = out[i]
            kept = list(
                kept_reasons([r for r in sorted(seen.reasons, key=reason_key) if not r.startswith(PREDICTED)])
            )
            added = sorted({r for r in (*seen.reasons, *pred.reasons) if r.startswith(PREDICTED)})[:4]
            out[i] = replace(
                seen,
                ports=tuple(sorted(set(seen.ports) | set(pred.ports))),
                reasons=tuple(kept + added),
                tier=min(seen.tier, pred.tier, key=TIER_RANK.__getitem__),
            )
    return out


def _sorted(entries: Iterable[Entry]) -> tuple[Entry, ...]:
    """Entries by scope, then pattern: sorted by pattern, then (stable) by scope, with no key tuple per entry."""
    ordered = list(entries)
    ordered.sort(key=_pattern)
    ordered.sort(key=_scope)
    return tuple(ordered)


_pattern = attrgetter("pattern")
_scope = attrgetter("classification.scope")


def expand_regions(regions: Sequence[str]) -> list[str]:
    """Resolve ``--region`` values (``all`` = every region of the commercial partition) to region names."""
    known = classify_mod.all_regions()
    out: set[str] = set()
    for region in regions:
        if region == "all":
            out.update(classify_mod.partition_regions("aws"))
        elif region.startswith("all:"):
            names = classify_mod.partition_regions(region[4:])
            if not names:
                raise ConfigError(f"--region {region!r}: unknown partition")
            out.update(names)
        elif region in known:
            out.add(region)
        else:
            raise ConfigError(f"--region {region!r}: not a region botocore knows (try 'all')")
    return sorted(out)


def concrete_hosts(entry: Entry, regions: Sequence[str]) -> list[str]:
    """The names a firewall needs for an entry: observed hosts plus template expansions for ``regions``."""
    names = set(entry.hosts)
    if REGION_TOKEN in entry.pattern:
        names.update(entry.pattern.replace(REGION_TOKEN, r) for r in regions)
    return sorted(names)
