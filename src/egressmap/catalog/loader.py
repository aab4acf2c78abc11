"""Load catalog files: JSON Schema first (``data/schema.json``), then the rules a schema cannot say.

Rules checked after the schema: ids unique in a file; every host a valid name once ``{region}`` is filled in
and a leading ``*.`` removed, never a wildcard over a public suffix; ``match`` only beside a ``*.`` host;
``when`` only uses the file's own OS and feature names and valid PEP 440 specifiers; ``ref`` points at an
entry of a loaded file. Every message names the file and the entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from ..errors import ConfigError
from ..generalize import check_pattern
from ..model import REGION_TOKEN
from ..validation import refusal
from .artefacts import parse_artefacts
from .model import (
    CatalogEntry,
    Conditions,
    EndpointSpec,
    Flow,
    NsgRule,
    StackCatalog,
    WildcardMatch,
)

BUNDLED = ("repositories", "parallelcluster", "cyclecloud", "ssm-session-manager")
"""Bundled catalog files (``data/<name>.yaml``), shared repositories first (others refer to them)."""


_KINDS = {"entries": "entry", "nsg_rules": "NSG rule", "flows": "flow", "artefacts": "artefact"}


class CatalogError(ConfigError):
    """A catalog file breaks the schema or a catalog rule."""


@lru_cache(maxsize=1)
def _validator() -> Any:
    import fastjsonschema

    text = resources.files("egressmap.catalog").joinpath("data/schema.json").read_text("utf-8")
    return fastjsonschema.compile(json.loads(text))


def parse_catalog(text: str, origin: str, known: Mapping[str, StackCatalog] | None = None) -> StackCatalog:
    """Validate one catalog file's text and build it; ``known`` holds the files its ``ref`` entries may use."""
    import fastjsonschema
    import yaml

    try:
        doc = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loader
    except yaml.YAMLError as exc:
        raise CatalogError(f"{origin}: not valid YAML ({str(exc).splitlines()[0]})") from None
    try:
        _validator()(doc)
    except fastjsonschema.JsonSchemaValueException as exc:
        raise CatalogError(f"{origin}: {_where(doc, exc.path)}: {_message(exc)}") from None
    return _build(doc, origin, known or {})


def _where(doc: Any, path: list[str]) -> str:
    """Name the entry a schema error is in: ``entry 'slurm-github' (entries[3])``."""
    if len(path) >= 3 and path[1] in _KINDS and path[2].isdigit():
        index = int(path[2])
        items = doc.get(path[1]) if isinstance(doc, dict) else None
        item = items[index] if isinstance(items, list) and index < len(items) else None
        ident = item.get("id") if isinstance(item, dict) else None
        kind = _KINDS[path[1]]
        name = f"{kind} {ident!r}" if isinstance(ident, str) else kind
        return f"{name} ({path[1]}[{index}])"
    return "top level" if len(path) <= 1 else ".".join(path[1:])


def _message(exc: Any) -> str:
    message = str(exc.message)
    name = str(exc.name)
    rest = message[len(name) :].strip() if message.startswith(name) else message
    field = name.split(".")[-1] if "." in name else ""
    if field.startswith(tuple(f"{k}[" for k in _KINDS)):
        field = ""
    return f"{field} {rest}".strip() if field else rest


def _build(doc: dict[str, Any], origin: str, known: Mapping[str, StackCatalog]) -> StackCatalog:
    stack = str(doc["stack"])
    oses = frozenset(doc.get("oses", []))
    features: dict[str, str] = dict(doc.get("features", {}))
    for version in doc["versions"]:
        _version(version, f"{origin}: versions")
    seen: set[str] = set()

    def check_id(item: dict[str, Any], kind: str) -> str:
        ident = str(item["id"])
        if ident in seen:
            raise CatalogError(f"{origin}: {kind} {ident!r}: duplicate id")
        seen.add(ident)
        return ident

    entries = []
    for item in doc["entries"]:
        where = f"{origin}: entry {item['id']!r}"
        check_id(item, "entry")
        hosts, ports, protocol, match = _hosts_of(item, where, known)
        pe = item.get("private_endpoint")
        entries.append(
            CatalogEntry(
                stack=stack,
                id=item["id"],
                hosts=hosts,
                ports=ports,
                protocol=protocol,
                component=item["component"],
                private_endpoint=EndpointSpec(pe["service"], pe["type"], pe.get("name", "")) if pe else None,
                ref=item.get("ref", ""),
                match=match,
                **_common(item, where, oses, features),
            )
        )
    rules = []
    for item in doc.get("nsg_rules", []):
        where = f"{origin}: NSG rule {item['id']!r}"
        check_id(item, "NSG rule")
        any_port = item["ports"] == "*"
        rules.append(
            NsgRule(
                stack=stack,
                id=item["id"],
                priority=item["priority"],
                name=item["name"],
                direction=item["direction"],
                ports=None if any_port else tuple(item["ports"]),
                protocol=item["protocol"],
                source_address=item["from"],
                destination=item["to"],
                action=item["action"],
                **_common(item, where, oses, features),
            )
        )
    _check_priorities(rules, origin)
    flows = []
    for item in doc.get("flows", []):
        where = f"{origin}: flow {item['id']!r}"
        check_id(item, "flow")
        flows.append(
            Flow(
                stack=stack,
                id=item["id"],
                name=item["name"],
                source_role=item["from"],
                destination_role=item["to"],
                protocol=item["protocol"],
                ports=tuple(item["ports"]),
                **_common(item, where, oses, features),
            )
        )
    return StackCatalog(
        stack=stack,
        title=doc["title"],
        provider=doc["provider"],
        versions=tuple(doc["versions"]),
        origin=origin,
        oses=tuple(doc.get("oses", [])),
        features=features,
        entries=tuple(entries),
        nsg_rules=tuple(sorted(rules, key=lambda r: (r.direction, r.priority))),
        flows=tuple(flows),
        description=doc.get("description", ""),
        artefacts=parse_artefacts(doc.get("artefacts", []), origin, (e.id for e in entries)),
    )


