"""``vpc-endpoints``: the gateway and interface VPC endpoints a policy's AWS cloud scope needs, and their cost.

One endpoint per (endpoint service name, region) for the AWS cloud-scope entries whose ``private_endpoint`` is
``gateway`` or ``interface``. Entries with ``none`` (Route 53, IAM, CloudFront, global names) are listed in the
output and reported as approximations ("no VPC endpoint: needs internet or a proxy"); other providers' entries
are skipped with a note. The regions are those of the policy's concrete names (templates expanded for
``--region`` or the policy's regions); ``--region`` also limits the output to those regions.

Names and the cost model: :mod:`egressmap.exporters.vpc_endpoint_plan` (with their sources); the documents:
:mod:`egressmap.exporters.vpc_endpoint_templates`.
"""

from __future__ import annotations

import math
from types import MappingProxyType

from ..errors import ConfigError
from ..model import Policy
from .interface import Exporter, ExportOptions, Param, Rendered
from .vpc_endpoint_plan import PRICING_URL, CostModel, EndpointPlan, estimate, plan_endpoints
from .vpc_endpoint_templates import cloudformation, terraform


class VpcEndpointsExport(Exporter):
    """CloudFormation (YAML) or Terraform (JSON) for the VPC endpoints of the policy's AWS cloud scope.

    CloudFormation: one template, deployed once per region (a stack or a StackSet instance per region). With
    endpoints in one region it creates them all and its Rules refuse any other region; with several, every
    endpoint carries a condition on ``AWS::Region`` so each stack creates its own region's. ``--region`` writes
    the endpoints of the regions named only. Terraform: one configuration for every region, with a provider
    alias per region and a ``vpcs`` map variable keyed by region.
    """

    name = "vpc-endpoints"
    description = "AWS VPC endpoints (gateway/interface) for the cloud scope, with a monthly cost estimate"
    default_scope = "cloud"
    flavors = ("cloudformation", "terraform")
    params = MappingProxyType(
        {
            "hourly": Param(
                "0.01",
                f"USD per interface endpoint per Availability Zone per hour (us-east-1 list price, {PRICING_URL})",
                float,
            ),
            "per_gb": Param(
                "0.01",
                f"USD per GB processed by an interface endpoint (us-east-1, first PB a month; {PRICING_URL})",
                float,
            ),
            "gb_per_month": Param("0", "expected GB processed per interface endpoint per month", float),
            "azs": Param("2", "Availability Zones (subnets) each interface endpoint is placed in", int),
            "hours": Param("730", "hours billed per month (365 x 24 / 12)", int),
        }
    )

    def cost_model(self, options: ExportOptions) -> CostModel:
        """The cost settings: defaults or ``--param`` values, refused unless finite numbers in range."""
        numbers: dict[str, float] = {}
        for key in self.params:
            value = self.param(options, key)
            if isinstance(value, str) or not math.isfinite(value) or value < 0:
                raise ConfigError(f"{self.name}: --param {key}={value!r} must be a finite number >= 0")
            numbers[key] = value
        if numbers["azs"] < 1 or numbers["hours"] < 1:
            raise ConfigError(f"{self.name}: --param azs and hours must be at least 1")
        return CostModel(
            numbers["hourly"],
            numbers["per_gb"],
            numbers["gb_per_month"],
            int(numbers["azs"]),
            int(numbers["hours"]),
        )

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the template for the flavor asked for."""
        flavor = self.flavor(options)
        self.check_params(options)
        model = self.cost_model(options)
        ruleset = self.rules(policy, options)
        plan = plan_endpoints(ruleset.rules, tuple(options.regions))
        cost = estimate(plan, model)
        text = cloudformation(plan, cost) if flavor == "cloudformation" else terraform(plan, cost)
        notes = list(plan.notes)
        priced = [r for r in plan.regions if r != "us-east-1" and _has_interface(plan, r)]
        if priced and not options.params.get("hourly"):
            notes.append(
                f"cost estimate uses us-east-1 prices for {', '.join(priced)}; pass --param hourly=... per_gb=..."
            )
        return Rendered(text, tuple(notes), ruleset.rejected + plan.rejected)


def _has_interface(plan: EndpointPlan, region: str) -> bool:
    return any(e.need.type == "interface" for e in plan.in_region(region))
