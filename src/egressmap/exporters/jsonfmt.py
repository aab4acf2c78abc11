"""The policy itself as JSON (every tier; ``--scope`` still filters)."""

from __future__ import annotations

from ..model import Policy
from ..policy import dump_json, policy_to_dict
from .interface import Exporter, ExportOptions, Rendered


class JsonExport(Exporter):
    """Same structure as the YAML policy file."""

    name = "json"
    description = "the policy as JSON (schema egressmap.policy/1), every tier"
    every_tier = True

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the JSON document."""
        return Rendered(
            dump_json(policy_to_dict(policy, self.select(policy, options))),
            rejected=self.rejections(policy, options),
        )
