"""``catalog diff A B``: what changed between two versions, component by component."""

from __future__ import annotations

from dataclasses import dataclass

from .model import CatalogEntry, StackCatalog, Target


@dataclass(frozen=True)
class Change:
    """One component's destinations in A and B (only components whose host:port set differs)."""

    component: str
    phase: str
    removed: tuple[str, ...]
    added: tuple[str, ...]
    removed_ids: tuple[str, ...]
    added_ids: tuple[str, ...]

    @property
    def kind(self) -> str:
        """``moved`` (old hosts replaced), ``added`` or ``removed``."""
        if self.removed and self.added:
            return "moved"
        return "added" if self.added else "removed"

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "component": self.component,
            "phase": self.phase,
            "change": self.kind,
            "removed": list(self.removed),
            "added": list(self.added),
            "removed_entries": list(self.removed_ids),
            "added_entries": list(self.added_ids),
        }


def _index(entries: list[CatalogEntry]) -> dict[tuple[str, str], dict[str, set[str]]]:
    out: dict[tuple[str, str], dict[str, set[str]]] = {}
    for e in entries:
        slot = out.setdefault((e.component, e.phase), {})
        for host in e.hosts:
            for port in e.ports:
                slot.setdefault(f"{host}:{port}", set()).add(e.id)
    return out


def diff(cat: StackCatalog, a: Target, b: Target) -> list[Change]:
    """Changes from target ``a`` to target ``b`` (usually two versions of the same stack)."""
    left = _index([e for e in cat.entries if e.when.matches(a)])
    right = _index([e for e in cat.entries if e.when.matches(b)])
    changes = []
    for key in sorted(set(left) | set(right)):
        old, new = left.get(key, {}), right.get(key, {})
        removed = sorted(set(old) - set(new))
        added = sorted(set(new) - set(old))
        if not removed and not added:
            continue
        changes.append(
            Change(
                component=key[0],
                phase=key[1],
                removed=tuple(removed),
                added=tuple(added),
                removed_ids=tuple(sorted({i for h in removed for i in old[h]})),
                added_ids=tuple(sorted({i for h in added for i in new[h]})),
            )
        )
    order = {"moved": 0, "removed": 1, "added": 2}
    return sorted(changes, key=lambda c: (order[c.kind], c.phase, c.component))
