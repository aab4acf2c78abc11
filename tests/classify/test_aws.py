from __future__ import annotations

import pytest

from egressmap.classify import classify
from egressmap.classify.aws import classify_aws
from egressmap.model import Classification

LEGACY = "legacy global S3 name: a gateway endpoint only carries it from us-east-1"
CLOUDFRONT = "CloudFront distribution: no VPC endpoint carries it, it must pass the firewall"

# Seed 000 ("Amazon Destinations"): host -> (service, private_endpoint, region).
SEED_000_AWS = {
    "ec2imagebuilder-toe-us-east-1-prod.s3.us-east-1.amazonaws.com": ("s3", "gateway", "us-east-1"),
    "fsx-lustre-client-repo.s3.amazonaws.com": ("s3", "gateway", "us-east-1"),
    "parallelcluster-xxxx-v1-do-not-delete.s3.amazonaws.com": ("s3", "gateway", "us-east-1"),
    "us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com": ("s3", "gateway", "us-east-1"),
    "al2023-repos-us-east-1-de612dc2.s3.dualstack.us-east-1.amazonaws.com": ("s3", "gateway", "us-east-1"),
    "cloudformation-waitcondition-us-east-1.s3.amazonaws.com": ("s3", "gateway", "us-east-1"),
    "cloudformation.us-east-1.amazonaws.com": ("cloudformation", "interface", "us-east-1"),
    "dynamodb.us-east-1.amazonaws.com": ("dynamodb", "gateway", "us-east-1"),
    "ec2.us-east-1.amazonaws.com": ("ec2", "interface", "us-east-1"),
    "route53.amazonaws.com": ("route53", "none", None),
}


@pytest.mark.parametrize(("host", "expected"), sorted(SEED_000_AWS.items()))
def test_seed_000_aws_hosts_are_cloud(host: str, expected: tuple[str, str, str | None]) -> None:
    """Every AWS host of seed 000 is a cloud endpoint with the seed's service and endpoint type."""
    c = classify(host)
    assert (c.scope, c.provider, c.partition, c.category) == ("cloud", "aws", "aws", "cloud-api")
    assert (c.service, c.private_endpoint, c.region) == expected


@pytest.mark.parametrize("host", ["d1uj6qtbmh3dt5.cloudfront.net", "d2lzkl7pfhq30w.cloudfront.net"])
def test_seed_000_cloudfront_is_internet(host: str) -> None:
    """CloudFront distributions are AWS-run but no private endpoint carries them."""
    assert classify(host) == Classification(
        scope="internet",
        provider="aws",
        service="cloudfront",
        private_endpoint="none",
        category="cdn",
        public_suffix="net",
        registrable_domain="cloudfront.net",
        shared_hosting=True,
        notes=(CLOUDFRONT,),
    )


def test_waitcondition_bucket_region_and_notes() -> None:
    """The WaitCondition bucket's region comes from its name when the host is the legacy global form."""
    c = classify("cloudformation-waitcondition-eu-west-1.s3.amazonaws.com")
    assert (c.service, c.region, c.private_endpoint) == ("s3", "eu-west-1", "gateway")
    assert c.notes == (
        "bucket: cloudformation-waitcondition-eu-west-1",
        "CloudFormation WaitCondition bucket",
        "region taken from the bucket name",
    )


def test_parallelcluster_artifacts_bucket() -> None:
    """The regional artifacts bucket is recognised by name."""
    assert classify("us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com") == Classification(
        scope="cloud",
        provider="aws",
        service="s3",
        region="us-east-1",
        partition="aws",
        private_endpoint="gateway",
        category="cloud-api",
        public_suffix="com",
        registrable_domain="amazonaws.com",
        shared_hosting=True,
        notes=("bucket: us-east-1-aws-parallelcluster", "ParallelCluster regional artifacts bucket"),
    )


def test_al2023_repository_bucket() -> None:
    """The AL2023 repository bucket behind the dual-stack name is noted as such."""
    c = classify("al2023-repos-us-east-1-de612dc2.s3.dualstack.us-east-1.amazonaws.com")
    assert c.notes == (
        "bucket: al2023-repos-us-east-1-de612dc2",
        "Amazon Linux 2023 package repository bucket",
    )


