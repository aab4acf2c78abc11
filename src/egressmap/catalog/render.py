"""Readable text for ``catalog list/show/diff`` and ``plan`` (the CLI prints it; ``--json`` uses the dicts)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..model import Entry, short_reason
from .diff import Change
from .model import PHASES, CatalogEntry, Flow, NsgRule, StackCatalog, Target
from .planner import Plan
from .predict import EndpointNeed


def table(rows: Sequence[Sequence[str]], indent: str = "  ") -> list[str]:
    """Fixed-width columns (last column not padded)."""
    if not rows:
        return []
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return [
        indent + "  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)), r[-1]]).rstrip()
        for r in rows
    ]


def stack_list(catalogs: Sequence[StackCatalog]) -> str:
    """``catalog list``."""
    rows = [("STACK", "PROVIDER", "VERSIONS", "ENTRIES", "TITLE")]
    for cat in catalogs:
        span = cat.versions[0] if len(cat.versions) == 1 else f"{cat.versions[0]} .. {cat.versions[-1]}"
        extra = len(cat.nsg_rules) + len(cat.flows)
        count = f"{len(cat.entries)}" + (f" (+{extra} rules/flows)" if extra else "")
        rows.append((cat.stack, cat.provider, span, count, cat.title))
    return "\n".join(table(rows, "")) + "\n"


def _entry_row(e: CatalogEntry) -> tuple[str, ...]:
    pe = e.private_endpoint
    path = f"{pe.service} {pe.type}" if pe else "-"
    return (
        ", ".join(_host_label(h, e) for h in e.hosts),
        ",".join(str(p) for p in e.ports),
        e.component,
        path,
        e.confidence,
        e.purpose + (f"  [{e.when.describe()}]" if e.when.describe() else ""),
    )


def _host_label(host: str, e: CatalogEntry) -> str:
    """A host as ``catalog show`` prints it: a one-label wildcard says so."""
    return f"{host} (one label)" if host.startswith("*.") and e.match == "one-label" else host


def nsg_table(rules: Sequence[NsgRule]) -> list[str]:
    """NSG rules the way the vendor's docs print them."""
    rows = [("PRIORITY", "NAME", "DIRECTION", "PORT", "PROTOCOL", "SOURCE", "DESTINATION", "ACTION")]
    for r in rules:
        ports = "Any" if r.ports is None else ",".join(str(p) for p in r.ports)
        proto = "Any" if r.protocol == "*" else r.protocol.upper()
        source = "Any" if r.source_address == "*" else r.source_address
        dest = "Any" if r.destination == "*" else r.destination
        rows.append((str(r.priority), r.name, r.direction, ports, proto, source, dest, r.action.capitalize()))
    return table(rows)


def flow_table(flows: Sequence[Flow]) -> list[str]:
    """Internal flows (node -> server ports)."""
    rows = [("NAME", "SOURCE", "DESTINATION", "PROTOCOL", "PORT", "PURPOSE")]
    rows += [
        (
            f.name,
            f.source_role,
            f.destination_role,
            f.protocol.upper(),
            ",".join(map(str, f.ports)),
            f.purpose,
        )
        for f in flows
    ]
    return table(rows)


def show(
    cat: StackCatalog,
    label: str,
    entries: Sequence[CatalogEntry],
    rules: Sequence[NsgRule],
    flows: Sequence[Flow],
    hidden: int,
) -> str:
    """``catalog show``: entries by phase, then NSG rules and flows."""
    out = [f"{cat.title} ({label})", ""]
    for phase in PHASES:
        rows = [_entry_row(e) for e in entries if e.phase == phase]
        if rows:
            out.append(f"{phase}:")
            out += table([("HOSTS", "PORTS", "COMPONENT", "PRIVATE PATH", "CONFIDENCE", "PURPOSE"), *rows])
            out.append("")
    if rules:
        out.append("NSG rules:")
        out += nsg_table(rules)
        out.append("")
    if flows:
        out.append("Ports between parts of the deployment:")
        out += flow_table(flows)
        out.append("")
    if hidden:
        out.append(f"{hidden} more entries need features not asked for (add --feature F, or --feature all).")
    out.append("Sources: run with --json for each line's public source URL.")
    return "\n".join(out) + "\n"


def show_dict(
    cat: StackCatalog,
    target: Target,
    entries: Sequence[CatalogEntry],
    rules: Sequence[NsgRule],
    flows: Sequence[Flow],
) -> dict[str, Any]:
    """``catalog show --json``."""
    return {
        "stack": cat.stack,
        "version": str(target.version) if target.version else None,
        "os": target.os,
        "entries": [_entry_dict(e) for e in entries],
        "nsg_rules": [
            {
                "id": r.id,
                "priority": r.priority,
                "name": r.name,
                "direction": r.direction,
                "ports": "*" if r.ports is None else list(r.ports),
                "protocol": r.protocol,
                "from": r.source_address,
                "to": r.destination,
                "action": r.action,
                "purpose": r.purpose,
                "confidence": r.confidence,
                "source": r.source,
            }
            for r in rules
        ],
        "flows": [
            {
                "id": f.id,
                "name": f.name,
                "from": f.source_role,
                "to": f.destination_role,
                "protocol": f.protocol,
                "ports": list(f.ports),
                "purpose": f.purpose,
                "confidence": f.confidence,
                "source": f.source,
            }
            for f in flows
        ],
    }


