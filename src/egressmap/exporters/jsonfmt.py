"""The policy itself as JSON (every tier; ``--scope`` still filters)."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Policy
from ..policy_stream import iter_policy_json
from .interface import Exporter, ExportOptions, Rendered


class JsonExport(Exporter):
    """Same structure as the YAML policy file."""

    name = "json"
    shows_outcomes = True
    description = "the policy as JSON (schema egressmap.policy/1), every tier"
    every_tier = True

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the JSON document."""
        pieces, rendered = self.render_pieces(policy, options)
        return Rendered("".join(pieces), rejected=rendered.rejected)

    def render_pieces(self, policy: Policy, options: ExportOptions) -> tuple[Iterator[str], Rendered]:
        """The document in pieces, an entry at a time (see :mod:`egressmap.policy_stream`)."""
        chosen, rejected = self.checked(policy, options)
        return iter_policy_json(policy, chosen), Rendered("", rejected=rejected)
