"""Build a policy from destinations, and write/read it (``schema: egressmap.policy/1``, YAML or JSON).

Output is deterministic: same input, byte-identical file (entries sorted, keys in a fixed order, no clock).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from itertools import islice
from operator import attrgetter
from pathlib import Path
from typing import Any, TextIO, TypeVar

from . import aggregate as _aggregate
from . import classify as classify_mod
from .aggregate import DestinationTable, source_key
from .errors import ConfigError
from .generalize import add_listed_wildcards, apply_wildcards, check_pattern, fold_regions
from .hostnames import normalize_host
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

SCHEMA = "egressmap.policy/1"
SCHEMA_FAMILY = "egressmap.policy/"
"""What every version of the policy schema starts with (a file naming another version is a policy, not read)."""
UNATTRIBUTED = (
    "unattributed IP: the evidence recorded this connection by address and no DNS answer to the same client "
    "named it; find the name (a Resolver log, a capture) before allowing an address that may change"
)
MAX_REASONS = 8
MAX_SOURCES = 5
_T = TypeVar("_T")
_TIERS = set(TIER_RANK)
_MATCHES = {"exact", "subdomains", "apex-and-subdomains", "one-label"}


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


# --- serialisation -------------------------------------------------------------------------------------------


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """An entry as the JSON/YAML contract spells it (key order fixed)."""
    c = entry.classification
    return {
        "pattern": entry.pattern,
        "match": entry.match,
        "hosts": list(entry.hosts),
        "ports": list(entry.ports),
        "scope": c.scope,
        "provider": c.provider,
        "service": c.service,
        "region": c.region,
        "partition": c.partition,
        "private_endpoint": c.private_endpoint,
        "category": c.category,
        "tier": entry.tier,
        "count": entry.count,
        "denied": entry.denied,
        "failed": entry.failed,
        **({"allowed": entry.allowed} if entry.denied or entry.failed else {}),
        **({"nxdomain": entry.nxdomain} if entry.nxdomain else {}),
        "broad": entry.broad,
        "reasons": list(entry.reasons),
        "sources": list(entry.sources),
        "notes": list(c.notes),
        "warnings": list(entry.warnings),
    }


def policy_to_dict(policy: Policy, entries: Iterable[Entry] | None = None) -> dict[str, Any]:
    """The whole policy as a dict (optionally with a filtered set of entries)."""
    return {
        "schema": SCHEMA,
        "regions": list(policy.regions),
        "inputs": list(policy.inputs),
        "skipped": dict(policy.skipped),
        "entries": [entry_to_dict(e) for e in (policy.entries if entries is None else entries)],
    }


def dump_yaml(policy: Policy) -> str:
    """The policy file's text."""
    import yaml  # only policy files need YAML; keep it off the scan path

    return yaml.safe_dump(policy_to_dict(policy), sort_keys=False, allow_unicode=False, width=1000)


def dump_json(data: Mapping[str, Any], compact: bool = False) -> str:
    """Stable JSON text; ``compact`` puts each top-level list item on one line (much faster for big outputs)."""
    if not compact:
        return _pretty(data)
    return "".join(iter_compact_json(data))


