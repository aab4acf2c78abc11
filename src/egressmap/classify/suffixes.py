"""A host's public suffixes (ICANN section, and with the private section) from one walk up its labels.

Asking :mod:`publicsuffixlist` costs about 5 us a host and a list, the largest share of classifying a host.
Most of that answer does not depend on the host's own labels, so it is asked once per *boundary* and kept.

Why the kept answer is the library's answer. The library finds a host's suffix by trying its right-hand parts
from the longest to the shortest, and at each part ``s`` checks ``!s`` (exception: the suffix is ``s`` less its
first label), ``*.s`` (wildcard: the suffix is the name one label longer than ``s``, or ``s`` when it is the
whole host), then ``s``. For a host ``label.parent`` that no rule names (neither ``host``, ``*.host`` nor
``!host`` is a rule), the checks on the host itself all fail and every later check is one the library also makes
for ``parent``; the only difference is a wildcard ``*.parent``, which makes the host its own suffix. So every
such child of ``parent`` gets the same answer: either "the child itself" or one fixed string. The same holds for
``parent`` against its own parent when no rule names ``parent`` either; so the walk goes up until it meets a
name some rule names (or a single label), the *boundary*, and the answer kept for that boundary, asked of the
library for the first host that reached it, serves every later host that reaches it. A host whose answer is
"itself" at the boundary resolves to the name one label longer than the boundary on its way up.

The host's parent is kept too, with its children's answer resolved to a string, so the next host under the same
parent (the next CloudFront distribution, the next bucket in a region) skips the walk. The registrable domain
(the suffix plus one label) is kept with it: it is the same string for every child unless the suffix is the
parent itself (then it is the child). The memo is capped (:data:`MAX_KEPT`): one entry per distinct parent,
never one per host. Names the walk cannot reason about (a rule names the host, upper case, IDN, empty labels, a
single label) are asked of the library directly, through :mod:`egressmap.classify.psl`.

>>> Suffixes().of("d111111abcdef8.cloudfront.net")
('net', 'cloudfront.net', 'cloudfront.net')
>>> Suffixes().of("x.www.ck"), Suffixes().of("foo.ck"), Suffixes().of("host.example.internal")
(('ck', 'www.ck', 'ck'), ('foo.ck', None, 'foo.ck'), (None, None, None))
"""

from __future__ import annotations

from egressmap.classify import psl

__all__ = ["MAX_KEPT", "NO_SUFFIX", "SuffixFields", "Suffixes", "rule_names"]

SuffixFields = tuple[str | None, str | None]
"""``(public_suffix, registrable_domain)`` for a :class:`~egressmap.model.Classification` being built.

The provider classifiers take them so that an answer is built once, with them, rather than built and copied.
"""
NO_SUFFIX: SuffixFields = (None, None)

MAX_KEPT = 1 << 15
"""Names whose children's answer is kept: boundaries (rule names are about 10,000) and the parents of hosts."""

_SELF = ""
"""Kept answer meaning "the child itself" (the library never answers "")."""

_Kept = tuple[str | None, str | None, str | None]
"""For the children of a name: (ICANN suffix, registrable domain, suffix counting the private section)."""


def rule_names() -> frozenset[str]:
    """Every name a rule of either list names: ``co.uk``, ``ck`` for ``*.ck``, ``www.ck`` for ``!www.ck``.

    Empty when the library keeps its rules elsewhere than this version does: then every host is asked of the
    library (correct, only slower).
    """
    names: set[str] = set()
    for rules in (psl.icann_rules(), psl.private_rules()):
        for rule in rules:
            bare = rule[1:] if rule.startswith("!") else rule
            names.add(bare[2:] if bare.startswith("*.") else bare)
    return frozenset(names)


class Suffixes:
    """The two public suffixes of hosts, with the library's answer kept per boundary (see the module doc)."""

    def __init__(self) -> None:
        """Start with nothing kept; the rule names are read from the parsed lists once."""
        self._names = rule_names()
        self._kept: dict[str, _Kept] = {}

    def of(self, host: str) -> tuple[str | None, str | None, str | None]:
        """Return (ICANN public suffix, ICANN registrable domain, suffix counting the private section)."""
        names = self._names
        if host in names or not names or not _walkable(host):
            return _asked(host)
        parent = host[host.find(".") + 1 :]
        kept = self._kept.get(parent)
        if kept is None:
            kept = self._for_children(parent, host)
        icann, domain, private = kept
        return (
            host if icann == _SELF else icann,
            host if domain == _SELF else domain,
            host if private == _SELF else private,
        )

    def _for_children(self, parent: str, host: str) -> _Kept:
        """The answer for any child of ``parent`` no rule names (``_SELF``: the child itself), now kept.

        Walks up to the boundary; below it every name's answer is a fixed string, the boundary's own answer
        resolved against the name one label longer than the boundary.
        """
        names = self._names
        child, boundary = host, parent
        while boundary not in names:
            dot = boundary.find(".")
            if dot < 0:
                break
            child, boundary = boundary, boundary[dot + 1 :]
        kept = self._kept.get(boundary)
        if kept is None:
            icann, private = psl.public_suffix(child), psl.private_suffix(child)
            kept = _for(boundary, _SELF if icann == child else icann, _SELF if private == child else private)
            self._keep(boundary, kept)
        if boundary != parent:
            icann, _, private = kept
            kept = _for(parent, child if icann == _SELF else icann, child if private == _SELF else private)
            self._keep(parent, kept)
        return kept

    def _keep(self, name: str, answer: _Kept) -> None:
        if len(self._kept) < MAX_KEPT:
            self._kept[name] = answer


def _for(parent: str, icann: str | None, private: str | None) -> _Kept:
    """The kept answer for the children of ``parent``, given their two suffixes (``_SELF``: the child itself).

    The registrable domain is the suffix plus one label: none when the child is its own suffix, the child
    itself when the suffix is ``parent``, else a name inside ``parent``, the same for every child.
    """
    if icann is None or icann == _SELF:
        return icann, None, private
    if icann == parent:
        return icann, _SELF, private
    head = parent[: -len(icann) - 1]
    return icann, f"{head[head.rfind('.') + 1 :]}.{icann}", private


def _walkable(host: str) -> bool:
    """True for plain lower-case A-label names of two labels or more (what :func:`normalize_host` gives)."""
    return (
        host.isascii()
        and host.islower()
        and "." in host
        and ".." not in host
        and host[0] != "."
        and host[-1] != "."
        and "xn--" not in host
    )


def _asked(host: str) -> tuple[str | None, str | None, str | None]:
    return psl.public_suffix(host), psl.registrable_domain(host), psl.private_suffix(host)
