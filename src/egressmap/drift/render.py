"""A :class:`~.model.Drift` as a plain-text table, markdown or JSON. Rendering only: no comparing, no exits."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ..review import named
from .model import KINDS, Change, Drift

__all__ = ["RENDERERS", "Labels", "describe", "summary"]

SCHEMA = "egressmap.drift/1"
"""The ``schema`` of ``diff --json``."""
MAX_HOSTS = 5
"""Hosts a table or markdown row names before it says how many more there are (JSON lists them all)."""
_HEADER = ("KIND", "ENTRY", "CHANGE", "HOSTS")


@dataclass(frozen=True)
class Labels:
    """How the two sides are named in a report."""

    old: str
    new: tuple[str, ...]


def describe(change: Change) -> str:
    """A change in words, for a table row.

    >>> describe(Change("widened", "pypi.org", "ports", "443", "443,8443", ("pypi.org",), (8443,)))
    'ports 443 -> 443,8443'
    """
    c = change
    if c.kind == "added":
        text = f"new {c.after} entry, port(s) {_ports(c.ports)}, {c.scope}, {c.tier}"
    elif c.kind == "removed":
        text = f"{c.before} entry, port(s) {_ports(c.ports)}" + ("" if c.note else ", no longer allowed")
    elif c.kind == "covered":
        text = f"{len(c.hosts)} new name(s) it already allows"
    elif c.aspect == "hosts":
        how = "its export did not allow" if c.kind == "widened" else "no longer allowed"
        text = f"{'+' if c.kind == 'widened' else '-'}{len(c.hosts)} host(s) {how}"
    else:
        text = f"{c.aspect} {c.before} -> {c.after}"
    return f"{text} ({c.note})" if c.note else text


def summary(drift: Drift, labels: Labels) -> list[str]:
    """The lines above (or instead of) the table: what was compared and how many changes of each kind."""
    side = "evidence" if drift.evidence else "policy"
    counts = drift.counts()
    kinds = ", ".join(f"{counts[k]} {k}" for k in KINDS if k != "covered")
    head = f"egressmap diff: {labels.old} -> {' '.join(labels.new)} ({side})"
    lines = [head, f"{kinds}; {counts['covered']} covered"]
    if drift.set_aside:
        lines.append(
            f"{len(drift.set_aside)} name(s) only ever answered NXDOMAIN not compared (exports leave them out; "
            "--include-nxdomain compares them): " + named(list(drift.set_aside))
        )
    return lines


def table(drift: Drift, labels: Labels) -> str:
    """Plain text: a summary, then one aligned row per change."""
    lines = summary(drift, labels)
    if not drift.changes:
        return "\n".join([*lines, "no differences"]) + "\n"
    rows = [_HEADER, *((c.kind, c.pattern, describe(c), _hosts(c)) for c in drift.changes)]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines.append("")
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    return "\n".join(lines) + "\n"


def markdown(drift: Drift, labels: Labels) -> str:
    """A markdown section for a pull request or a CI summary."""
    head, counts, *rest = summary(drift, labels)
    lines = [f"## {_md(head)}", "", f"**{_md(counts)}**", *(f"\n{_md(line)}" for line in rest), ""]
    if not drift.changes:
        return "\n".join([*lines, "No differences.", ""])
    lines += ["| Kind | Entry | Change | Hosts |", "|---|---|---|---|"]
    for c in drift.changes:
        lines.append(f"| {c.kind} | `{_md(c.pattern)}` | {_md(describe(c))} | {_md(_hosts(c))} |")
    return "\n".join([*lines, ""])


def as_json(drift: Drift, labels: Labels) -> str:
    """Stable JSON: sorted keys, changes in report order, every host listed."""
    data = {
        "schema": SCHEMA,
        "old": labels.old,
        "new": list(labels.new),
        "new_kind": "evidence" if drift.evidence else "policy",
        "counts": drift.counts(),
        "changes": [c.to_dict() for c in drift.changes],
        "set_aside": {"nxdomain_only": list(drift.set_aside)},
    }
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


RENDERERS: Mapping[str, Callable[[Drift, Labels], str]] = MappingProxyType(
    {"table": table, "markdown": markdown, "json": as_json}
)
"""Output formats of ``diff``, by name."""


def _ports(ports: Sequence[int]) -> str:
    return ",".join(map(str, ports)) or "-"


def _hosts(c: Change) -> str:
    return named(list(c.hosts), MAX_HOSTS)


def _md(text: str) -> str:
    """Text safe in a markdown table cell."""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "'").replace("\n", " ")
