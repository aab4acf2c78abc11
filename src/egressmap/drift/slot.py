"""One old entry during a comparison: what the new side did under it, and the changes that makes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from ..exporters.rules import Rule, rules_for
from ..model import TIER_RANK, Entry
from ..proxy.allow import Allowlist
from .model import MATCH_RANK, Aspect, Change, Kind

__all__ = ["DNS_ONLY", "MAX_SOURCES", "Placed", "Slot", "cover", "probes"]

MAX_SOURCES = 3
"""Sources a change names (the new side's ``file:line``)."""
NOT_SEEN = "not seen in the evidence"
DNS_ONLY = "DNS only: no port seen, 443 assumed"
_PROBE = "x."  # a label under a wildcard; only wildcard rules are asked about it, so its text does not matter

Placed = Literal["covered", "port", "host"]


def probes(rule: Rule) -> list[tuple[str, bool]]:
    """Names that stand for everything a wildcard rule reaches: (name, only wildcard rules may cover it).

    Wildcard rules reach names by depth alone, so a name one label down and one two labels down stand for
    all of them; the apex is a name an exact rule may cover too.
    """
    below = [(_PROBE + rule.name, True), (_PROBE + _PROBE + rule.name, True)]
    if rule.match == "one-label":
        return below[:1]
    return below if rule.match == "subdomains" else [(rule.name, False), *below]


def cover(
    allow: Allowlist, name: str, port: int | None, wildcards_only: bool = False
) -> tuple[Rule | None, bool]:
    """(The rule that allows ``name`` on ``port``, True), else (a rule that allows it on other ports, False).

    A ``port`` of None (DNS evidence names none) is allowed by any rule that reaches the name.
    """
    rules = allow.covering(name, wildcards_only=wildcards_only)
    for rule in rules:
        if port is None or port in rule.ports:
            return rule, True
    return (rules[0] if rules else None), False


def _ports(ports: Iterable[int]) -> str:
    return ",".join(str(p) for p in sorted(set(ports)))


@dataclass
class Slot:
    """An old entry, and what the new side did under it."""

    entry: Entry
    own: frozenset[str]
    """The names the entry's export writes (its hosts, and a template's names in the policy's regions): a new
    entry with the same pattern giving one of them does not make it ``covered``."""
    pair: Entry | None = None
    """The new entry with the same pattern."""
    seen: list[Entry] = field(default_factory=list)
    """New entries (the pair among them) that reach names this entry allows or sits over."""
    seen_ports: set[int] = field(default_factory=set)
    any_port: bool = False
    """True when DNS evidence (which names no port) was seen under the entry."""
    wider_ports: dict[int, set[str]] = field(default_factory=dict)
    wider_hosts: dict[str, set[int]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    """Names of the new side this entry allows."""
    covered: set[str] = field(default_factory=set)
    """Those of them it does not list among its hosts."""
    covered_ports: set[int] = field(default_factory=set)
    covered_sources: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    """Where the new side went beyond this entry."""

    def note(self, new: Entry, placed: Placed, name: str, port: int | None) -> None:
        """Record that ``new`` reaches ``name:port`` under this entry: allowed, on another port, or beyond it.

        ``port`` is None for DNS evidence (no port seen): it is then never a port widened or narrowed.
        """
        if not any(e is new for e in self.seen):
            self.seen.append(new)
        if port is None:
            self.any_port = True
        elif placed == "port":
            self.wider_ports.setdefault(port, set()).add(name)
            self.sources.update(new.sources[:MAX_SOURCES])
            return
        else:
            self.seen_ports.add(port)
        if placed == "host":
            self.wider_hosts.setdefault(name, set()).update([port] if port is not None else [])
            self.sources.update(new.sources[:MAX_SOURCES])
            return
        self.kept.add(name)
        if (
            name not in self.entry.hosts
            and name != self.entry.pattern
            and (new is not self.pair or name not in self.own)
        ):
            self.covered.add(name)
            self.covered_ports.update([port] if port is not None else [])
            self.covered_sources.update(new.sources[:MAX_SOURCES])

    def report(self, evidence: bool, regions: Sequence[str], new_allow: Allowlist) -> list[Change]:
        """The changes of this entry; ``regions`` are the old policy's, ``new_allow`` the new side's export."""
        o, n = self.entry, self.pair
        out: list[Change] = []
        lost_ports: dict[int, set[str]] = {}
        if n is not None and o.match != "exact":  # a wildcard pair: ports compared directly
            for port in set(n.ports) - set(o.ports):
                self.wider_ports.setdefault(port, set()).add(n.pattern)
            self.seen_ports.update(set(n.ports) & set(o.ports))
            if not evidence:
                lost_ports = {port: {o.pattern} for port in set(o.ports) - set(n.ports)}
        out.extend(self._widened())
        if n is not None and n.match != o.match:
            wider = MATCH_RANK[n.match] > MATCH_RANK[o.match]
            out.append(self._change("widened" if wider else "narrowed", "match", o.match, n.match))
        against = (
            self._against_evidence() if evidence else self._against_policy(regions, new_allow, lost_ports)
        )
        out.extend(against)
        if self.covered and not any(c.aspect == "match" for c in against):
            covered = self._change("covered", "hosts", hosts=self.covered, ports=self.covered_ports)
            out.append(replace(covered, sources=tuple(sorted(self.covered_sources))[:MAX_SOURCES]))
        if n is not None and n.scope != o.scope:
            out.append(self._change("scope", "scope", o.scope, n.scope))
        return out

    def _widened(self) -> list[Change]:
        out = []
        o = self.entry
        if self.wider_ports:
            hosts = set().union(*self.wider_ports.values())
            after = _ports([*o.ports, *self.wider_ports])
            out.append(
                self._change("widened", "ports", _ports(o.ports), after, hosts, self.wider_ports, True)
            )
        if self.wider_hosts:
            ports = set().union(*self.wider_hosts.values())
            out.append(self._change("widened", "hosts", hosts=self.wider_hosts, ports=ports, sources=True))
        return out

    def _against_evidence(self) -> list[Change]:
        o = self.entry
        if not self.seen:
            return [self._change("removed", "entry", o.match, hosts=o.hosts, ports=o.ports, note=NOT_SEEN)]
        out = []
        unseen = set() if self.any_port else set(o.ports) - self.seen_ports
        if unseen:
            after = _ports(set(o.ports) - unseen)
            out.append(self._change("narrowed", "ports", _ports(o.ports), after, ports=unseen, note=NOT_SEEN))
        strongest = min((e.tier for e in self.seen), key=TIER_RANK.__getitem__)
        if strongest != o.tier:
            out.append(self._change("tier", "tier", o.tier, strongest))
        return out

    def _against_policy(
        self, regions: Sequence[str], new_allow: Allowlist, lost_ports: dict[int, set[str]]
    ) -> list[Change]:
        o, n = self.entry, self.pair
        lost_names, reached = self._lost(regions, new_allow, lost_ports)
        if n is None and not reached and not self.seen:
            return [self._change("removed", "entry", o.match, hosts=lost_names or o.hosts, ports=o.ports)]
        out = []
        if n is None and o.pattern in lost_names and self.kept:  # the wildcard went; names under it stayed
            lost_names.discard(o.pattern)
            only = "only the names listed stay"
            out.append(self._change("narrowed", "match", o.match, "exact", self.kept, o.ports, note=only))
        if lost_names:
            out.append(self._change("narrowed", "hosts", hosts=lost_names, ports=o.ports))
        if lost_ports:
            hosts = set().union(*lost_ports.values())
            after = _ports(set(o.ports) - set(lost_ports))
            out.append(self._change("narrowed", "ports", _ports(o.ports), after, hosts, lost_ports))
        if n is not None and n.tier != o.tier:
            out.append(self._change("tier", "tier", o.tier, n.tier))
        return out

    def _lost(
        self, regions: Sequence[str], new_allow: Allowlist, lost_ports: dict[int, set[str]]
    ) -> tuple[set[str], bool]:
        """The names of this entry the new export no longer allows, and whether it still allows any.

        Ports it allows a name on no longer go in ``lost_ports``. A paired wildcard is compared by match and
        ports instead.
        """
        lost: set[str] = set()
        reached = False
        for rule in rules_for([self.entry], regions).rules:
            if rule.match == "exact":
                names = [(rule.name, False)]
            elif self.pair is None:
                names = probes(rule)
            else:
                continue
            for name, wildcards_only in names:
                shown = name if not wildcards_only else self.entry.pattern
                for port in rule.ports:
                    found, ok = cover(new_allow, name, port, wildcards_only)
                    if found is None:
                        lost.add(shown)
                        continue
                    reached = True
                    if not ok:
                        lost_ports.setdefault(port, set()).add(shown)
        return lost, reached

    def _change(
        self,
        kind: Kind,
        aspect: Aspect,
        before: str = "",
        after: str = "",
        hosts: Iterable[str] = (),
        ports: Iterable[int] = (),
        sources: bool = False,
        note: str = "",
    ) -> Change:
        o = self.entry
        return Change(
            kind,
            o.pattern,
            aspect,
            before,
            after,
            tuple(sorted(set(hosts))),
            tuple(sorted(set(ports))),
            o.scope,
            o.tier,
            note,
            tuple(sorted(self.sources))[:MAX_SOURCES] if sources else (),
        )
