"""The policy itself as JSON (every tier; ``--scope`` still filters)."""

from __future__ import annotations

from ..model import Policy
from ..policy import dump_json, policy_to_dict
from .interface import Exporter, ExportOptions, Rendered


class JsonExport(Exporter):
    """Same structure as the YAML policy file."""

    name = "json"
    shows_outcomes = True
    description = "the policy as JSON (schema egressmap.policy/1), every tier"
    every_tier = True

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the JSON document."""
        chosen, rejected = self.checked(policy, options)
        return Rendered(dump_json(policy_to_dict(policy, chosen)), rejected=rejected)
