"""The interface every export format implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from ..model import Entry, Policy

ScopeFilter = Literal["internet", "cloud", "all"]


@dataclass(frozen=True)
class ExportOptions:
    """What to include: scope, documentation-only entries, regions to expand templates for."""

    scope: ScopeFilter | None = None
    """None means the exporter's own default."""
    include_documentation: bool = False
    regions: Sequence[str] = ()


@dataclass(frozen=True)
class Rendered:
    """A whole file's text plus what the target could not express exactly."""

    text: str
    approximations: tuple[str, ...] = ()


class Exporter(ABC):
    """Renders a policy as one file; never writes files, never prints."""

    name: ClassVar[str]
    description: ClassVar[str]
    default_scope: ClassVar[ScopeFilter] = "all"
    every_tier: ClassVar[bool] = False
    """True for formats that are the policy itself (json): documentation entries always included."""

    def select(self, policy: Policy, options: ExportOptions) -> list[Entry]:
        """The entries this export shows under ``options``."""
        scope = options.scope or self.default_scope
        keep_docs = options.include_documentation or self.every_tier
        return [
            e
            for e in policy.entries
            if (scope == "all" or e.scope == scope) and (keep_docs or e.tier != "documentation")
        ]

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
    parts.extend(c.notes[:2])
    parts.extend(entry.warnings)
    return "; ".join(parts)
