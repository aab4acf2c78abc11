"""vpc-endpoints: CloudFormation accepted by cfn-lint, Terraform JSON, endpoint names, costs and regions."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from egressmap.classify import classify
from egressmap.errors import ConfigError
from egressmap.exporters import EXPORTERS, ExportOptions
from egressmap.exporters.vpc_endpoints import VpcEndpointsExport
from egressmap.model import Classification, Entry, Policy

from .cfnlint import cfn_lint

EXPORTER = VpcEndpointsExport()

#: (region, type, endpoint service name) the shared policy needs.
SHARED_ENDPOINTS = {
    (region, kind, f"com.amazonaws.{region}.{service}")
    for region in ("eu-west-1", "us-east-1")
    for kind, service in (
        ("Gateway", "s3"),
        ("Gateway", "dynamodb"),
        ("Interface", "cloudformation"),
        ("Interface", "ssm"),
        ("Interface", "sts"),
    )
}


def _entry(host: str, reason: str = "observed: CONNECT seen in squid log") -> Entry:
    return Entry(host, (host,), (443,), classify(host), "observed", 1, 0, (reason,), ("access.log:1",))


def _policy(*hosts: str) -> Policy:
    return Policy(tuple(_entry(h) for h in hosts))


def _cfn(policy: Policy, **options: Any) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(EXPORTER.render(policy, ExportOptions(**options)).text)
    return doc


def _tf(policy: Policy, **options: Any) -> dict[str, Any]:
    text = EXPORTER.render(policy, ExportOptions(flavor="terraform", **options)).text
    doc: dict[str, Any] = json.loads(text)
    return doc


def _cfn_endpoints(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(region condition or '', type, service name) of every endpoint resource."""
    return {
        (r.get("Condition", ""), r["Properties"]["VpcEndpointType"], r["Properties"]["ServiceName"])
        for r in doc["Resources"].values()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
    }


