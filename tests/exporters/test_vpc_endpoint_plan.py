"""vpc-endpoints plan: PrivateLink names, China prefixes, endpoints grouped by region, and the cost model."""

from __future__ import annotations

import pytest

from egressmap.classify import classify
from egressmap.exporters.rules import rules_for
from egressmap.exporters.vpc_endpoint_plan import (
    CostModel,
    EndpointPlan,
    endpoint_service_name,
    estimate,
    plan_endpoints,
    privatelink_name,
)
from egressmap.model import Classification, Entry, Match


def _entry(pattern: str, match: Match = "exact", classification: Classification | None = None) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern,
        (host,) if match == "exact" else (),
        (443,),
        classification or classify(host),
        "observed",
        1,
        0,
        ("observed: CONNECT seen",),
        ("access.log:1",),
        match=match,
    )


def _plan(*entries: Entry, only: tuple[str, ...] = ()) -> EndpointPlan:
    return plan_endpoints(rules_for(entries, ()).rules, only)


def _names(plan: EndpointPlan) -> list[tuple[str, str, str]]:
    return [(e.region, e.need.type, e.need.name) for e in plan.endpoints]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("api.ecr.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.ecr.api"),
        ("123456789012.dkr.ecr.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.ecr.dkr"),
        ("kinesis.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.kinesis-streams"),
        ("firehose.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.kinesis-firehose"),
        ("runtime.sagemaker.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.sagemaker.runtime"),
        ("streams.dynamodb.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.dynamodb-streams"),
        ("ssm.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.ssm"),
        ("monitoring.eu-west-1.amazonaws.com", "com.amazonaws.eu-west-1.monitoring"),
        ("sts.us-gov-west-1.amazonaws.com", "com.amazonaws.us-gov-west-1.sts"),
        ("ec2.cn-north-1.amazonaws.com.cn", "cn.com.amazonaws.cn-north-1.ec2"),
        ("cloudformation.cn-northwest-1.amazonaws.com.cn", "cn.com.amazonaws.cn-northwest-1.cloudformation"),
        ("logs.cn-north-1.amazonaws.com.cn", "com.amazonaws.cn-north-1.logs"),
        ("transcribe.cn-north-1.amazonaws.com.cn", "cn.com.amazonaws.cn-north-1.transcribe.cn"),
        ("s3.cn-north-1.amazonaws.com.cn", "com.amazonaws.cn-north-1.s3"),
        ("bucket.s3.amazonaws.com", "com.amazonaws.us-east-1.s3"),
    ],
)
def test_endpoint_service_names(host: str, expected: str) -> None:
    """Each host maps to the PrivateLink service name AWS documents, with partition prefixes."""
    assert [name for _, _, name in _names(_plan(_entry(host)))] == [expected]


def test_name_helpers() -> None:
    """The prefix table wins over the classified service; gateways never take the China prefix."""
    assert privatelink_name("a.b.dkr.ecr.us-east-1.amazonaws.com", "us-east-1", "ecr") == "ecr.dkr"
    assert (
        privatelink_name("kinesis-fips.us-east-1.amazonaws.com", "us-east-1", "kinesis") == "kinesis-streams"
    )
    assert privatelink_name("bucket.s3.amazonaws.com", "us-east-1", "s3") == "s3"
    assert endpoint_service_name("s3", "cn-north-1", "interface") == "cn.com.amazonaws.cn-north-1.s3"
    assert endpoint_service_name("s3", "cn-north-1", "gateway") == "com.amazonaws.cn-north-1.s3"
    assert endpoint_service_name("account", "cn-north-1", "interface") == "com.amazonaws.cn-north-1.account"
    assert endpoint_service_name("account", "cn-northwest-1", "interface") == (
        "cn.com.amazonaws.cn-northwest-1.account"
    )


def test_hosts_of_one_service_share_an_endpoint() -> None:
    """Bucket names, the S3 API and an S3 wildcard in one region are one gateway endpoint; gateways first."""
    plan = _plan(
        _entry("ssm.eu-west-1.amazonaws.com"),
        _entry("s3.eu-west-1.amazonaws.com"),
        _entry("my-bucket.s3.eu-west-1.amazonaws.com"),
        _entry("*.s3.eu-west-1.amazonaws.com", "subdomains"),
        _entry("s3.us-east-1.amazonaws.com"),
    )
    assert _names(plan) == [
        ("eu-west-1", "gateway", "com.amazonaws.eu-west-1.s3"),
        ("eu-west-1", "interface", "com.amazonaws.eu-west-1.ssm"),
        ("us-east-1", "gateway", "com.amazonaws.us-east-1.s3"),
    ]
    assert plan.endpoints[0].need.hosts == (
        "*.s3.eu-west-1.amazonaws.com",
        "my-bucket.s3.eu-west-1.amazonaws.com",
        "s3.eu-west-1.amazonaws.com",
    )
    assert plan.endpoints[0].need.why == ("observed: CONNECT seen",)
    assert plan.regions == ["eu-west-1", "us-east-1"]


