"""vpc-endpoints documents: identifiers, region conditions, metadata without floats, Terraform regions."""

from __future__ import annotations

import json
from typing import Any

import yaml

from egressmap.classify import classify
from egressmap.exporters.rules import rules_for
from egressmap.exporters.vpc_endpoint_plan import CostModel, EndpointPlan, estimate, plan_endpoints
from egressmap.exporters.vpc_endpoint_templates import _camel, _ident, _unique, cloudformation, terraform
from egressmap.model import Entry

MODEL = CostModel(hourly=0.01, per_gb=0.01, gb_per_month=0, azs=2, hours=730)

#: Twelve regions with an interface endpoint, one with a gateway endpoint only.
REGIONS = [
    "ap-northeast-1",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-2",
]


def _plan(*hosts: str) -> EndpointPlan:
    entries = [
        Entry(h, (h,), (443,), classify(h), "observed", 1, 0, ("observed: x",), ("a.log:1",)) for h in hosts
    ]
    return plan_endpoints(rules_for(entries, ()).rules)


def _cfn(plan: EndpointPlan) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(cloudformation(plan, estimate(plan, MODEL)))
    return doc


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def test_identifiers() -> None:
    """Logical IDs are alphanumeric, Terraform names are identifiers, repeats get a number."""
    assert _camel("ecr.dkr") + _camel("eu-west-1") == "EcrDkrEuWest1"
    assert _ident("ecr.dkr_eu-west-1") == "ecr_dkr_eu_west_1"
    assert _ident("3d") == "x_3d"
    used: set[str] = set()
    assert [_unique("A", used), _unique("A", used), _unique("A", used)] == ["A", "A2", "A3"]


def test_security_group_condition_covers_regions_with_interface_endpoints() -> None:
    """Twelve interface regions and one gateway-only region: the SG condition nests Fn::Or (2 to 10 each)."""
    plan = _plan("s3.us-west-1.amazonaws.com", *(f"sqs.{r}.amazonaws.com" for r in REGIONS))
    doc = _cfn(plan)
    group = doc["Resources"]["EndpointSecurityGroup"]
    assert group["Condition"] == "HasInterfaceEndpoints"
    outer = doc["Conditions"]["HasInterfaceEndpoints"]["Fn::Or"]
    assert [len(part["Fn::Or"]) for part in outer] == [10, 2]
    inner = [c["Condition"] for part in outer for c in part["Fn::Or"]]
    assert inner == [f"In{_camel(r)}" for r in REGIONS]
    assert doc["Outputs"]["EndpointSecurityGroupId"]["Condition"] == "HasInterfaceEndpoints"
    assert doc["Resources"]["S3UsWest1Endpoint"]["Condition"] == "InUsWest1"


def test_one_interface_region_among_two_uses_its_condition() -> None:
    """With one region holding interface endpoints, the SG takes that region's condition directly."""
    doc = _cfn(_plan("s3.us-west-1.amazonaws.com", "ssm.eu-west-1.amazonaws.com"))
    assert doc["Resources"]["EndpointSecurityGroup"]["Condition"] == "InEuWest1"
    assert "HasInterfaceEndpoints" not in doc["Conditions"]


def test_metadata_holds_no_floats() -> None:
    """CloudFormation metadata carries costs as strings (cfn-lint E4002 refuses floats)."""
    doc = _cfn(_plan("ssm.eu-west-1.amazonaws.com"))
    assert _floats(doc) == []
    assert doc["Metadata"]["egressmap"]["cost_estimate"]["settings"]["hourly"] == "0.01"


def test_gateway_only_template_has_no_security_group() -> None:
    """Gateway endpoints need route tables, not subnets, a CIDR or a security group."""
    doc = _cfn(_plan("s3.eu-west-1.amazonaws.com", "dynamodb.eu-west-1.amazonaws.com"))
    assert list(doc["Parameters"]) == ["VpcId", "RouteTableIds"]
    assert "EndpointSecurityGroup" not in doc["Resources"] and "Outputs" not in doc
    plan = _plan("s3.eu-west-1.amazonaws.com")
    tf: dict[str, Any] = json.loads(terraform(plan, estimate(plan, MODEL)))
    assert set(tf["resource"]) == {"aws_vpc_endpoint"}


def test_terraform_endpoint_bodies() -> None:
    """Each endpoint names its provider alias, the region's VPC from the map, and a comment with its cost."""
    plan = _plan("api.ecr.eu-west-1.amazonaws.com")
    doc: dict[str, Any] = json.loads(terraform(plan, estimate(plan, MODEL)))
    assert doc["resource"]["aws_vpc_endpoint"] == {
        "ecr_api_eu_west_1": {
            "//": "carries api.ecr.eu-west-1.amazonaws.com; 14.60 USD a month",
            "private_dns_enabled": True,
            "provider": "aws.eu_west_1",
            "security_group_ids": ["${aws_security_group.vpce_eu_west_1.id}"],
            "service_name": "com.amazonaws.eu-west-1.ecr.api",
            "subnet_ids": '${var.vpcs["eu-west-1"].subnet_ids}',
            "tags": {"Name": "egressmap-ecr.api"},
            "vpc_endpoint_type": "Interface",
            "vpc_id": '${var.vpcs["eu-west-1"].vpc_id}',
        }
    }