def _common(
    item: dict[str, Any], where: str, oses: frozenset[str], features: Mapping[str, str]
) -> dict[str, Any]:
    """The fields every catalog line has: purpose, phase, conditions, confidence, source, notes."""
    return {
        "purpose": item["purpose"],
        "phase": item.get("phase"),
        "when": _conditions(item.get("when", {}), where, oses, features),
        "confidence": item["confidence"],
        "source": item["source"],
        "notes": item.get("notes", ""),
    }


def _version(text: str, where: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise CatalogError(f"{where}: {text!r} is not a version") from None


def _conditions(
    raw: dict[str, Any], where: str, oses: frozenset[str], features: Mapping[str, str]
) -> Conditions:
    versions = raw.get("versions", "")
    if versions:
        try:
            SpecifierSet(versions)
        except InvalidSpecifier:
            raise CatalogError(
                f"{where}: when.versions {versions!r} is not a PEP 440 specifier set"
            ) from None
    unknown_os = sorted(set(raw.get("os", [])) - oses)
    if unknown_os:
        raise CatalogError(f"{where}: when.os names {unknown_os} not in this file's 'oses'")
    unknown_features = sorted(set(raw.get("features", [])) - set(features))
    if unknown_features:
        raise CatalogError(f"{where}: when.features names {unknown_features} not in this file's 'features'")
    return Conditions(
        versions=versions,
        os=frozenset(raw.get("os", [])),
        arch=frozenset(raw.get("arch", [])),
        features=frozenset(raw.get("features", [])),
        partitions=frozenset(raw.get("partitions", [])),
    )


def _hosts_of(
    item: dict[str, Any], where: str, known: Mapping[str, StackCatalog]
) -> tuple[tuple[str, ...], tuple[int, ...], str, WildcardMatch]:
    """Hosts, ports, protocol and wildcard reach, from the entry itself or from the entry its ``ref`` names."""
    if "ref" in item:
        stack, _, ident = str(item["ref"]).partition("/")
        target = next((e for e in known[stack].entries if e.id == ident), None) if stack in known else None
        if target is None:
            raise CatalogError(f"{where}: ref {item['ref']!r} names no entry of a loaded catalog")
        return target.hosts, target.ports, target.protocol, target.match
    hosts = tuple(_host(h, where) for h in item["hosts"])
    match: WildcardMatch = item.get("match", "subdomains")
    if "match" in item and not any(h.startswith("*.") for h in hosts):
        raise CatalogError(f"{where}: match {match!r} needs a *.suffix host")
    return hosts, tuple(item["ports"]), str(item["protocol"]), match


def _host(pattern: str, where: str) -> str:
    from ..classify.psl import is_public_suffix

    try:
        check_pattern(pattern)
    except ValueError as exc:
        raise CatalogError(f"{where}: {exc}") from None
    if pattern.startswith("*.") and is_public_suffix(pattern[2:]):
        raise CatalogError(f"{where}: host {pattern!r} is a wildcard over a public suffix")
    refused = refusal(pattern.replace(REGION_TOKEN, "us-east-1"))  # what build and every export refuse
    if refused is not None:
        raise CatalogError(f"{where}: {refused}")
    return pattern


def _check_priorities(rules: Iterable[NsgRule], origin: str) -> None:
    seen: dict[tuple[str, int], str] = {}
    for rule in rules:
        key = (rule.direction, rule.priority)
        if key in seen:
            raise CatalogError(
                f"{origin}: NSG rule {rule.id!r}: priority {rule.priority} already used by {seen[key]!r}"
            )
        seen[key] = rule.id


def load_file(path: str | Path, known: Mapping[str, StackCatalog] | None = None) -> StackCatalog:
    """Load a catalog file from disk (tests and users' own catalogs)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{path}: cannot read catalog ({exc})") from None
    return parse_catalog(text, Path(path).name, known)


@lru_cache(maxsize=1)
def bundled() -> dict[str, StackCatalog]:
    """Every bundled catalog by stack name (validated; cached)."""
    out: dict[str, StackCatalog] = {}
    base = resources.files("egressmap.catalog").joinpath("data")
    for name in BUNDLED:
        item = base.joinpath(f"{name}.yaml")
        if not item.is_file():
            raise CatalogError(f"{name}.yaml: bundled catalog file missing from the installation")
        cat = parse_catalog(item.read_text("utf-8"), f"{name}.yaml", out)
        if cat.stack in out:
            raise CatalogError(f"{name}.yaml: stack {cat.stack!r} already defined")
        out[cat.stack] = cat
    return out


def stack_names() -> list[str]:
    """Names of the bundled stacks."""
    return sorted(bundled())