def test_what_gets_no_endpoint_is_reported() -> None:
    """Global names, other providers, unknown partitions and regions left out are notes, not endpoints."""
    plan = _plan(
        _entry("iam.amazonaws.com"),
        _entry("sts.amazonaws.com"),
        _entry("management.azure.com"),
        _entry("ssm.us-iso-east-1.c2s.ic.gov"),
        _entry("ssm.eu-west-1.amazonaws.com"),
        _entry("pypi.org"),
        only=("us-iso-east-1",),
    )
    assert _names(plan) == [("us-iso-east-1", "interface", "com.amazonaws.us-iso-east-1.ssm")]
    assert plan.no_endpoint == (
        "iam.amazonaws.com (iam)",
        "sts.amazonaws.com (sts)",
        "pypi.org (internet scope)",
    )
    assert plan.notes == (
        "skipped management.azure.com (azure service): only AWS has VPC endpoints",
        "endpoints for eu-west-1 left out: not among the regions asked for",
        "us-iso-east-1 (aws-iso): endpoint service names are written as com.amazonaws.*, unverified for this"
        " partition; check them with aws ec2 describe-vpc-endpoint-services",
        "iam.amazonaws.com (iam): no VPC endpoint: needs internet or a proxy",
        "sts.amazonaws.com (sts): no VPC endpoint: needs internet or a proxy",
        "1 internet-scope name(s) listed: no VPC endpoint: needs internet or a proxy",
    )


def test_hand_edited_classifications() -> None:
    """A gateway claim for a service without one becomes an interface endpoint; no region means no endpoint."""
    sqs = Classification(scope="cloud", provider="aws", service="sqs", private_endpoint="gateway")
    odd = Classification(scope="cloud", provider="aws", service="thing", private_endpoint="interface")
    plan = _plan(
        _entry("sqs.eu-west-1.amazonaws.com", classification=sqs),
        _entry("thing.example.com", classification=odd),
    )
    assert _names(plan) == [("eu-west-1", "interface", "com.amazonaws.eu-west-1.sqs")]
    assert plan.notes == (
        "sqs.eu-west-1.amazonaws.com: only S3 and DynamoDB have gateway endpoints; an interface endpoint is"
        " written",
        "skipped thing.example.com: no AWS region in the name, so no regional endpoint to create",
    )


def test_cost_model_and_estimate() -> None:
    """Interface: azs x hours x hourly + gb x per_gb each; gateway: 0; per region and total, rounded to cents."""
    model = CostModel(hourly=0.01, per_gb=0.01, gb_per_month=50, azs=3, hours=730)
    assert model.monthly("interface") == 22.4
    assert model.monthly("gateway") == 0.0
    assert model.per_az_month == 7.3
    plan = _plan(
        _entry("ssm.eu-west-1.amazonaws.com"),
        _entry("s3.eu-west-1.amazonaws.com"),
        _entry("logs.us-east-1.amazonaws.com"),
        _entry("sts.us-east-1.amazonaws.com"),
    )
    cost = estimate(plan, model)
    assert cost["endpoints"] == {
        "com.amazonaws.eu-west-1.s3": 0.0,
        "com.amazonaws.eu-west-1.ssm": 22.4,
        "com.amazonaws.us-east-1.logs": 22.4,
        "com.amazonaws.us-east-1.sts": 22.4,
    }
    assert {r: v["monthly_usd"] for r, v in cost["regions"].items()} == {"eu-west-1": 22.4, "us-east-1": 44.8}
    assert cost["total_monthly_usd"] == 67.2
    assert cost["calculation"] == (
        "3 interface endpoints x 3 AZs x 730 h x 0.01 USD + 3 x 50 GB x 0.01 USD = 67.20 USD/month"
        " (gateway endpoints: free)"
    )
    assert cost["source"] == "https://aws.amazon.com/privatelink/pricing/"
