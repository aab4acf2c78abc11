"""Compare an old policy with a new one (or with the policy fresh evidence builds) by what their exports allow.

Each side is read as its firewall exports read it: entries re-validated and templates expanded for the
policy's regions by :func:`egressmap.exporters.rules.rules_for`, names matched by
:meth:`egressmap.proxy.allow.Allowlist.covering` (the matcher ``proxy --enforce`` decides with). So a new host
under an approved ``*.example.com``, or ``ec2.us-west-2.amazonaws.com`` under an approved
``ec2.{region}.amazonaws.com`` whose policy lists ``us-west-2``, is not ``added``: the old export allows it.

Entries with the same pattern are compared field by field (match kind, ports, the names a template expands to,
tier, scope). A new entry with another pattern is placed name by name: allowed by an old entry (``covered``),
allowed but not on that port (that entry ``widened``), under an old template or wildcard that does not reach
it (that entry ``widened``), or nowhere (``added``). An old entry with no counterpart is checked the same way
against the new side (``narrowed`` or ``removed``); against evidence, an old entry nothing was seen under is
``removed`` and its ports never seen ``narrowed``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ..exporters.rules import rules_for
from ..model import REGION_TOKEN, TIER_RANK, Entry, Policy, is_dns_reason, nxdomain_only, pattern_covers
from ..policy import concrete_hosts
from ..proxy.allow import Allowlist
from ..review import entry_flag
from .model import MATCH_RANK, Change, Drift, change_key
from .slot import DNS_ONLY, MAX_SOURCES, Placed, Slot, cover, probes

__all__ = ["compare"]


def compare(old: Policy, new: Policy, *, evidence: bool = False, include_nxdomain: bool = False) -> Drift:
    """Every difference from ``old`` to ``new``; ``evidence`` when ``new`` was built from logs, not approved.

    New entries only ever answered NXDOMAIN are set aside (as exports leave them out) unless
    ``include_nxdomain``.
    """
    aside = () if include_nxdomain else tuple(sorted(e.pattern for e in new.entries if nxdomain_only(e)))
    if aside:
        new = replace(new, entries=tuple(e for e in new.entries if not nxdomain_only(e)))
    olds, news = _by_pattern(old.entries), _by_pattern(new.entries)
    old_allow, new_allow = Allowlist.from_policy(old), Allowlist.from_policy(new)
    slots = {
        pattern: Slot(entry, frozenset([pattern, *concrete_hosts(entry, old.regions)]))
        for pattern, entry in olds.items()
    }
    broad = sorted(
        (s for s in slots.values() if REGION_TOKEN in s.entry.pattern or s.entry.match != "exact"),
        key=lambda s: -len(s.entry.pattern),
    )
    changes: list[Change] = []
    for pattern, entry in news.items():
        home = slots.get(pattern)
        if home is not None:
            home.pair = entry
            home.seen.append(entry)
        dns_only = evidence and _dns_only(entry)
        uncovered = _place(entry, new.regions, old_allow, slots, home, broad, dns_only)
        if uncovered:
            rejected = rules_for([entry], new.regions).rejected
            changes.append(
                _added(entry, uncovered, rejected[0] if rejected else DNS_ONLY if dns_only else "")
            )
    for slot in slots.values():
        changes.extend(slot.report(evidence, old.regions, new_allow))
    return Drift(tuple(sorted(changes, key=change_key)), evidence, aside)


def _by_pattern(entries: Iterable[Entry]) -> dict[str, Entry]:
    """Entries by pattern; a hand-edited policy's repeated pattern is read as one entry (the broadest reading)."""
    out: dict[str, Entry] = {}
    for e in entries:
        was = out.get(e.pattern)
        out[e.pattern] = e if was is None else _merged(was, e)
    return out


def _merged(a: Entry, b: Entry) -> Entry:
    return replace(
        a,
        hosts=tuple(sorted(set(a.hosts) | set(b.hosts))),
        ports=tuple(sorted(set(a.ports) | set(b.ports))),
        tier=min(a.tier, b.tier, key=TIER_RANK.__getitem__),
        match=max(a.match, b.match, key=MATCH_RANK.__getitem__),
        sources=a.sources + b.sources,
    )


def _dns_only(entry: Entry) -> bool:
    """True when all the evidence of an entry is DNS: its port is the one assumed, not one seen."""
    return bool(entry.reasons) and all(map(is_dns_reason, entry.reasons))


def _added(entry: Entry, uncovered: Sequence[str], note: str) -> Change:
    return Change(
        "added",
        entry.pattern,
        "entry",
        after=entry.match,
        hosts=tuple(sorted(set(uncovered))),
        ports=entry.ports,
        scope=entry.scope,
        tier=entry.tier,
        note=entry_flag(entry) or note,
        sources=entry.sources[:MAX_SOURCES],
    )


def _place(
    entry: Entry,
    regions: Sequence[str],
    old_allow: Allowlist,
    slots: dict[str, Slot],
    home: Slot | None,
    broad: Sequence[Slot],
    dns_only: bool = False,
) -> list[str]:
    """Place a new entry's names against the old export; the names no old entry reaches (none: not added).

    ``dns_only``: the evidence names no port, so a name is placed whatever port the old entry allows.
    """
    rules = rules_for([entry], regions).rules
    if not rules:
        return [] if home is not None else [entry.pattern]  # no export writes it: compared by pattern only
    steps: list[tuple[Placed, Slot, str, int | None]] = []
    uncovered: list[str] = []
    for rule in rules:
        if rule.match != "exact":
            if home is not None:
                continue  # same pattern: the match kind and ports are compared directly
            names = probes(rule)
            shown = {name: (rule.name if name == rule.name else entry.pattern) for name, _ in names}
        else:
            names, shown = [(rule.name, False)], {rule.name: rule.name}
        for name, wildcards_only in names:
            for port in (None,) if dns_only else rule.ports:
                found, ok = cover(old_allow, name, port, wildcards_only)
                under = None if found is not None or wildcards_only else home or _under(name, broad)
                if found is not None:
                    steps.append(("covered" if ok else "port", slots[found.entry.pattern], shown[name], port))
                elif under is not None:
                    steps.append(("host", under, name, port))
                else:
                    uncovered.append(shown[name])
    if uncovered:
        return uncovered
    for kind, slot, name, port in steps:
        slot.note(entry, kind, name, port)
    for host in entry.hosts if entry.match != "exact" else ():  # a wildcard's samples: shown when covered
        for port in (None,) if dns_only else entry.ports:
            found, ok = cover(old_allow, host, port)
            if found is not None and ok:
                slots[found.entry.pattern].note(entry, "covered", host, port)
                break
    return []


def _under(name: str, broad: Sequence[Slot]) -> Slot | None:
    """The most specific old template or wildcard ``name`` sits under, though its export does not reach it."""
    return next((s for s in broad if pattern_covers(s.entry.pattern, name)), None)
