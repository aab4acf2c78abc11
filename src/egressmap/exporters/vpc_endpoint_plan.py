"""What the ``vpc-endpoints`` export writes: endpoint service names, endpoints by region, and their cost.

Endpoint service names (``com.amazonaws.<region>.<name>``):

- ``<name>`` is the host's endpoint prefix except where PrivateLink spells it differently (``api.ecr`` ->
  ``ecr.api``, ``kinesis`` -> ``kinesis-streams``...): :data:`PRIVATELINK_NAMES`. The names are those of
  https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html (also listed in
  aws/aws-cdk ``packages/aws-cdk-lib/aws-ec2/lib/vpc-endpoint.ts`` @000a9eb6dd, InterfaceVpcEndpointAwsService).
- In the China regions some interface endpoints take the prefix ``cn.com.amazonaws`` (and ``transcribe`` the
  suffix ``.cn``): :data:`CHINA_CN_PREFIX`, from the same aws-cdk file (``getDefaultEndpointPrefix`` and
  ``getDefaultEndpointSuffix``); docs/reference/parallelcluster.md §1.1 agrees for ``cloudformation`` and
  ``ec2``. GovCloud uses ``com.amazonaws``. Other partitions (ISO, EUSC) are written with ``com.amazonaws``
  and reported as unverified.
- Gateway endpoints (S3, DynamoDB) are ``com.amazonaws.<region>.s3|dynamodb`` in every partition (aws-cdk
  GatewayVpcEndpointAwsService; docs/reference/parallelcluster.md §1.1 "same" for China).

Cost (:class:`CostModel`): an interface endpoint is billed per hour in each Availability Zone it is placed in,
plus per GB it processes; gateway endpoints are free. The exporter's defaults are the us-east-1 list prices of
https://aws.amazon.com/privatelink/pricing/ (0.01 USD per endpoint-AZ-hour; 0.01 USD per GB for the first PB a
month in a region, then 0.006 for the next 4 PB and 0.004 above) and "no additional charge" for gateway
endpoints (https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html). A month is 730 hours
(365 x 24 / 12).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ..catalog.predict import EndpointNeed
from ..classify import aws_data, classify
from ..classify.aws import GATEWAY_SERVICES
from .rules import Rule, checked_name, safe_text

PRICING_URL = "https://aws.amazon.com/privatelink/pricing/"
NO_ENDPOINT = "no VPC endpoint: needs internet or a proxy"

#: Botocore endpoint prefix (the host's labels before the region) -> PrivateLink service name, where they differ.
PRIVATELINK_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "api.ecr": "ecr.api",
        "dkr.ecr": "ecr.dkr",  # <registry>.dkr.ecr.<region>.amazonaws.com
        "api.sagemaker": "sagemaker.api",
        "runtime.sagemaker": "sagemaker.runtime",
        "metrics.sagemaker": "sagemaker.metrics",
        "api.pricing": "pricing.api",
        "api.iotwireless": "iotwireless.api",
        "data.iot": "iot.data",
        "data-ats.iot": "iot.data",
        "kinesis": "kinesis-streams",
        "firehose": "kinesis-firehose",
        "streams.dynamodb": "dynamodb-streams",
        "codeartifact": "codeartifact.api",
        "d.codeartifact": "codeartifact.repositories",  # <domain>-<owner>.d.codeartifact.<region>...
    }
)

_CN_COMMON = (
    "application-autoscaling appmesh-envoy-management athena autoscaling awsconnector backup batch cassandra "
    "cloudcontrolapi cloudformation codedeploy-commands-secure databrew dms ebs ec2 ecr.api ecr.dkr eks "
    "elasticache elasticbeanstalk elasticfilesystem elasticfilesystem-fips emr-containers execute-api fsx "
    "imagebuilder iot.data kinesis-streams lambda license-manager monitoring rds redshift redshift-data s3 "
    "sagemaker.api sagemaker.featurestore-runtime sagemaker.runtime securityhub servicecatalog sms sqs states "
    "sts sync-states synthetics transcribe transcribestreaming transfer xray"
).split()

#: China region -> interface endpoint names that take the ``cn.com.amazonaws`` prefix (aws-cdk, see above).
CHINA_CN_PREFIX: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "cn-north-1": frozenset([*_CN_COMMON, "iotsitewise.api", "iotsitewise.data"]),
        "cn-northwest-1": frozenset([*_CN_COMMON, "account", "polly", "workspaces"]),
    }
)
_CN_SUFFIX = frozenset({"transcribe"})
_KNOWN_PREFIX_PARTITIONS = frozenset({"aws", "aws-cn", "aws-us-gov"})


def endpoint_service_name(name: str, region: str, kind: str) -> str:
    """The endpoint service name to create a VPC endpoint with.

    >>> endpoint_service_name("ecr.dkr", "eu-west-1", "interface")
    'com.amazonaws.eu-west-1.ecr.dkr'
    >>> endpoint_service_name("ec2", "cn-north-1", "interface"), endpoint_service_name("s3", "cn-north-1", "gateway")
    ('cn.com.amazonaws.cn-north-1.ec2', 'com.amazonaws.cn-north-1.s3')
    """
    china = kind == "interface" and name in CHINA_CN_PREFIX.get(region, frozenset())
    prefix = "cn.com.amazonaws" if china else "com.amazonaws"
    suffix = ".cn" if china and name in _CN_SUFFIX else ""
    return f"{prefix}.{region}.{name}{suffix}"


def privatelink_name(host: str, region: str, service: str) -> str:
    """The PrivateLink name for a host: its longest known prefix before the region, else the service.

    >>> privatelink_name("123456789012.dkr.ecr.us-east-1.amazonaws.com", "us-east-1", "ecr")
    'ecr.dkr'
    >>> privatelink_name("ssm.eu-west-1.amazonaws.com", "eu-west-1", "ssm")
    'ssm'
    """
    labels = host.split(".")
    head = labels[: len(labels) - 1 - labels[::-1].index(region)] if region in labels else []
    for start in range(len(head)):
        found = PRIVATELINK_NAMES.get(".".join(head[start:]))
        if found:
            return found
    return PRIVATELINK_NAMES.get(service, service)


@dataclass(frozen=True)
class Endpoint:
    """One VPC endpoint to create: its region and what it carries."""

    region: str
    need: EndpointNeed
    """``service`` is the PrivateLink name, ``type`` gateway or interface, ``name`` the endpoint service name,
    ``hosts`` the policy names it carries (wildcards as ``*.suffix``), ``why`` the entries' reasons."""