def test_seed_001_efa_installer_is_a_download_host() -> None:
    """efa-installer.amazonaws.com is no botocore service: its first label is the service, no endpoint."""
    c = classify("efa-installer.amazonaws.com")
    assert (c.scope, c.provider, c.service, c.region, c.partition, c.private_endpoint) == (
        "cloud",
        "aws",
        "efa-installer",
        None,
        "aws",
        "none",
    )
    assert c.notes == ("AWS download host, no VPC endpoint",)


@pytest.mark.parametrize(
    "host",
    [
        "fsx-lustre-client-repo-public-keys.s3.amazonaws.com",
        "s3.amazonaws.com",
        "us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com",
    ],
)
def test_seed_001_s3_hosts(host: str) -> None:
    """Seed 001's S3 hosts go through the S3 gateway endpoint in us-east-1."""
    c = classify(host)
    assert (c.scope, c.service, c.private_endpoint, c.region) == ("cloud", "s3", "gateway", "us-east-1")


def test_global_s3_path_style_is_us_east_1() -> None:
    """s3.amazonaws.com is served from us-east-1 and says so."""
    c = classify("s3.amazonaws.com")
    assert c.notes == (LEGACY,)
    assert c.shared_hosting is True


@pytest.mark.parametrize(
    ("host", "service", "private_endpoint", "note"),
    [
        ("route53.amazonaws.com", "route53", "none", "the service has no VPC endpoint"),
        ("iam.amazonaws.com", "iam", "none", "the service has no VPC endpoint"),
        ("cloudfront.amazonaws.com", "cloudfront", "none", "the service has no VPC endpoint"),
        (
            "sts.amazonaws.com",
            "sts",
            "none",
            "global STS: only regional STS names have an interface endpoint (AWS_STS_REGIONAL_ENDPOINTS)",
        ),
        (
            "ec2.amazonaws.com",
            "ec2",
            "none",
            "global endpoint name: interface endpoints answer for regional names only",
        ),
    ],
)
def test_global_service_hosts(host: str, service: str, private_endpoint: str, note: str) -> None:
    """Global names have no region and no VPC endpoint."""
    c = classify(host)
    assert (c.scope, c.service, c.region, c.partition, c.private_endpoint, c.notes) == (
        "cloud",
        service,
        None,
        "aws",
        private_endpoint,
        (note,),
    )


def test_regional_sts_has_an_interface_endpoint() -> None:
    """Regional STS, unlike global STS, is carried by an interface endpoint."""
    c = classify("sts.us-east-1.amazonaws.com")
    assert (c.service, c.region, c.private_endpoint) == ("sts", "us-east-1", "interface")


@pytest.mark.parametrize(
    ("host", "service"),
    [
        ("logs.eu-west-1.amazonaws.com", "logs"),
        ("ssm.eu-west-1.amazonaws.com", "ssm"),
        ("ssmmessages.eu-west-1.amazonaws.com", "ssmmessages"),
        ("ec2messages.eu-west-1.amazonaws.com", "ec2messages"),
        ("monitoring.eu-west-1.amazonaws.com", "monitoring"),
        ("secretsmanager.eu-west-1.amazonaws.com", "secretsmanager"),
        ("elasticloadbalancing.eu-west-1.amazonaws.com", "elasticloadbalancing"),
        ("autoscaling.eu-west-1.amazonaws.com", "autoscaling"),
        ("imagebuilder.eu-west-1.amazonaws.com", "imagebuilder"),
        ("api.ecr.eu-west-1.amazonaws.com", "api.ecr"),
    ],
)
def test_regional_interface_services(host: str, service: str) -> None:
    """Regional service names give the endpoint prefix, the region and an interface endpoint."""
    c = classify(host)
    assert (c.scope, c.service, c.region, c.partition, c.private_endpoint, c.notes) == (
        "cloud",
        service,
        "eu-west-1",
        "aws",
        "interface",
        (),
    )