def _pretty(data: Mapping[str, Any]) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=True)`` and a newline, quicker with orjson.

    orjson (the ``[fast]`` extra) writes the same text for ASCII strings, integers, booleans and None; floats
    (``repr`` and orjson may write them differently) and non-ASCII text go the standard library's way. About 10x
    quicker for a big policy.
    """
    try:
        import orjson
    except ImportError:
        return json.dumps(data, indent=2, ensure_ascii=True) + "\n"
    if data.get("schema") == SCHEMA or not _has_float(data):  # (a policy has no float)
        try:
            text: bytes = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        except TypeError:  # a type orjson does not write: the standard library says what it is
            text = b"\x80"
        if text.isascii():
            return text.decode("ascii") + "\n"
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return False


JSON_BATCH = 512
"""List items encoded per piece of :func:`iter_compact_json`."""


def iter_compact_json(
    data: Mapping[str, Any], encoders: Mapping[str, Callable[[Any], str]] | None = None
) -> Iterator[str]:
    """``dump_json(data, compact=True)`` in pieces, to write a big document without holding all its text.

    A top-level value may also be an iterator, written as a list and consumed as it is written. ``encoders``
    may give, by top-level key, the function that writes each item of that list on its line (it must give
    text that parses to the item, on one line); the others are written by ``json.dumps``.
    """
    dumps = json.dumps
    yield "{\n"
    for index, (key, value) in enumerate(data.items()):
        lead = "  " if index == 0 else ",\n  "
        if not isinstance(value, (list, Iterator)):
            yield f"{lead}{dumps(key)}: {dumps(value, ensure_ascii=True)}"
            continue
        items = iter(value)
        encode = (encoders or {}).get(key, _dumps_ascii)
        batch = [encode(v) for v in islice(items, JSON_BATCH)]
        if not batch:
            yield f"{lead}{dumps(key)}: []"
            continue
        yield f"{lead}{dumps(key)}: [\n    "
        while batch:
            yield ",\n    ".join(batch)
            batch = [encode(v) for v in islice(items, JSON_BATCH)]
            if batch:
                yield ",\n    "
        yield "\n  ]"
    yield "\n}\n"


def _dumps_ascii(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


def write_json(
    data: Mapping[str, Any], out: TextIO, encoders: Mapping[str, Callable[[Any], str]] | None = None
) -> None:
    """Write ``dump_json(data, compact=True)`` to ``out`` piece by piece (``encoders``: as there)."""
    for piece in iter_compact_json(data, encoders):
        out.write(piece)


def load_policy(path: str) -> Policy:
    """Read a YAML or JSON policy file, validating every field; errors name the entry."""
    try:
        text = Path(path).read_text(encoding="utf-8") if path != "-" else __import__("sys").stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read policy ({exc})") from exc
    import yaml

    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    return policy_from_dict(data, path)


def policy_from_dict(data: object, origin: str = "policy") -> Policy:
    """Validate a parsed policy document."""
    schema = data.get("schema") if isinstance(data, dict) else None
    if isinstance(schema, str) and schema.startswith(SCHEMA_FAMILY) and schema != SCHEMA:
        raise ConfigError(
            f"{origin}: policy schema {schema!r} is not the one this egressmap reads ({SCHEMA!r})"
        )
    if not isinstance(data, dict) or schema != SCHEMA:
        raise ConfigError(f"{origin}: not an egressmap policy (expected 'schema: {SCHEMA}')")
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        raise ConfigError(f"{origin}: 'entries' must be a list")
    entries = tuple(_entry_from(e, f"{origin}: entry {i + 1}") for i, e in enumerate(raw_entries))
    regions = data.get("regions") or []
    skipped = data.get("skipped") or {}
    if not isinstance(regions, list) or not isinstance(skipped, dict):
        raise ConfigError(f"{origin}: 'regions' must be a list and 'skipped' a mapping")
    return Policy(
        entries=entries,
        regions=tuple(str(r) for r in regions),
        inputs=tuple(str(i) for i in data.get("inputs") or []),
        skipped={str(k): int(v) for k, v in skipped.items()},
    )


def _entry_from(raw: object, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping")
    try:
        pattern = str(raw["pattern"])
        hosts = tuple(normalize_host(str(h)) for h in raw.get("hosts") or [])
        ports = tuple(int(p) for p in raw.get("ports") or [])
        check_pattern(pattern)
        if any(not 0 < p < 65536 for p in ports) or not ports:
            raise ValueError("ports must be 1..65535 and not empty")
        tier, match = raw.get("tier", "observed"), raw.get("match", "exact")
        if tier not in _TIERS or match not in _MATCHES:
            raise ValueError(f"bad tier {tier!r} or match {match!r}")
        c = Classification(
            scope=raw.get("scope", "internet"),
            provider=raw.get("provider"),
            service=raw.get("service"),
            region=raw.get("region"),
            partition=raw.get("partition"),
            private_endpoint=raw.get("private_endpoint", "none"),
            category=raw.get("category", "other"),
            notes=tuple(str(n) for n in raw.get("notes") or []),
        )
        if c.scope not in ("internet", "cloud") or c.private_endpoint not in ("gateway", "interface", "none"):
            raise ValueError(f"bad scope {c.scope!r} or private_endpoint {c.private_endpoint!r}")
        if not hosts and REGION_TOKEN not in pattern and not pattern.startswith("*."):
            hosts = (pattern,)
        count, denied, failed = int(raw.get("count", 0)), int(raw.get("denied", 0)), int(raw.get("failed", 0))
        # written only when denied or failed is not 0; a file without it counts every other request as allowed
        allowed = int(raw.get("allowed", max(count - denied - failed, 0)))
        nxdomain = int(raw.get("nxdomain", 0))
        if nxdomain < 0:
            raise ValueError(f"bad nxdomain count {nxdomain}")
        return Entry(
            pattern=pattern,
            hosts=hosts,
            ports=ports,
            classification=c,
            tier=tier,
            match=match,
            count=count,
            denied=denied,
            failed=failed,
            allowed=allowed,
            nxdomain=nxdomain,
            broad=bool(raw.get("broad", False)),
            reasons=tuple(str(r) for r in raw.get("reasons") or []),
            sources=tuple(str(s) for s in raw.get("sources") or []),
            warnings=tuple(str(w) for w in raw.get("warnings") or []),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing field {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
