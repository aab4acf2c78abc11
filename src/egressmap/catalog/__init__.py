"""The catalog: what each stack version, OS and feature set needs on the network, with a source per line.

>>> cat, version = resolve("parallelcluster@3.14.0")
>>> cat.stack, str(version)
('parallelcluster', '3.14.0')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from packaging.version import InvalidVersion, Version

from ..errors import ConfigError
from .loader import CatalogError, bundled, load_file, parse_catalog, stack_names
from .model import PHASES, CatalogEntry, Conditions, Flow, NsgRule, Phase, StackCatalog, Target

__all__ = [
    "PHASES",
    "CatalogEntry",
    "CatalogError",
    "Conditions",
    "Flow",
    "NsgRule",
    "Phase",
    "StackCatalog",
    "Target",
    "bundled",
    "load_file",
    "parse_catalog",
    "resolve",
    "select",
    "select_flows",
    "select_rules",
    "stack_names",
]


def resolve(spec: str) -> tuple[StackCatalog, Version]:
    """``STACK[@VERSION]`` -> the stack's catalog and the version (the newest known one when not given).

    A version the catalog does not list is accepted when it parses (conditions are ranges), with the stack's
    own major version rules applied by the entries.
    """
    name, _, text = spec.partition("@")
    catalogs = bundled()
    cat = catalogs.get(name.strip().lower())
    if cat is None:
        raise ConfigError(f"unknown stack {name!r}; known: {', '.join(stack_names())}")
    if not text:
        return cat, Version(cat.latest)
    try:
        version = Version(text.strip())
    except InvalidVersion:
        raise ConfigError(f"{spec!r}: {text!r} is not a version (e.g. {cat.stack}@{cat.latest})") from None
    oldest, newest = Version(cat.versions[0]), Version(cat.versions[-1])
    if not oldest.major <= version.major <= newest.major:
        raise ConfigError(f"{spec!r}: the catalog covers {cat.stack} {cat.versions[0]} to {cat.versions[-1]}")
    return cat, version


def check_target(cat: StackCatalog, os_name: str | None, features: Iterable[str]) -> None:
    """Refuse OS or feature names the stack's catalog does not know (a typo must not silently match nothing)."""
    if os_name is not None and cat.oses and os_name not in cat.oses:
        raise ConfigError(f"--os {os_name!r}: {cat.stack} knows {', '.join(cat.oses)}")
    unknown = sorted(set(features) - set(cat.features) - {"all"})
    if unknown:
        raise ConfigError(
            f"--feature {', '.join(unknown)}: {cat.stack} knows {', '.join(sorted(cat.features))}"
        )


def select(cat: StackCatalog, target: Target, phases: Sequence[Phase] | None = None) -> list[CatalogEntry]:
    """The entries that apply to ``target`` (in the given phases), in file order."""
    return [e for e in cat.entries if (phases is None or e.phase in phases) and e.when.matches(target)]


def select_rules(cat: StackCatalog, target: Target) -> list[NsgRule]:
    """NSG rules that apply, by direction and priority."""
    return [r for r in cat.nsg_rules if r.when.matches(target)]


def select_flows(cat: StackCatalog, target: Target) -> list[Flow]:
    """Internal flows that apply."""
    return [f for f in cat.flows if f.when.matches(target)]