def _entry_dict(e: CatalogEntry) -> dict[str, Any]:
    pe = e.private_endpoint
    return {
        "id": e.id,
        "hosts": list(e.hosts),
        "match": e.match if any(h.startswith("*.") for h in e.hosts) else "exact",
        "ports": list(e.ports),
        "protocol": e.protocol,
        "purpose": e.purpose,
        "component": e.component,
        "phase": e.phase,
        "when": e.when.describe(),
        "private_endpoint": {"service": pe.service, "type": pe.type, "name": pe.name} if pe else None,
        "confidence": e.confidence,
        "source": e.source,
        "notes": e.notes,
        "ref": e.ref or None,
    }


def diff_text(label_a: str, label_b: str, changes: Sequence[Change]) -> str:
    """``catalog diff``: moved components first (old -> new hosts), then removed and added ones."""
    if not changes:
        return f"No destination changes from {label_a} to {label_b}.\n"
    out = [f"{label_a} -> {label_b}: {len(changes)} component(s) changed", ""]
    for c in changes:
        out.append(f"{c.kind:8} {c.component} ({c.phase})")
        out += [f"           - {h}" for h in c.removed]
        out += [f"           + {h}" for h in c.added]
    return "\n".join(out) + "\n"


def _entry_line(e: Entry) -> tuple[str, ...]:
    why = short_reason(e.reasons[0], 100) if e.reasons else ""
    more = f" (+{len(e.reasons) - 1} more)" if len(e.reasons) > 1 else ""
    host = e.pattern + (" (one label)" if e.match == "one-label" else "") + (" [broad]" if e.broad else "")
    return (host, ",".join(map(str, e.ports)), e.classification.category, why + more)


def _endpoint_rows(needs: Sequence[EndpointNeed]) -> list[tuple[str, ...]]:
    return [
        (n.service, n.type, n.name or "-", "; ".join(n.why[:3]) + (" ..." if len(n.why) > 3 else ""))
        for n in needs
    ]


def plan_text(p: Plan) -> str:
    """The readable ``plan`` report."""
    feats = ", ".join(sorted(p.features)) or "none"
    out = [
        f"{p.origin}: {p.kind}, {p.stack} {p.version}, region {p.region or '?'}, os {p.os or '?'}, "
        f"arch {'/'.join(p.arches)}, network {p.network}",
        f"features: {feats}",
    ]
    out += [f"assumed: {a}" for a in p.assumptions]
    internet = [e for e in p.entries if e.scope == "internet"]
    cloud = [e for e in p.entries if e.scope == "cloud"]
    out += ["", f"Internet destinations ({len(internet)}):"]
    out += (
        table([("HOST", "PORTS", "CATEGORY", "WHY"), *(_entry_line(e) for e in internet)])
        if internet
        else ["  none"]
    )
    out += ["", f"Cloud service endpoints ({len(cloud)}): reached through private endpoints, or the proxy"]
    out += (
        table([("HOST", "PORTS", "CATEGORY", "WHY"), *(_entry_line(e) for e in cloud)])
        if cloud
        else ["  none"]
    )
    real = [n for n in p.private_endpoints if n.type != "none"]
    none = [n for n in p.private_endpoints if n.type == "none"]
    out += ["", f"Private endpoints to create ({len(real)}):"]
    out += table([("SERVICE", "TYPE", "NAME", "WHY"), *_endpoint_rows(real)]) if real else ["  none"]
    if none:
        out += ["", "No private endpoint exists for (reach them another way, or turn the feature off):"]
        out += table([("SERVICE", "TYPE", "NAME", "WHY"), *_endpoint_rows(none)])
    broad = [e.pattern for e in p.entries if e.broad]
    if broad:
        out += [
            "",
            f"Broad entries ({len(broad)}): wildcards over shared hosting admit anyone's names under them",
        ]
        out += [f"  {w}" for e in p.entries if e.broad for w in e.warnings[:1]]
    out += ["", f"Findings ({len(p.findings)}):"]
    for f in p.findings:
        out += [
            f"  {f.severity.upper():7} {f.where} ({f.path}) [{f.rule}]",
            f"          {f.problem}",
            f"          fix: {f.fix}",
        ]
    if not p.findings:
        out.append("  none")
    return "\n".join(out) + "\n"