def _tf_endpoints(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(provider region, type, service name) of every aws_vpc_endpoint."""
    regions = {f"aws.{p['alias']}": p["region"] for p in doc["provider"]["aws"]}
    return {
        (regions[r["provider"]], r["vpc_endpoint_type"], r["service_name"])
        for r in doc["resource"]["aws_vpc_endpoint"].values()
    }


def test_registered_with_both_flavors() -> None:
    """The registry knows vpc-endpoints, cloud scope by default, CloudFormation first."""
    assert EXPORTERS["vpc-endpoints"] is VpcEndpointsExport
    assert VpcEndpointsExport.flavors == ("cloudformation", "terraform")
    assert VpcEndpointsExport.default_scope == "cloud"


def test_cloudformation_passes_cfn_lint(shared_policy: Policy, tmp_path: Path) -> None:
    """Real cfn-lint reports no error or warning: several regions, one region, China and ISO, no endpoints."""
    edge = _policy(
        "ec2.cn-north-1.amazonaws.com.cn",
        "s3.cn-northwest-1.amazonaws.com.cn",
        "123456789012.dkr.ecr.eu-central-1.amazonaws.com",
        "ssm.us-iso-east-1.c2s.ic.gov",
        "s3.us-west-1.amazonaws.com",
        "iam.amazonaws.com",
        *(f"sqs.{r}.amazonaws.com" for r in ("ap-south-1", "ca-central-1", "eu-north-1", "eu-west-2")),
        *(f"sqs.{r}.amazonaws.com" for r in ("eu-west-3", "sa-east-1", "us-east-2", "ap-northeast-1")),
    )
    cases = {
        "shared": (shared_policy, ExportOptions()),
        "one-region": (shared_policy, ExportOptions(regions=("eu-west-1",))),
        "edge": (edge, ExportOptions()),
        "empty": (Policy(()), ExportOptions()),
        "gateway-only": (_policy("s3.eu-west-1.amazonaws.com"), ExportOptions()),
    }
    templates = {label: EXPORTER.render(policy, options).text for label, (policy, options) in cases.items()}
    start = time.monotonic()
    cfn_lint(templates, tmp_path)
    print(f"cfn-lint on {len(templates)} templates: {time.monotonic() - start:.1f} s")


def test_cloudformation_endpoints_for_shared_policy(shared_policy: Policy) -> None:
    """Exact endpoint service names and types, each conditioned on its region; parameters and the SG."""
    doc = _cfn(shared_policy)
    conditions = {"InEuWest1": "eu-west-1", "InUsEast1": "us-east-1"}
    found = {(conditions[c], kind, name) for c, kind, name in _cfn_endpoints(doc)}
    assert found == SHARED_ENDPOINTS
    assert list(doc["Parameters"]) == ["VpcId", "RouteTableIds", "SubnetIds", "VpcCidr"]
    for resource in doc["Resources"].values():
        props = resource.get("Properties", {})
        if props.get("VpcEndpointType") == "Gateway":
            assert props["RouteTableIds"] == {"Ref": "RouteTableIds"} and "SubnetIds" not in props
        elif props.get("VpcEndpointType") == "Interface":
            assert props["SubnetIds"] == {"Ref": "SubnetIds"}
            assert props["SecurityGroupIds"] == [{"Ref": "EndpointSecurityGroup"}]
            assert props["PrivateDnsEnabled"] is True
    group = doc["Resources"]["EndpointSecurityGroup"]["Properties"]
    assert group["SecurityGroupIngress"] == [
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "CidrIp": {"Ref": "VpcCidr"},
            "Description": "HTTPS from the VPC",
        }
    ]


def test_terraform_is_json_with_expected_resources(shared_policy: Policy) -> None:
    """aws_vpc_endpoint Gateway/Interface per region, a security group with a 443 rule, variables, outputs."""
    doc = _tf(shared_policy)
    assert _tf_endpoints(doc) == SHARED_ENDPOINTS
    assert set(doc["resource"]) == {
        "aws_vpc_endpoint",
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
    }
    assert set(doc["resource"]["aws_security_group"]) == {"vpce_eu_west_1", "vpce_us_east_1"}
    rules = doc["resource"]["aws_vpc_security_group_ingress_rule"].values()
    assert {(r["from_port"], r["to_port"], r["ip_protocol"]) for r in rules} == {(443, 443, "tcp")}
    assert {r["cidr_ipv4"] for r in rules} == {
        '${var.vpcs["eu-west-1"].vpc_cidr}',
        '${var.vpcs["us-east-1"].vpc_cidr}',
    }
    assert list(doc["variable"]) == ["vpcs"]
    assert doc["variable"]["vpcs"]["type"].startswith("map(object({vpc_id = string")
    for body in doc["resource"]["aws_vpc_endpoint"].values():
        if body["vpc_endpoint_type"] == "Interface":
            assert body["private_dns_enabled"] is True and body["subnet_ids"].endswith(".subnet_ids}")
        else:
            assert body["route_table_ids"].endswith(".route_table_ids}") and "subnet_ids" not in body
    assert doc["output"]["vpc_endpoint_monthly_cost_usd"]["value"].startswith("${local.")
    assert doc["terraform"]["required_providers"]["aws"]["source"] == "hashicorp/aws"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_terraform_reads_the_configuration(shared_policy: Policy, tmp_path: Path) -> None:
    """``terraform providers`` (offline: no provider download) parses the JSON configuration."""
    (tmp_path / "main.tf.json").write_text(
        EXPORTER.render(shared_policy, ExportOptions(flavor="terraform")).text, encoding="utf-8"
    )
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    done = subprocess.run(
        ["terraform", "providers", "-no-color"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0 and "Error" not in done.stderr + done.stdout, done.stderr
    assert "hashicorp/aws" in done.stdout


def test_default_cost_figures(shared_policy: Policy) -> None:
    """Defaults: 6 interface endpoints x 2 AZs x 730 h x 0.01 USD = 87.60 USD a month; gateways free."""
    tf = _tf(shared_policy)["locals"]["vpc_endpoint_cost_estimate"]
    assert tf["settings"] == {"hourly": 0.01, "per_gb": 0.01, "gb_per_month": 0.0, "azs": 2, "hours": 730}
    assert tf["per_az_month_usd"] == 7.3
    assert tf["total_monthly_usd"] == 87.6
    assert tf["regions"]["eu-west-1"]["monthly_usd"] == 43.8
    assert tf["endpoints"]["com.amazonaws.us-east-1.ssm"] == 14.6
    assert tf["endpoints"]["com.amazonaws.us-east-1.s3"] == 0.0
    assert tf["calculation"] == (
        "6 interface endpoints x 2 AZs x 730 h x 0.01 USD + 6 x 0 GB x 0.01 USD = 87.60 USD/month"
        " (gateway endpoints: free)"
    )
    cfn = _cfn(shared_policy)
    assert "estimated 87.60 USD a month for 2 AZs" in cfn["Description"]
    assert cfn["Metadata"]["egressmap"]["cost_estimate"]["total_monthly_usd"] == "87.6"
    ssm = cfn["Resources"]["SsmUsEast1Endpoint"]["Metadata"]["egressmap"]
    assert ssm["monthly_cost_usd"] == "14.6" and ssm["carries"] == ["ssm.us-east-1.amazonaws.com"]


def test_cost_figures_follow_params(shared_policy: Policy) -> None:
    """Per endpoint 3 AZs x 720 h x 0.011 + 100 GB x 0.02 = 25.76; six interface endpoints = 154.56."""
    params = {"hourly": "0.011", "per_gb": "0.02", "gb_per_month": "100", "azs": "3", "hours": "720"}
    rendered = EXPORTER.render(shared_policy, ExportOptions(flavor="terraform", params=params))
    cost = json.loads(rendered.text)["locals"]["vpc_endpoint_cost_estimate"]
    assert cost["endpoints"]["com.amazonaws.eu-west-1.sts"] == 25.76
    assert cost["regions"]["us-east-1"]["monthly_usd"] == 77.28
    assert cost["total_monthly_usd"] == 154.56
    assert cost["per_az_month_usd"] == 7.92
    assert cost["calculation"].startswith("6 interface endpoints x 3 AZs x 720 h x 0.011 USD + 6 x 100 GB")
    assert not any("us-east-1 prices" in note for note in rendered.approximations)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hourly", "cheap"),
        ("per_gb", ""),
        ("gb_per_month", "nan"),
        ("hourly", "inf"),
        ("hourly", "-0.01"),
        ("azs", "1.5"),
        ("azs", "0"),
        ("hours", "seven"),
    ],
)
def test_params_that_are_not_usable_numbers_are_refused(key: str, value: str) -> None:
    """A value that does not parse, is not finite, is negative or is out of range is a ConfigError."""
    options = ExportOptions(params={key: value})
    with pytest.raises(ConfigError, match=key):
        EXPORTER.check_params(options)
        EXPORTER.render(Policy(()), options)


def test_several_regions_one_conditional_template(shared_policy: Policy) -> None:
    """Two regions: a condition per region on every endpoint and a rule refusing other regions."""
    doc = _cfn(shared_policy)
    assert doc["Conditions"] == {
        "InEuWest1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]},
        "InUsEast1": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
    }
    assertion = doc["Rules"]["EndpointRegion"]["Assertions"][0]["Assert"]
    assert assertion == {"Fn::Contains": [["eu-west-1", "us-east-1"], {"Ref": "AWS::Region"}]}
    assert all(c for c, _, _ in _cfn_endpoints(doc))
    providers = _tf(shared_policy)["provider"]["aws"]
    assert providers == [
        {"alias": "eu_west_1", "region": "eu-west-1"},
        {"alias": "us_east_1", "region": "us-east-1"},
    ]


def test_region_option_writes_one_region(shared_policy: Policy) -> None:
    """--region eu-west-1: that region's endpoints only, no conditions, and a note naming what was left out."""
    rendered = EXPORTER.render(shared_policy, ExportOptions(regions=("eu-west-1",)))
    doc = yaml.safe_load(rendered.text)
    assert "Conditions" not in doc
    assert {name for _, _, name in _cfn_endpoints(doc)} == {
        name for region, _, name in SHARED_ENDPOINTS if region == "eu-west-1"
    }
    assertion = doc["Rules"]["EndpointRegion"]["Assertions"][0]["Assert"]
    assert assertion == {"Fn::Equals": [{"Ref": "AWS::Region"}, "eu-west-1"]}
    assert "endpoints for us-east-1 left out: not among the regions asked for" in rendered.approximations
    assert {r for r, _, _ in _tf_endpoints(_tf(shared_policy, regions=("eu-west-1",)))} == {"eu-west-1"}


def test_no_endpoint_and_other_providers_are_reported(shared_policy: Policy) -> None:
    """Route 53 is listed as needing internet or a proxy; Azure entries are skipped with a note."""
    rendered = EXPORTER.render(shared_policy, ExportOptions())
    assert rendered.approximations[:4] == (
        "skipped management.azure.com (azure service): only AWS has VPC endpoints",
        "skipped login.microsoftonline.com (azure service): only AWS has VPC endpoints",
        "skipped *.blob.core.windows.net (azure service): only AWS has VPC endpoints",
        "route53.amazonaws.com (route53): no VPC endpoint: needs internet or a proxy",
    )
    assert "# No VPC endpoint, needs internet or a proxy: route53.amazonaws.com (route53)" in rendered.text
    assert yaml.safe_load(rendered.text)["Metadata"]["egressmap"]["no_vpc_endpoint"] == [
        "route53.amazonaws.com (route53)"
    ]
    tf = _tf(shared_policy)
    assert tf["locals"]["no_vpc_endpoint"] == ["route53.amazonaws.com (route53)"]
    assert "route53.amazonaws.com" in tf["//"]


def test_empty_policy_gives_a_valid_no_op_template() -> None:
    """No endpoints: a placeholder resource (a template needs one) and a Terraform file with no resources."""
    doc = _cfn(Policy(()))
    assert doc["Resources"] == {
        "NoEndpointsNeeded": {
            "Type": "AWS::CloudFormation::WaitConditionHandle",
            "Metadata": {"egressmap": "the policy names no AWS service a VPC endpoint can carry"},
        }
    }
    assert "Parameters" not in doc and "Rules" not in doc
    assert "resource" not in _tf(Policy(()))


def test_hostile_service_name_in_a_policy_is_rejected() -> None:
    """A hand-edited service that is not a DNS label never becomes an endpoint service name."""
    good = _entry("ssm.eu-west-1.amazonaws.com")
    evil = Entry(
        "sqs.eu-west-1.amazonaws.com",
        ("sqs.eu-west-1.amazonaws.com",),
        (443,),
        Classification(scope="cloud", provider="aws", service='sqs"; rm -rf', private_endpoint="interface"),
        "observed",
        1,
        0,
        ("observed: x",),
        (),
    )
    for flavor in VpcEndpointsExport.flavors:
        rendered = EXPORTER.render(Policy((good, evil)), ExportOptions(flavor=flavor))
        assert "rm -rf" not in rendered.text and "com.amazonaws.eu-west-1.ssm" in rendered.text
        assert len(rendered.rejected) == 1 and "rejected endpoint for sqs.eu-west-1" in rendered.rejected[0]


def test_internet_scope_is_listed_when_asked_for(shared_policy: Policy) -> None:
    """--scope all: internet-scope names need internet or a proxy too, and are listed as such."""
    rendered = EXPORTER.render(shared_policy, ExportOptions(scope="all"))
    listed = yaml.safe_load(rendered.text)["Metadata"]["egressmap"]["no_vpc_endpoint"]
    assert listed == [
        "route53.amazonaws.com (route53)",
        *(
            f"{name} (internet scope)"
            for name in (
                "10.1.0.4",
                "10.0.0.5",
                "download.nvidia.com",
                "*.snapcraftcontent.com",
                "*.ubuntu.com",
                "repo.vendor-example.com",
                "api.snapcraft.io",
                "deb.debian.org",
                "pypi.org",
                "files.pythonhosted.org",
            )
        ),
    ]
    note = "10 internet-scope name(s) listed: no VPC endpoint: needs internet or a proxy"
    assert note in rendered.approximations
    assert _cfn_endpoints(yaml.safe_load(rendered.text)) == _cfn_endpoints(_cfn(shared_policy))