def test_fips_and_dual_stack_variants() -> None:
    """FIPS and api.aws dual-stack names keep the service and say which variant they are."""
    fips = classify("ec2-fips.us-east-1.amazonaws.com")
    dual = classify("ec2.us-east-1.api.aws")
    assert (fips.service, fips.region, fips.notes) == ("ec2", "us-east-1", ("FIPS endpoint",))
    assert (dual.service, dual.region, dual.partition, dual.private_endpoint, dual.notes) == (
        "ec2",
        "us-east-1",
        "aws",
        "interface",
        ("dual-stack (IPv4 and IPv6) endpoint name",),
    )


def test_china_partition() -> None:
    """amazonaws.com.cn names are in aws-cn."""
    c = classify("ec2.cn-north-1.amazonaws.com.cn")
    assert (c.scope, c.service, c.region, c.partition, c.private_endpoint) == (
        "cloud",
        "ec2",
        "cn-north-1",
        "aws-cn",
        "interface",
    )
    assert (c.public_suffix, c.registrable_domain) == ("com.cn", "amazonaws.com.cn")


def test_china_bucket() -> None:
    """A virtual-hosted bucket in cn-northwest-1."""
    c = classify("my-bucket.s3.cn-northwest-1.amazonaws.com.cn")
    assert (c.service, c.region, c.partition, c.private_endpoint, c.notes) == (
        "s3",
        "cn-northwest-1",
        "aws-cn",
        "gateway",
        ("bucket: my-bucket",),
    )


def test_govcloud_partition() -> None:
    """GovCloud regions share amazonaws.com but are in aws-us-gov."""
    c = classify("s3.us-gov-west-1.amazonaws.com")
    assert (c.service, c.region, c.partition, c.private_endpoint) == (
        "s3",
        "us-gov-west-1",
        "aws-us-gov",
        "gateway",
    )


def test_govcloud_global_iam_from_botocore() -> None:
    """iam.us-gov.amazonaws.com is spelled out by botocore as GovCloud's global IAM."""
    c = classify("iam.us-gov.amazonaws.com")
    assert (c.service, c.region, c.partition, c.private_endpoint) == ("iam", None, "aws-us-gov", "none")


def test_isolated_partition_suffix() -> None:
    """A C2S name is in aws-iso."""
    c = classify("ec2.us-iso-east-1.c2s.ic.gov")
    assert (c.scope, c.service, c.region, c.partition) == ("cloud", "ec2", "us-iso-east-1", "aws-iso")


S3_FORMS = {
    # host: (region, private_endpoint, notes)
    "b.s3.amazonaws.com": ("us-east-1", "gateway", ("bucket: b", LEGACY)),
    "b.s3.eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ("bucket: b",)),
    "b.s3-eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ("bucket: b", "legacy dash-style S3 name")),
    "s3.eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ()),
    "s3-eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ("legacy dash-style S3 name",)),
    "s3-external-1.amazonaws.com": ("us-east-1", "gateway", ("s3-external-1 is a us-east-1 endpoint",)),
    "b.s3.dualstack.eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ("bucket: b",)),
    "s3.dualstack.eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ()),
    "b.s3-website-eu-west-1.amazonaws.com": (
        "eu-west-1",
        "gateway",
        ("bucket: b", "S3 static website endpoint (HTTP only)"),
    ),
    "b.s3-website.eu-west-1.amazonaws.com": (
        "eu-west-1",
        "gateway",
        ("bucket: b", "S3 static website endpoint (HTTP only)"),
    ),
    "my.dotted-bucket.s3.eu-west-1.amazonaws.com": ("eu-west-1", "gateway", ("bucket: my.dotted-bucket",)),
    "b.s3-fips.us-east-2.amazonaws.com": ("us-east-2", "gateway", ("bucket: b", "FIPS endpoint")),
    "ap-123456789012.s3-accesspoint.eu-west-1.amazonaws.com": (
        "eu-west-1",
        "gateway",
        ("access point: ap-123456789012",),
    ),
    "b.s3-accelerate.amazonaws.com": (
        None,
        "none",
        ("bucket: b", "S3 Transfer Acceleration runs through edge locations: no VPC endpoint carries it"),
    ),
    "b.s3-accelerate.dualstack.amazonaws.com": (
        None,
        "none",
        ("bucket: b", "S3 Transfer Acceleration runs through edge locations: no VPC endpoint carries it"),
    ),
}


