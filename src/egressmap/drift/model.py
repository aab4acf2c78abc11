"""What ``diff`` reports: one :class:`Change` per difference, grouped in a :class:`Drift`.

Kinds, in the order reports list them:

- ``added``: a new entry whose names the old policy's export does not allow at all;
- ``removed``: an old entry nothing of which the new policy allows (against evidence: nothing was seen under it);
- ``widened``: an old entry that now reaches further: ports, a broader match kind, or hosts under its template
  or wildcard that its export did not allow (a region the policy does not list, a name deeper than one label);
- ``narrowed``: the reverse (against evidence: approved ports no request was seen on);
- ``tier``: the entry's evidence tier changed (``predicted`` → ``observed``...);
- ``scope``: its scope changed (``internet`` ↔ ``cloud``);
- ``covered``: not a difference; new names the old entry already allows (a host under an approved wildcard, a
  template's host in one of the policy's regions). Never counted by ``--fail-on``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

Kind = Literal["added", "removed", "widened", "narrowed", "tier", "scope", "covered"]
Aspect = Literal["entry", "ports", "match", "hosts", "tier", "scope"]

KINDS: tuple[Kind, ...] = ("added", "removed", "widened", "narrowed", "tier", "scope", "covered")
"""Every kind, in report order."""

CHANGED: frozenset[Kind] = frozenset({"widened", "narrowed", "tier", "scope"})
"""What ``--fail-on changed`` counts."""

FAIL_ON: Mapping[str, frozenset[Kind]] = MappingProxyType(
    {
        "added": frozenset({"added"}),
        "changed": CHANGED,
        "any": CHANGED | {"added", "removed"},
        "removed": frozenset({"removed"}),
        "widened": frozenset({"widened"}),
        "narrowed": frozenset({"narrowed"}),
        "tier": frozenset({"tier"}),
        "scope": frozenset({"scope"}),
    }
)
"""``--fail-on`` values and the kinds each one counts (``covered`` is never among them)."""

MATCH_RANK: Mapping[str, int] = MappingProxyType(
    {"exact": 0, "one-label": 1, "subdomains": 2, "apex-and-subdomains": 3}
)
"""Match kinds from the narrowest to the broadest."""


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the old policy and the new one (or the evidence)."""

    kind: Kind
    pattern: str
    """The entry: the new one's pattern for ``added``, the old one's for every other kind."""
    aspect: Aspect
    """What changed: the whole ``entry``, its ``ports``, ``match``, ``hosts``, ``tier`` or ``scope``."""
    before: str = ""
    """The old value (ports comma-separated, a match kind, a tier, a scope), empty when there is none."""
    after: str = ""
    """The new value, in the same form."""
    hosts: tuple[str, ...] = ()
    """The names concerned, sorted: the new entry's uncovered names, the hosts gained, lost or covered."""
    ports: tuple[int, ...] = ()
    """The ports concerned: the new entry's ports, the ports gained or lost."""
    scope: str = ""
    """The entry's scope (the new entry's for ``added``)."""
    tier: str = ""
    """The entry's tier (the new entry's for ``added``)."""
    note: str = ""
    """A fact a reviewer needs: ``only denied`` in the logs, why an export refuses the entry..."""
    sources: tuple[str, ...] = ()
    """Where the new side saw it (``file:line``, a few)."""

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "kind": self.kind,
            "pattern": self.pattern,
            "aspect": self.aspect,
            "before": self.before,
            "after": self.after,
            "hosts": list(self.hosts),
            "ports": list(self.ports),
            "scope": self.scope,
            "tier": self.tier,
            "note": self.note,
            "sources": list(self.sources),
        }


def change_key(change: Change) -> tuple[int, str, str, str, str]:
    """Report order: by kind, then entry, aspect and values."""
    return KINDS.index(change.kind), change.pattern, change.aspect, change.before, change.after


@dataclass(frozen=True, slots=True)
class Drift:
    """Every difference between two policies, or between an approved policy and fresh evidence."""

    changes: tuple[Change, ...]
    """Sorted by :func:`change_key`."""
    evidence: bool = False
    """True when the new side is evidence (then ``removed`` means "not seen")."""
    set_aside: tuple[str, ...] = ()
    """New entries left out of the comparison: names only ever answered NXDOMAIN (exports leave them out)."""

    def counts(self) -> dict[str, int]:
        """How many changes of each kind (every kind present, in report order)."""
        return {kind: sum(1 for c in self.changes if c.kind == kind) for kind in KINDS}

    def failing(self, fail_on: Iterable[str]) -> list[Change]:
        """The changes that ``--fail-on`` values count."""
        kinds: set[str] = set()
        for value in fail_on:
            kinds.update(FAIL_ON[value])
        return [c for c in self.changes if c.kind in kinds]
