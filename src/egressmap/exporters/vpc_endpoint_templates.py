"""The ``vpc-endpoints`` documents: a CloudFormation template (YAML) and a Terraform configuration (JSON).

Both are built as dictionaries and dumped (``yaml.safe_dump`` without key sorting, in insertion order; ``json``
with sorted keys), so the same plan always gives the same bytes. Every name in them is an endpoint service name
that passed :func:`egressmap.exporters.rules.checked_name`, a region, or an identifier derived from those;
free text has been through :func:`egressmap.exporters.rules.safe_text`.

Resource syntax: ``AWS::EC2::VPCEndpoint`` (``VpcEndpointType`` Gateway with ``RouteTableIds``, Interface with
``SubnetIds``, ``SecurityGroupIds`` and ``PrivateDnsEnabled``) and ``AWS::EC2::SecurityGroup``,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-vpcendpoint.html ; Terraform
``aws_vpc_endpoint``, ``aws_security_group`` and ``aws_vpc_security_group_ingress_rule`` of the hashicorp/aws
provider (5.x), https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/vpc_endpoint ;
``"//"`` properties are comments in Terraform's JSON syntax,
https://developer.hashicorp.com/terraform/language/syntax/json#comment-properties .
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from .vpc_endpoint_plan import Endpoint, EndpointPlan

HTTPS = 443
_SG_TEXT = "HTTPS from the VPC to its interface VPC endpoints (egressmap)"
_CIDR = r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$"


def cloudformation(plan: EndpointPlan, cost: dict[str, Any]) -> str:
    """One template for every region of the plan; with several, each endpoint is conditioned on its region."""
    regions = plan.regions
    multi = len(regions) > 1
    kinds = {e.need.type for e in plan.endpoints}
    doc: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": _description(plan, cost),
        "Metadata": {
            "egressmap": _no_floats(
                {
                    "deploy": "one stack per region listed, with that region's VPC, subnets and route tables",
                    "regions": regions,
                    "cost_estimate": cost,
                    "no_vpc_endpoint": list(plan.no_endpoint),
                }
            )
        },
    }
    params: dict[str, Any] = {}
    if plan.endpoints:
        params["VpcId"] = {"Type": "AWS::EC2::VPC::Id", "Description": "The VPC to create the endpoints in"}
    if "gateway" in kinds:
        params["RouteTableIds"] = {
            "Type": "CommaDelimitedList",
            "Description": "Route tables that get the gateway endpoints' routes (comma-separated IDs)",
        }
    if "interface" in kinds:
        params["SubnetIds"] = {
            "Type": "List<AWS::EC2::Subnet::Id>",
            "Description": "One subnet per Availability Zone for the interface endpoints",
        }
        params["VpcCidr"] = {
            "Type": "String",
            "AllowedPattern": _CIDR,
            "Description": "The VPC's IPv4 CIDR block, allowed to reach the interface endpoints on 443",
        }
    if params:
        doc["Parameters"] = params
    if regions:
        doc["Rules"] = {"EndpointRegion": {"Assertions": [_region_assertion(regions)]}}
    if multi:
        doc["Conditions"] = {_condition(r): {"Fn::Equals": [{"Ref": "AWS::Region"}, r]} for r in regions}
    resources: dict[str, Any] = {}
    sg_condition = _sg_condition(plan, doc) if multi else None
    if "interface" in kinds:
        resources["EndpointSecurityGroup"] = _cfn_security_group(sg_condition)
    used: set[str] = set()
    for endpoint in plan.endpoints:
        logical = _unique(_camel(endpoint.need.service) + _camel(endpoint.region) + "Endpoint", used)
        resources[logical] = _cfn_endpoint(endpoint, cost, _condition(endpoint.region) if multi else None)
    if not resources:
        resources["NoEndpointsNeeded"] = {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Metadata": {"egressmap": "the policy names no AWS service a VPC endpoint can carry"},
        }
    doc["Resources"] = resources
    if "interface" in kinds:
        output: dict[str, Any] = {
            "Description": "Security group of the interface endpoints",
            "Value": {"Ref": "EndpointSecurityGroup"},
        }
        if sg_condition:
            output = {"Condition": sg_condition, **output}
        doc["Outputs"] = {"EndpointSecurityGroupId": output}
    head = [
        "# egressmap vpc-endpoints (CloudFormation): create one stack from this template in each region it names.",
        f"# Estimated cost: {cost['calculation']}",
        *(f"# No VPC endpoint, needs internet or a proxy: {item}" for item in plan.no_endpoint),
    ]
    body = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=110, allow_unicode=False)
    return "\n".join(head) + "\n" + body


def _description(plan: EndpointPlan, cost: dict[str, Any]) -> str:
    if not plan.endpoints:
        return "egressmap: no VPC endpoints needed by the policy's AWS cloud scope"
    gateway = sum(1 for e in plan.endpoints if e.need.type == "gateway")
    text = (
        f"egressmap: VPC endpoints for {', '.join(plan.regions)} ({gateway} gateway,"
        f" {len(plan.endpoints) - gateway} interface); estimated {cost['total_monthly_usd']:.2f} USD a month"
        f" for {cost['settings']['azs']} AZs (Metadata egressmap.cost_estimate)"
    )
    if plan.no_endpoint:
        text += f"; {len(plan.no_endpoint)} name(s) have no VPC endpoint (Metadata egressmap.no_vpc_endpoint)"
    return text[:1024]


def _no_floats(value: Any) -> Any:
    """CloudFormation metadata takes strings, integers, booleans, lists and maps, not floats (cfn-lint E4002)."""
    if isinstance(value, float):
        return str(value)
    if isinstance(value, dict):
        return {k: _no_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_floats(v) for v in value]
    return value


def _region_assertion(regions: list[str]) -> dict[str, Any]:
    if len(regions) == 1:
        check: dict[str, Any] = {"Fn::Equals": [{"Ref": "AWS::Region"}, regions[0]]}
    else:
        check = {"Fn::Contains": [list(regions), {"Ref": "AWS::Region"}]}
    return {
        "Assert": check,
        "AssertDescription": f"The endpoint service names are for {', '.join(regions)} only",
    }


def _sg_condition(plan: EndpointPlan, doc: dict[str, Any]) -> str | None:
    """The condition for the security group: None when every region has interface endpoints."""
    wanted = sorted({e.region for e in plan.endpoints if e.need.type == "interface"})
    if not wanted or len(wanted) == len(plan.regions):
        return None
    if len(wanted) == 1:
        return _condition(wanted[0])
    conds: list[dict[str, Any]] = [{"Condition": _condition(r)} for r in wanted]
    while len(conds) > 10:  # Fn::Or takes 2 to 10 conditions
        conds = [_or(conds[i : i + 10]) for i in range(0, len(conds), 10)]
    doc["Conditions"]["HasInterfaceEndpoints"] = {"Fn::Or": conds}
    return "HasInterfaceEndpoints"


def _or(conds: list[dict[str, Any]]) -> dict[str, Any]:
    return conds[0] if len(conds) == 1 else {"Fn::Or": conds}


def _cfn_security_group(condition: str | None) -> dict[str, Any]:
    group: dict[str, Any] = {"Type": "AWS::EC2::SecurityGroup"}
    if condition:
        group["Condition"] = condition
    group["Properties"] = {
        "GroupDescription": _SG_TEXT,
        "VpcId": {"Ref": "VpcId"},
        "SecurityGroupIngress": [
            {
                "IpProtocol": "tcp",
                "FromPort": HTTPS,
                "ToPort": HTTPS,
                "CidrIp": {"Ref": "VpcCidr"},
                "Description": "HTTPS from the VPC",
            }
        ],
    }
    return group


def _cfn_endpoint(endpoint: Endpoint, cost: dict[str, Any], condition: str | None) -> dict[str, Any]:
    need = endpoint.need
    resource: dict[str, Any] = {"Type": "AWS::EC2::VPCEndpoint"}
    if condition:
        resource["Condition"] = condition
    resource["Metadata"] = {
        "egressmap": {
            "carries": list(need.hosts),
            "why": list(need.why),
            "monthly_cost_usd": str(cost["endpoints"][need.name]),
        }
    }
    props: dict[str, Any] = {
        "ServiceName": need.name,
        "VpcEndpointType": "Gateway" if need.type == "gateway" else "Interface",
        "VpcId": {"Ref": "VpcId"},
    }
    if need.type == "gateway":
        props["RouteTableIds"] = {"Ref": "RouteTableIds"}
    else:
        props["SubnetIds"] = {"Ref": "SubnetIds"}
        props["SecurityGroupIds"] = [{"Ref": "EndpointSecurityGroup"}]
        props["PrivateDnsEnabled"] = True
    resource["Properties"] = props
    return resource


def terraform(plan: EndpointPlan, cost: dict[str, Any]) -> str:
    """One configuration for every region: a provider alias and a ``vpcs`` map entry per region."""
    regions = plan.regions
    doc: dict[str, Any] = {
        "//": (
            "egressmap vpc-endpoints (Terraform). Estimated cost: "
            + cost["calculation"]
            + "".join(f". No VPC endpoint, needs internet or a proxy: {item}" for item in plan.no_endpoint)
        ),
        "terraform": {
            "required_version": ">= 1.3",
            "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.0"}},
        },
        "locals": {
            "vpc_endpoint_cost_estimate": cost,
            "no_vpc_endpoint": list(plan.no_endpoint),
        },
        "output": {
            "vpc_endpoint_monthly_cost_usd": {
                "description": "Estimated USD a month: " + cost["calculation"],
                "value": "${local.vpc_endpoint_cost_estimate.total_monthly_usd}",
            }
        },
    }
    if not regions:
        return json.dumps(doc, indent=2, sort_keys=True) + "\n"
    doc["variable"] = {
        "vpcs": {
            "description": (
                "Per region (" + ", ".join(regions) + "): the VPC ID, its IPv4 CIDR, one subnet per"
                " Availability Zone for interface endpoints, and the route tables for gateway endpoints"
            ),
            "type": (
                "map(object({vpc_id = string, vpc_cidr = optional(string),"
                " subnet_ids = optional(list(string), []), route_table_ids = optional(list(string), [])}))"
            ),
        }
    }
    doc["provider"] = {"aws": [{"alias": _ident(r), "region": r} for r in regions]}
    groups: dict[str, Any] = {}
    ingress: dict[str, Any] = {}
    endpoints: dict[str, Any] = {}
    used: set[str] = set()
    for region in regions:
        vpc = f'var.vpcs["{region}"]'
        provider = f"aws.{_ident(region)}"
        group = f"vpce_{_ident(region)}"
        if any(e.need.type == "interface" for e in plan.in_region(region)):
            groups[group] = {
                "provider": provider,
                "name_prefix": "egressmap-vpce-",
                "description": _SG_TEXT,
                "vpc_id": f"${{{vpc}.vpc_id}}",
                "tags": {"Name": "egressmap-vpc-endpoints"},
            }
            ingress[f"vpce_https_{_ident(region)}"] = {
                "provider": provider,
                "security_group_id": f"${{aws_security_group.{group}.id}}",
                "cidr_ipv4": f"${{{vpc}.vpc_cidr}}",
                "ip_protocol": "tcp",
                "from_port": HTTPS,
                "to_port": HTTPS,
                "description": "HTTPS from the VPC",
            }
        for endpoint in plan.in_region(region):
            need = endpoint.need
            body: dict[str, Any] = {
                "//": f"carries {', '.join(need.hosts)}; {cost['endpoints'][need.name]:.2f} USD a month",
                "provider": provider,
                "vpc_id": f"${{{vpc}.vpc_id}}",
                "service_name": need.name,
                "vpc_endpoint_type": "Gateway" if need.type == "gateway" else "Interface",
                "tags": {"Name": f"egressmap-{need.service}"},
            }
            if need.type == "gateway":
                body["route_table_ids"] = f"${{{vpc}.route_table_ids}}"
            else:
                body["subnet_ids"] = f"${{{vpc}.subnet_ids}}"
                body["security_group_ids"] = [f"${{aws_security_group.{group}.id}}"]
                body["private_dns_enabled"] = True
            endpoints[_unique(_ident(f"{need.service}_{region}"), used)] = body
    resource: dict[str, Any] = {"aws_vpc_endpoint": endpoints}
    if groups:
        resource["aws_security_group"] = groups
        resource["aws_vpc_security_group_ingress_rule"] = ingress
    doc["resource"] = resource
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _condition(region: str) -> str:
    return "In" + _camel(region)


def _camel(text: str) -> str:
    """``ecr.dkr`` -> ``EcrDkr``, ``eu-west-1`` -> ``EuWest1`` (CloudFormation logical IDs are alphanumeric)."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _ident(text: str) -> str:
    """A Terraform identifier: ``eu-west-1`` -> ``eu_west_1``."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out if out[:1].isalpha() else f"x_{out}"


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}{n}", n + 1
    used.add(candidate)
    return candidate
