"""Categories of internet hosts, from the ordered rules in ``data/categories.yaml`` (first match wins).

A rule matches a host by exact name (``hosts``), by domain on a label boundary, apex included (``domains``), by
its first label (``first_labels``: ``docs.``, ``wiki.``...) or by any label (``labels``: ``*.telemetry.*``).
Every rule says ``why`` (and may give a ``source`` URL).

>>> category_of("bugs.centos.org"), category_of("mirror.centos.org"), category_of("example.org")
('documentation', 'os-packages', 'other')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from egressmap.errors import EgressmapError

__all__ = ["CATEGORIES", "Rule", "category_of", "match", "rules"]

#: Every category a classification can carry.
CATEGORIES: tuple[str, ...] = (
    "os-packages",
    "language-packages",
    "source-hosting",
    "vendor-downloads",
    "cdn",
    "cloud-api",
    "telemetry",
    "documentation",
    "internal",
    "other",
)

_MATCHERS = ("hosts", "domains", "first_labels", "labels")
_KEYS = frozenset({"category", "why", "source", *_MATCHERS})


@dataclass(frozen=True, slots=True)
class Rule:
    """One ordered rule of ``categories.yaml``."""

    category: str
    why: str
    source: str | None = None
    hosts: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()
    first_labels: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()

    def matches(self, host: str, labels: list[str], suffixes: set[str]) -> bool:
        """Tell whether the rule covers ``host`` (``labels`` and ``suffixes`` are precomputed from it)."""
        return (
            host in self.hosts
            or not self.domains.isdisjoint(suffixes)
            or labels[0] in self.first_labels
            or not self.labels.isdisjoint(labels)
        )


def _strings(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise EgressmapError(f"categories.yaml {where}: expected a list of non-empty strings")
    return frozenset(item.lower() for item in value)


def _rule(raw: Any, index: int) -> Rule:
    where = f"rule {index + 1}"
    if not isinstance(raw, dict):
        raise EgressmapError(f"categories.yaml {where}: expected a mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise EgressmapError(f"categories.yaml {where}: unknown keys {sorted(unknown)}")
    category, why, source = raw.get("category"), raw.get("why"), raw.get("source")
    if category not in CATEGORIES:
        raise EgressmapError(f"categories.yaml {where}: unknown category {category!r}")
    if not isinstance(why, str) or not why.strip():
        raise EgressmapError(f"categories.yaml {where}: every rule needs a 'why'")
    if source is not None and not isinstance(source, str):
        raise EgressmapError(f"categories.yaml {where}: 'source' must be a string")
    matchers = {key: _strings(raw[key], f"{where} {key}") for key in _MATCHERS if key in raw}
    if not matchers:
        raise EgressmapError(f"categories.yaml {where}: no hosts, domains, first_labels or labels")
    return Rule(category=category, why=why.strip(), source=source, **matchers)


def parse_rules(text: str) -> tuple[Rule, ...]:
    """Parse and validate the YAML text of a rules file.

    >>> parse_rules("rules: [{category: cdn, why: edge network, domains: [fastly.net]}]")[0].domains
    frozenset({'fastly.net'})
    """
    import yaml  # noqa: PLC0415 - imported on first use: most commands classify long after start-up

    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's when present
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise EgressmapError(f"categories.yaml is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise EgressmapError("categories.yaml: expected a top-level 'rules' list")
    return tuple(_rule(raw, index) for index, raw in enumerate(data["rules"]))


@lru_cache(maxsize=1)
def rules() -> tuple[Rule, ...]:
    """Return the bundled rules, in order."""
    text = resources.files("egressmap.classify").joinpath("data/categories.yaml").read_text("utf-8")
    return parse_rules(text)


def match(host: str) -> Rule | None:
    """Return the first rule that covers a normalised host name, else None.

    The same answer as trying :meth:`Rule.matches` of each rule in order, from an index of the rules by the
    names they hold: a few dictionary look-ups per host instead of a pass over every rule. What the host's parent
    domain brings (its labels for ``labels``, itself and its own parents for ``domains``) is the same for every
    host under it, so it is kept per parent: the next host under that parent costs four look-ups.
    """
    ordered = rules()
    exact, domains, first_labels, any_labels, parents = _indexed(ordered)
    none = len(ordered)
    first, dot, parent = host.partition(".")
    best = min(exact.get(host, none), first_labels.get(first, none), any_labels.get(first, none))
    position = domains.get(host, none)
    if position < best:
        best = position
    if dot:
        position = parents.get(parent, -1)
        if position < 0:
            position = _from_parent(parent, domains, any_labels, none)
            if len(parents) < MAX_PARENTS:
                parents[parent] = position
        if position < best:
            best = position
    return ordered[best] if best < none else None


MAX_PARENTS = 1 << 15
"""Parent domains whose contribution :func:`match` keeps."""


def _from_parent(name: str, domains: dict[str, int], any_labels: dict[str, int], none: int) -> int:
    """The first rule a parent domain gives its children: by any of its labels, or by it or its parents."""
    best = none
    while True:
        label, dot, rest = name.partition(".")
        best = min(best, any_labels.get(label, none), domains.get(name, none))
        if not dot:
            return best
        name = rest


_Index = tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int], dict[str, int]]
_last_index: list[tuple[tuple[Rule, ...], _Index]] = []


def _indexed(ordered: tuple[Rule, ...]) -> _Index:
    """Each name of each matcher kind -> the position of the first rule holding it (kept for the last rules).

    The fifth map, empty at first, is what :func:`match` keeps per parent domain for these rules.
    """
    if _last_index and _last_index[0][0] is ordered:
        return _last_index[0][1]
    maps: _Index = ({}, {}, {}, {}, {})
    for position, rule in reversed(list(enumerate(ordered))):  # earlier rules overwrite later ones
        for names, table in zip(
            (rule.hosts, rule.domains, rule.first_labels, rule.labels), maps[:4], strict=True
        ):
            for name in names:
                table[name] = position
    _last_index[:] = [(ordered, maps)]
    return maps


def category_of(host: str) -> str:
    """Return the category of a normalised host name (``other`` when no rule matches)."""
    found = match(host)
    return found.category if found is not None else "other"
