"""What every firewall exporter starts from: validated names, each with its match kind and ports.

A policy entry is re-checked here, at render time, whatever the policy file says: a name that is not in
canonical form (lower-case LDH labels, IDNA A-labels, lengths within limits) never reaches a rule. It is
rejected with a message instead, and counted by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..generalize import check_pattern
from ..hostnames import is_ip, normalize_host
from ..model import REGION_TOKEN, Entry, Match
from ..policy import concrete_hosts
from ..validation import refusal

__all__ = ["Rule", "RuleSet", "checked_name", "invalid_reason", "rules_for", "safe_text"]

_MAX_SHOWN = 60
_UNSAFE = frozenset("\"'`\\;#<>{}$|")


@dataclass(frozen=True)
class Rule:
    """One name to allow, how far it reaches, and on which ports."""

    name: str
    """A canonical host name or IP literal; for wildcard kinds, the suffix without ``*.``."""
    match: Match
    """``exact``; ``apex-and-subdomains`` (the name and every name under it); ``subdomains`` (every name
    under it, at any depth, not the name itself); ``one-label`` (exactly one more label)."""
    ports: tuple[int, ...]
    entry: Entry
    """The policy entry the rule comes from (its classification, tier and reasons)."""

    @property
    def is_ip(self) -> bool:
        """True for an IP literal (only ever ``exact``)."""
        return self.match == "exact" and is_ip(self.name)

    @property
    def wildcard(self) -> bool:
        """True for every kind but ``exact``."""
        return self.match != "exact"


@dataclass(frozen=True)
class RuleSet:
    """The rules of an export in a stable order, plus a message for each name refused at render time."""

    rules: tuple[Rule, ...]
    rejected: tuple[str, ...] = ()

    def names(self) -> list[Rule]:
        """Rules for host names (no IP literals)."""
        return [r for r in self.rules if not r.is_ip]

    def ports(self) -> list[int]:
        """Every port any rule uses, sorted."""
        return sorted({p for r in self.rules for p in r.ports})


def checked_name(raw: str) -> str:
    """Return ``raw`` if it is already a canonical host name or IP literal, else raise ValueError.

    >>> checked_name("pypi.org")
    'pypi.org'
    >>> checked_name('evil.com"; pass ip any any')
    Traceback (most recent call last):
    ...
    ValueError: 'evil.com"; pass ip any any' is not a valid host name (invalid character '"' in host name)
    """
    try:
        normal = normalize_host(raw)
    except ValueError as exc:
        raise ValueError(f"{_shown(raw)} is not a valid host name ({exc})") from None
    if normal != raw:
        raise ValueError(f"{_shown(raw)} is not in canonical form (expected {_shown(normal)})")
    return normal


def invalid_reason(entry: Entry, *, hosts: bool = True) -> str | None:
    """Why an entry must not be rendered, or None when it is fine.

    Checked: ports in range, the pattern (canonical name, ``{region}`` template or ``*.suffix``), a match kind
    that fits the pattern, no wildcard over an IP address and, unless ``hosts`` is False, every host seen.
    Then :func:`egressmap.validation.refusal`: nothing that must never be allowed (a wildcard over a public
    suffix, loopback, link-local and metadata addresses, unspecified, multicast) whatever ``hosts`` says.
    """
    try:
        if not entry.ports or any(not 0 < p < 65536 for p in entry.ports):
            raise ValueError(f"ports {list(entry.ports)!r}")
        check_pattern(entry.pattern)
        wildcard = entry.pattern.startswith("*.")
        if wildcard != (entry.match != "exact"):
            raise ValueError(f"match {entry.match!r} does not fit pattern {_shown(entry.pattern)}")
        if wildcard and is_ip(entry.pattern[2:]):
            raise ValueError("a wildcard over an IP address")
        plain = not wildcard and REGION_TOKEN not in entry.pattern  # then check_pattern checked it as a name
        for host in entry.hosts if hosts else ():
            if not (plain and host == entry.pattern):  # (an exact entry's one host is most often its pattern)
                checked_name(host)
    except ValueError as exc:
        return f"rejected entry {_shown(entry.pattern)}: {exc}"
    return refusal(entry.pattern, entry.match, entry.hosts)


def rules_for(entries: Iterable[Entry], regions: Sequence[str]) -> RuleSet:
    """Rules for ``entries``: templates expanded to exact names, wildcard entries kept as one rule each.

    Entries that fail :func:`invalid_reason`, and template expansions that are not canonical names, are
    left out with a message. Rules come out sorted by name then kind, with ports merged for the same name
    and kind.
    """
    merged: dict[tuple[str, Match], tuple[set[int], Entry]] = {}
    rejected: list[str] = []
    for entry in entries:
        problem = invalid_reason(entry)
        if problem is not None:
            rejected.append(problem)
            continue
        wildcard = entry.match != "exact"
        names = [entry.pattern[2:]] if wildcard else concrete_hosts(entry, regions)
        for raw in names:
            if REGION_TOKEN in raw:
                continue  # a template with no region to expand it; its observed hosts stand for it
            try:
                name = checked_name(raw)
            except ValueError as exc:
                rejected.append(f"rejected entry {_shown(entry.pattern)}: {exc}")
                continue
            refused = None if wildcard or name in entry.hosts else refusal(entry.pattern, hosts=[name])
            if refused is not None:
                rejected.append(refused)
                continue
            ports, _ = merged.setdefault((name, entry.match), (set(), entry))
            ports.update(entry.ports)
    rules = tuple(
        Rule(name, match, tuple(sorted(ports)), entry)
        for (name, match), (ports, entry) in sorted(
            merged.items(), key=lambda kv: (_order(kv[0][0]), kv[0][1])
        )
    )
    return RuleSet(rules, tuple(rejected))


def safe_text(text: str, width: int = 160) -> str:
    r"""Free text (a reason, a category) made safe for a one-line comment in any output format.

    Only printable ASCII survives; quotes, backslashes, comment markers and anything that could end a
    line or a string become ``_``.

    >>> safe_text('CONNECT seen; "x"\nhttp_access allow all')
    'CONNECT seen_ _x_ http_access allow all'
    """
    out = "".join(_safe_char(c) for c in text)
    out = " ".join(out.split())
    return out if len(out) <= width else out[: width - 3] + "..."


def _safe_char(c: str) -> str:
    if c.isspace():
        return " "
    return c if c.isascii() and c.isprintable() and c not in _UNSAFE else "_"


def _order(name: str) -> tuple[str, ...]:
    """Sort names by their labels from the right, so related names stay together."""
    return tuple(reversed(name.split(".")))


def _shown(raw: str) -> str:
    """A quoted, escaped and shortened form of untrusted text for a message."""
    text = repr(raw[:_MAX_SHOWN])
    return text + ("..." if len(raw) > _MAX_SHOWN else "")