@dataclass(frozen=True)
class EndpointPlan:
    """The endpoints by region, plus what needs another path and what was left out."""

    endpoints: tuple[Endpoint, ...]
    no_endpoint: tuple[str, ...] = ()
    """Names no VPC endpoint carries: AWS ``name (service)``, then internet-scope ``name (internet scope)``."""
    notes: tuple[str, ...] = ()
    rejected: tuple[str, ...] = ()

    @property
    def regions(self) -> list[str]:
        """Regions with at least one endpoint, sorted."""
        return sorted({e.region for e in self.endpoints})

    def in_region(self, region: str) -> list[Endpoint]:
        """The endpoints of one region: gateways first, then by name."""
        return [e for e in self.endpoints if e.region == region]


def plan_endpoints(rules: tuple[Rule, ...], only: tuple[str, ...] = ()) -> EndpointPlan:
    """Group rules into endpoints; ``only`` (when given) keeps the endpoints of those regions."""
    groups: dict[tuple[str, str], list[tuple[Rule, str, str]]] = {}
    no_endpoint: list[str] = []
    internet: list[str] = []
    notes: list[str] = []
    rejected: list[str] = []
    outside: set[str] = set()
    for rule in rules:
        c = rule.entry.classification
        shown = f"*.{rule.name}" if rule.wildcard else rule.name
        if c.scope != "cloud":
            internet.append(f"{shown} (internet scope)")
            continue
        if c.provider != "aws":
            provider = safe_text(c.provider or "unknown", 40)
            notes.append(f"skipped {shown} ({provider} service): only AWS has VPC endpoints")
            continue
        found = classify(rule.name)
        service = c.service or found.service
        if c.private_endpoint == "none" or not service:
            no_endpoint.append(f"{shown} ({safe_text(service or 'no service', 40)})")
            continue
        region = found.region or c.region
        if region is None or not aws_data.is_region(region):
            notes.append(f"skipped {shown}: no AWS region in the name, so no regional endpoint to create")
            continue
        if only and region not in only:
            outside.add(region)
            continue
        kind = "gateway" if c.private_endpoint == "gateway" and service in GATEWAY_SERVICES else "interface"
        if kind != c.private_endpoint:
            notes.append(
                f"{shown}: only S3 and DynamoDB have gateway endpoints; an interface endpoint is written"
            )
        short = privatelink_name(rule.name, region, service)
        try:
            name = checked_name(endpoint_service_name(short, region, kind))
        except ValueError as exc:
            rejected.append(f"rejected endpoint for {shown}: {exc}")
            continue
        groups.setdefault((region, name), []).append((rule, short, kind))
    endpoints = [_endpoint(region, name, items) for (region, name), items in groups.items()]
    endpoints.sort(key=lambda e: (e.region, e.need.type != "gateway", e.need.name))
    if outside:
        notes.append(f"endpoints for {', '.join(sorted(outside))} left out: not among the regions asked for")
    for region in sorted({e.region for e in endpoints}):
        partition = aws_data.partition_of_region(region)
        if partition not in _KNOWN_PREFIX_PARTITIONS:
            notes.append(
                f"{region} ({partition}): endpoint service names are written as com.amazonaws.*, unverified "
                "for this partition; check them with aws ec2 describe-vpc-endpoint-services"
            )
    notes.extend(f"{item}: {NO_ENDPOINT}" for item in no_endpoint)
    if internet:
        notes.append(f"{len(internet)} internet-scope name(s) listed: {NO_ENDPOINT}")
    return EndpointPlan(tuple(endpoints), tuple(no_endpoint + internet), tuple(notes), tuple(rejected))