@pytest.mark.parametrize(("host", "expected"), sorted(S3_FORMS.items()))
def test_s3_forms(host: str, expected: tuple[str | None, str, tuple[str, ...]]) -> None:
    """Every S3 name form is s3, with the region, endpoint type and notes it implies."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.partition, c.shared_hosting) == (
        "cloud",
        "aws",
        "s3",
        "aws",
        True,
    )
    assert (c.region, c.private_endpoint, c.notes) == expected


def test_unlisted_region_is_accepted_and_inferred() -> None:
    """A region-shaped token botocore does not list yet still counts, with the partition from its prefix."""
    assert (
        classify("ssm.ap-newplace-9.amazonaws.com").region,
        classify("ssm.ap-newplace-9.amazonaws.com").partition,
    ) == (
        "ap-newplace-9",
        "aws",
    )
    assert classify("ec2.cn-newplace-3.amazonaws.com.cn").partition == "aws-cn"
    assert classify("ec2.us-gov-newplace-2.amazonaws.com").partition == "aws-us-gov"


def test_random_label_is_not_a_region() -> None:
    """A label that is not shaped like a region is not taken for one."""
    c = classify("foo.bar.amazonaws.com")
    assert (c.service, c.region, c.private_endpoint, c.notes) == (
        "bar",
        None,
        "none",
        ("resource: foo", "AWS download host, no VPC endpoint"),
    )


def test_vpc_endpoint_specific_name_is_interface() -> None:
    """vpce-… names are interface endpoints themselves."""
    c = classify("vpce-0abc-12345.ec2.us-east-1.vpce.amazonaws.com")
    assert (c.service, c.region, c.private_endpoint, c.notes) == (
        "ec2",
        "us-east-1",
        "interface",
        ("resource: vpce-0abc-12345", "VPC endpoint-specific DNS name"),
    )


@pytest.mark.parametrize(
    ("host", "service", "region"),
    [
        ("ec2-3-4-5-6.compute-1.amazonaws.com", "ec2", "us-east-1"),
        ("ec2-3-4-5-6.eu-west-1.compute.amazonaws.com", "ec2", "eu-west-1"),
        ("my-alb-123.eu-west-1.elb.amazonaws.com", "elasticloadbalancing", "eu-west-1"),
        ("my-nlb-abc.elb.eu-west-1.amazonaws.com", "elasticloadbalancing", "eu-west-1"),
    ],
)
def test_customer_servers_are_internet(host: str, service: str, region: str) -> None:
    """EC2 instance and load balancer names are customers' servers: internet, shared hosting."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.region, c.private_endpoint, c.category, c.shared_hosting) == (
        "internet",
        "aws",
        service,
        region,
        "none",
        "other",
        True,
    )


def test_us_east_1_api_endpoint_is_not_shared_hosting() -> None:
    """The PSL lists us-east-1.amazonaws.com, yet AWS's own API hosts are not shared hosting."""
    assert classify("ec2.us-east-1.amazonaws.com").shared_hosting is False
    assert classify("ec2.eu-west-1.amazonaws.com").shared_hosting is False


@pytest.mark.parametrize("host", ["docs.aws.amazon.com", "aws.amazon.com"])
def test_aws_web_sites_are_documentation(host: str) -> None:
    """docs.aws.amazon.com and aws.amazon.com are web sites, not service endpoints."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.private_endpoint, c.category) == (
        "internet",
        "aws",
        None,
        "none",
        "documentation",
    )


def test_non_aws_host_is_left_alone() -> None:
    """Names outside AWS's suffixes are not AWS's to classify."""
    assert classify_aws("notamazonaws.com") is None
    assert classify_aws("pypi.org") is None


@pytest.mark.parametrize("label", ["amazonlinux", "repo", "packages"])
def test_amazon_linux_repository_hosts_are_s3(label: str) -> None:
    """Amazon Linux 1/2 repository hosts are S3 buckets, carried by the S3 gateway endpoint."""
    c = classify(f"{label}.eu-west-1.amazonaws.com")
    assert (c.scope, c.service, c.region, c.private_endpoint, c.notes) == (
        "cloud",
        "s3",
        "eu-west-1",
        "gateway",
        (
            "Amazon Linux repository: an S3 bucket named like the host",
            f"bucket: {label}.eu-west-1.amazonaws.com",
        ),
    )
