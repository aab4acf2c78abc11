"""Turn selected catalog entries into policy entries (tier ``predicted``) and a private-endpoint plan.

Merging predictions with entries built from evidence is :func:`egressmap.policy.merge_predictions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ..classify import classify
from ..model import PREDICTED, REGION_TOKEN, Classification, Entry, Match, reason_key
from .model import CatalogEntry

MAX_REASONS = 12


@dataclass(frozen=True)
class EndpointNeed:
    """A private endpoint the deployment needs (or, with ``type == 'none'``, a service that has none)."""

    service: str
    type: str
    name: str
    why: tuple[str, ...]
    hosts: tuple[str, ...]
    sources: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "service": self.service,
            "type": self.type,
            "name": self.name,
            "why": list(self.why),
            "hosts": list(self.hosts),
            "sources": list(self.sources),
        }


def reason_for(entry: CatalogEntry, label: str, extra: str = "") -> str:
    """``predicted: <purpose> (<stack version> catalog: <id>, <phase>, <confidence>)``."""
    tail = f"; {extra}" if extra else ""
    return (
        f"{PREDICTED}{entry.purpose} ({label} catalog: {entry.id}, {entry.phase}, {entry.confidence}{tail})"
    )


def predicted_entries(
    selected: Iterable[CatalogEntry], label: str, region: str | None, extra: dict[str, str] | None = None
) -> list[Entry]:
    """One exact (or template, or wildcard) entry per host pattern, ports merged, reasons from the catalog.

    ``extra`` maps a catalog key (``stack/id``) to words added to its reason (e.g. the config path that needs it).
    """
    by_pattern: dict[str, list[tuple[CatalogEntry, int]]] = {}
    for entry in selected:
        for host in entry.hosts_for(region):
            for port in entry.ports:
                by_pattern.setdefault(host, []).append((entry, port))
    out = []
    for pattern, items in by_pattern.items():
        reasons = sorted(
            {reason_for(e, label, (extra or {}).get(e.key, "")) for e, _ in items}, key=reason_key
        )
        sources = sorted({e.source for e, _ in items})
        classification = _classify_pattern(pattern, region)
        wildcard = pattern.startswith("*.")
        broad = wildcard and classification.shared_hosting
        out.append(
            Entry(
                pattern=pattern,
                hosts=() if REGION_TOKEN in pattern or wildcard else (pattern,),
                ports=tuple(sorted({p for _, p in items})),
                classification=classification,
                tier="predicted",
                count=0,
                denied=0,
                reasons=tuple(reasons[:MAX_REASONS]),
                sources=tuple(sources[:5]),
                match=_match(e for e, _ in items) if wildcard else "exact",
                broad=broad,
                warnings=(_shared_warning(pattern),) if broad else (),
            )
        )
    return sorted(out, key=lambda e: (e.scope, e.pattern))


def _match(entries: Iterable[CatalogEntry]) -> Match:
    """The reach of a wildcard pattern: one label only when every catalog line giving it says so."""
    return "one-label" if all(e.match == "one-label" for e in entries) else "subdomains"


def _shared_warning(pattern: str) -> str:
    """Why a predicted wildcard over shared hosting is flagged ``broad``."""
    suffix = pattern.removeprefix("*.")
    return (
        f"{pattern} is shared hosting: it allows anyone's names under {suffix}, not only this stack's; "
        "narrow it to the exact names once you know them"
    )


def _classify_pattern(pattern: str, region: str | None) -> Classification:
    body = pattern.removeprefix("*.")
    if REGION_TOKEN not in body:
        return classify(body)
    found = classify(body.replace(REGION_TOKEN, region or "us-east-1"))
    return found if region else replace(found, region=None)


def endpoint_needs(selected: Iterable[CatalogEntry], region: str | None) -> list[EndpointNeed]:
    """Private endpoints (and services without one) the selected entries call for, grouped by service."""
    groups: dict[tuple[str, str], list[CatalogEntry]] = {}
    for entry in selected:
        pe = entry.private_endpoint
        if pe is not None:
            groups.setdefault((pe.service, pe.type), []).append(entry)
    needs = []
    for (service, kind), entries in groups.items():
        names = sorted(
            {e.private_endpoint.name for e in entries if e.private_endpoint and e.private_endpoint.name}
        )
        name = names[0].replace(REGION_TOKEN, region) if names and region else (names[0] if names else "")
        needs.append(
            EndpointNeed(
                service=service,
                type=kind,
                name=name,
                why=tuple(sorted({f"{e.purpose} ({e.phase})" for e in entries})),
                hosts=tuple(sorted({h for e in entries for h in e.hosts_for(region)})),
                sources=tuple(sorted({e.source for e in entries}))[:5],
            )
        )
    rank = {"gateway": 0, "interface": 1, "service-endpoint": 2, "private-endpoint": 3, "none": 4}
    return sorted(needs, key=lambda n: (rank.get(n.type, 9), n.service))
