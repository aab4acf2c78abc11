"""What the catalog holds: per-stack entries (hosts), NSG rules and internal flows, each with conditions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from packaging.specifiers import SpecifierSet
from packaging.version import Version

from ..model import REGION_TOKEN
from .artefacts import CatalogArtefact

Phase = Literal["cli-install", "image-build", "node-bootstrap", "cluster-runtime", "access"]
PHASES: tuple[Phase, ...] = ("cli-install", "image-build", "node-bootstrap", "cluster-runtime", "access")
Confidence = Literal["documented", "observed", "inferred"]
WildcardMatch = Literal["subdomains", "one-label"]
"""What a catalog ``*.suffix`` host covers: any depth below the suffix, or exactly one more label."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a question is about: a stack version on an OS and architecture, with features, in a partition.

    ``None`` means "any": an entry conditioned on that attribute matches. ``features=None`` means every feature.
    """

    version: Version | None = None
    os: str | None = None
    arches: frozenset[str] | None = None
    features: frozenset[str] | None = frozenset()
    partition: str | None = None


@dataclass(frozen=True, slots=True)
class Conditions:
    """When a catalog line applies; every condition given must hold."""

    versions: str = ""
    """PEP 440 specifier set ('' = every version)."""
    os: frozenset[str] = frozenset()
    arch: frozenset[str] = frozenset()
    features: frozenset[str] = frozenset()
    """All of these features must be on."""
    partitions: frozenset[str] = frozenset()

    def matches(self, target: Target) -> bool:
        """True when ``target`` meets every condition (an unknown target attribute meets it).

        >>> Conditions(versions="<3.10", os=frozenset({"rhel9"})).matches(Target(Version("3.9.0"), "rhel9"))
        True
        >>> Conditions(features=frozenset({"dcv"})).matches(Target(features=frozenset()))
        False
        """
        if self.versions and target.version is not None:
            if not SpecifierSet(self.versions).contains(target.version, prereleases=True):
                return False
        if self.os and target.os is not None and target.os not in self.os:
            return False
        if self.arch and target.arches is not None and not self.arch & target.arches:
            return False
        if self.features and target.features is not None and not self.features <= target.features:
            return False
        return not (
            self.partitions and target.partition is not None and target.partition not in self.partitions
        )

    def describe(self) -> str:
        """The conditions in words, e.g. ``versions <3.10; os rhel9, rocky9; features dcv``."""
        parts = []
        if self.versions:
            parts.append(f"versions {self.versions}")
        for name, values in (
            ("os", self.os),
            ("arch", self.arch),
            ("features", self.features),
            ("partitions", self.partitions),
        ):
            if values:
                parts.append(f"{name} {', '.join(sorted(values))}")
        return "; ".join(parts)


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """The private path that can carry a catalog line's traffic (``type: none`` = there is none)."""

    service: str
    type: Literal["gateway", "interface", "service-endpoint", "private-endpoint", "none"]
    name: str = ""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One sourced destination line of a stack's catalog."""

    stack: str
    id: str
    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    protocol: str
    purpose: str
    component: str
    phase: Phase
    confidence: Confidence
    source: str
    when: Conditions = field(default_factory=Conditions)
    private_endpoint: EndpointSpec | None = None
    notes: str = ""
    ref: str = ""
    """``STACK/ID`` this entry took its hosts, ports and protocol from."""
    match: WildcardMatch = "subdomains"
    """How far this entry's ``*.suffix`` hosts reach (exact hosts are always exact)."""

    @property
    def key(self) -> str:
        """``stack/id``."""
        return f"{self.stack}/{self.id}"

    def hosts_for(self, region: str | None) -> tuple[str, ...]:
        """Host names with ``{region}`` filled in (left as a template when the region is unknown)."""
        if region is None:
            return self.hosts
        return tuple(h.replace(REGION_TOKEN, region) for h in self.hosts)


@dataclass(frozen=True, slots=True)
class NsgRule:
    """A network security group rule as the stack's documentation gives it."""

    stack: str
    id: str
    priority: int
    name: str
    direction: Literal["inbound", "outbound"]
    ports: tuple[int, ...] | None
    """None = any port."""
    protocol: str
    source_address: str
    destination: str
    action: Literal["allow", "deny"]
    purpose: str
    confidence: Confidence
    source: str
    when: Conditions = field(default_factory=Conditions)
    phase: Phase | None = None
    notes: str = ""


@dataclass(frozen=True, slots=True)
class Flow:
    """Traffic between parts of a deployment that the network must pass (node -> server, ...)."""

    stack: str
    id: str
    name: str
    source_role: str
    destination_role: str
    protocol: str
    ports: tuple[int, ...]
    purpose: str
    confidence: Confidence
    source: str
    when: Conditions = field(default_factory=Conditions)
    phase: Phase | None = None
    notes: str = ""


@dataclass(frozen=True)
class StackCatalog:
    """Everything one catalog file says about one stack."""

    stack: str
    title: str
    provider: str
    versions: tuple[str, ...]
    origin: str
    oses: tuple[str, ...] = ()
    features: dict[str, str] = field(default_factory=dict)
    entries: tuple[CatalogEntry, ...] = ()
    nsg_rules: tuple[NsgRule, ...] = ()
    flows: tuple[Flow, ...] = ()
    description: str = ""
    artefacts: tuple[CatalogArtefact, ...] = ()
    """Files to carry into an isolated network (:mod:`.artefacts`)."""

    @property
    def latest(self) -> str:
        """The newest known version."""
        return self.versions[-1]