def _endpoint(region: str, name: str, items: list[tuple[Rule, str, str]]) -> Endpoint:
    rules = [r for r, _, _ in items]
    hosts = tuple(sorted({f"*.{r.name}" if r.wildcard else r.name for r in rules}))
    reasons = tuple(sorted({safe_text(reason) for r in rules for reason in r.entry.reasons[:3]}))
    _, short, kind = items[0]
    return Endpoint(region, EndpointNeed(short, kind, name, reasons, hosts, ()))


@dataclass(frozen=True)
class CostModel:
    """Monthly cost of VPC endpoints: interface endpoints per AZ-hour plus per GB; gateway endpoints are free."""

    hourly: float
    """USD per interface endpoint per Availability Zone per hour."""
    per_gb: float
    """USD per GB an interface endpoint processes."""
    gb_per_month: float
    """Expected GB processed per interface endpoint per month."""
    azs: int
    """Availability Zones (one subnet each) every interface endpoint is placed in."""
    hours: int
    """Hours billed per month."""

    def monthly(self, kind: str) -> float:
        """USD per month for one endpoint of this kind.

        >>> CostModel(0.01, 0.01, 100, 2, 730).monthly("interface"), CostModel(0.01, 0.01, 0, 2, 730).monthly("gateway")
        (15.6, 0.0)
        """
        if kind != "interface":
            return 0.0
        return round(self.azs * self.hours * self.hourly + self.gb_per_month * self.per_gb, 6)

    @property
    def per_az_month(self) -> float:
        """USD per interface endpoint per Availability Zone per month (before data processing)."""
        return round(self.hours * self.hourly, 6)

    def calculation(self, interface: int) -> str:
        """The sum written out: ``n x azs x hours x hourly + n x gb x per_gb = total``."""
        total = interface * self.monthly("interface")
        return (
            f"{interface} interface endpoints x {self.azs} AZs x {self.hours} h x {_num(self.hourly)} USD"
            f" + {interface} x {_num(self.gb_per_month)} GB x {_num(self.per_gb)} USD"
            f" = {total:.2f} USD/month (gateway endpoints: free)"
        )


def _num(value: float) -> str:
    return f"{value:g}"


def estimate(plan: EndpointPlan, model: CostModel) -> dict[str, Any]:
    """The cost estimate both flavors write: settings, per endpoint, per region and in total (USD a month)."""
    regions: dict[str, Any] = {}
    for region in plan.regions:
        endpoints = plan.in_region(region)
        interface = sum(1 for e in endpoints if e.need.type == "interface")
        regions[region] = {
            "interface_endpoints": interface,
            "gateway_endpoints": len(endpoints) - interface,
            "monthly_usd": round(interface * model.monthly("interface"), 2),
            "calculation": model.calculation(interface),
        }
    interface = sum(1 for e in plan.endpoints if e.need.type == "interface")
    return {
        "currency": "USD",
        "source": PRICING_URL,
        "settings": {
            "hourly": model.hourly,
            "per_gb": model.per_gb,
            "gb_per_month": model.gb_per_month,
            "azs": model.azs,
            "hours": model.hours,
        },
        "per_az_month_usd": round(model.per_az_month, 4),
        "endpoints": {e.need.name: round(model.monthly(e.need.type), 2) for e in plan.endpoints},
        "regions": regions,
        "total_monthly_usd": round(interface * model.monthly("interface"), 2),
        "calculation": model.calculation(interface),
    }
