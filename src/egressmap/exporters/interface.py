"""The interface every export format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from ..errors import ConfigError
from ..model import REGION_TOKEN, Entry, Policy, nxdomain_only
from .rules import RuleSet, invalid_reason, rules_for

ScopeFilter = Literal["internet", "cloud", "all"]


@dataclass(frozen=True)
class ExportOptions:
    """What to include: scope, documentation-only and NXDOMAIN-only entries, regions to expand templates for."""

    scope: ScopeFilter | None = None
    """None means the exporter's own default."""
    include_documentation: bool = False
    include_nxdomain: bool = False
    """Also write rules for entries only ever answered NXDOMAIN (:func:`~egressmap.model.nxdomain_only`); the
    review formats and json show them anyway."""
    regions: Sequence[str] = ()
    full: bool = False
    """A complete configuration rather than an include-able fragment (squid)."""
    mode: Literal["audit", "enforce"] = "enforce"
    """squid ``--full`` and dns-firewall's rule group: log (alert) and allow everything, or allow the policy and
    deny the rest."""
    sni: bool = False
    """Also match the TLS server name where the target can (squid ``ssl::server_name``)."""
    flavor: str | None = None
    """Which syntax for targets that have several (cloudformation/terraform, arm/cli); None for the first."""
    proxy: str | None = None
    """The HTTP proxy URL a generated node configuration points at."""
    params: Mapping[str, str] = field(default_factory=dict)
    """Exporter-specific ``KEY=VALUE`` settings (see each exporter's ``params``)."""


@dataclass(frozen=True)
class Param:
    """An exporter-specific setting: its default, what it means, and the type its value must parse as."""

    default: str
    help: str
    kind: type[int] | type[float] | type[str] = str


@dataclass(frozen=True)
class Rendered:
    """A whole file's text plus what the target could not express exactly."""

    text: str
    approximations: tuple[str, ...] = ()
    """Where the target could not say exactly what the policy means, and what was written instead."""
    rejected: tuple[str, ...] = ()
    """Names refused at render time (not canonical host names): never written into the output."""


class Exporter(ABC):
    """Renders a policy as one file; never writes files, never prints."""

    name: ClassVar[str]
    description: ClassVar[str]
    default_scope: ClassVar[ScopeFilter] = "all"
    every_tier: ClassVar[bool] = False
    """True for formats that are the policy itself (json): documentation entries always included."""
    flavors: ClassVar[tuple[str, ...]] = ()
    """Syntaxes this target can be written in; the first is the default."""
    params: ClassVar[Mapping[str, Param]] = {}
    """Exporter-specific settings accepted through ``ExportOptions.params``."""
    shows_outcomes: ClassVar[bool] = False
    """True for review formats that show denied and failed counts and flag entries seen only denied or failed
    themselves (csv, markdown, html, json); the others write rules, and the command names those entries."""

    def render_pieces(self, policy: Policy, options: ExportOptions) -> tuple[Iterator[str], Rendered]:
        """The export's text in pieces to write one after another, and the render's notes (``text`` unused).

        By default the whole text as one piece; formats whose output grows with the policy give it piece by
        piece so a big policy is never held whole (json).
        """
        rendered = self.render(policy, options)
        return iter((rendered.text,)), rendered

    def checked(self, policy: Policy, options: ExportOptions) -> tuple[list[Entry], tuple[str, ...]]:
        """The entries this export shows, and why each other entry in scope was left out.

        An entry is left out when it fails :func:`~egressmap.exporters.rules.invalid_reason`.
        """
        kept: list[Entry] = []
        rejected: list[str] = []
        for entry in self._scoped(policy, options):
            problem = invalid_reason(entry)
            if problem is None:
                kept.append(entry)
            else:
                rejected.append(problem)
        return kept, tuple(rejected)

    def select(self, policy: Policy, options: ExportOptions) -> list[Entry]:
        """The entries this export shows under ``options``; entries that fail validation are left out."""
        return self.checked(policy, options)[0]

    def rejections(self, policy: Policy, options: ExportOptions) -> tuple[str, ...]:
        """A message for each entry in scope that ``select`` leaves out because it fails validation."""
        return self.checked(policy, options)[1]

    def keeps_nxdomain(self, options: ExportOptions) -> bool:
        """True when this export shows entries only ever answered NXDOMAIN: asked to, or a review format."""
        return options.include_nxdomain or self.every_tier or self.shows_outcomes

    def _scoped(self, policy: Policy, options: ExportOptions) -> list[Entry]:
        scope = options.scope or self.default_scope
        keep_docs = options.include_documentation or self.every_tier
        keep_nx = self.keeps_nxdomain(options)
        return [
            e
            for e in policy.entries
            if (scope == "all" or e.scope == scope)
            and (keep_docs or e.tier != "documentation")
            and (keep_nx or not nxdomain_only(e))
        ]

    def rules(self, policy: Policy, options: ExportOptions) -> RuleSet:
        """Validated rules for the selected entries, templates expanded for the regions asked for."""
        return rules_for(self._scoped(policy, options), options.regions or policy.regions)

    def flavor(self, options: ExportOptions) -> str:
        """The syntax asked for, checked against ``flavors``."""
        if not self.flavors:
            if options.flavor:
                raise ConfigError(f"{self.name}: there is only one syntax; drop --flavor {options.flavor}")
            return ""
        if options.flavor is None:
            return self.flavors[0]
        if options.flavor not in self.flavors:
            raise ConfigError(
                f"{self.name}: unknown flavor {options.flavor!r}; choose one of: {', '.join(self.flavors)}"
            )
        return options.flavor

    def param(self, options: ExportOptions, key: str) -> str | int | float:
        """The value of an exporter setting: from ``options.params`` or its default, parsed to its type."""
        spec = self.params[key]
        raw = options.params.get(key, spec.default)
        try:
            return spec.kind(raw)
        except ValueError:
            raise ConfigError(
                f"{self.name}: --param {key}={raw!r} is not a valid {spec.kind.__name__}"
            ) from None

    def check_params(self, options: ExportOptions) -> None:
        """Refuse a flavor or settings this exporter does not know, and values that do not parse."""
        self.flavor(options)
        for key in options.params:
            if key not in self.params:
                known = ", ".join(sorted(self.params)) or "none"
                raise ConfigError(f"{self.name}: unknown --param {key!r} (known: {known})")
            self.param(options, key)

    @abstractmethod
    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Return the file content."""


def why(entry: Entry) -> str:
    """A one-line justification for a reviewer: the strongest reasons, then notes and warnings."""
    parts = [r.split(": ", 1)[-1] for r in entry.reasons[:3]]
    c = entry.classification
    what = " ".join(x for x in (c.provider, c.service) if x)
    if what:
        parts.insert(0, what)
    if REGION_TOKEN not in entry.pattern:  # a template's notes describe only the first host seen
        parts.extend(c.notes[:2])
    parts.extend(entry.warnings)
    return "; ".join(parts)
