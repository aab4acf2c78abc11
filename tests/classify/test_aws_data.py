from __future__ import annotations

import pytest

from egressmap.classify import aws_data


@pytest.mark.parametrize(
    ("host", "suffix"),
    [
        ("ec2.us-east-1.amazonaws.com", "amazonaws.com"),
        ("ec2.cn-north-1.amazonaws.com.cn", "amazonaws.com.cn"),
        ("ec2.us-east-1.api.aws", "api.aws"),
        ("ec2.us-iso-east-1.c2s.ic.gov", "c2s.ic.gov"),
        ("ec2.us-isob-east-1.sc2s.sgov.gov", "sc2s.sgov.gov"),
        ("amazonaws.com", "amazonaws.com"),
    ],
)
def test_match_suffix(host: str, suffix: str) -> None:
    """The partition DNS suffixes come from botocore and match on a label boundary."""
    assert aws_data.match_suffix(host) == suffix


@pytest.mark.parametrize("host", ["notamazonaws.com", "amazonaws.org", "example.com"])
def test_match_suffix_rejects_lookalikes(host: str) -> None:
    """A name that only ends with the same letters is not AWS."""
    assert aws_data.match_suffix(host) is None


def test_suffix_partitions() -> None:
    """amazonaws.com is shared by the commercial and GovCloud partitions; .cn is China only."""
    assert aws_data.suffix_partitions("amazonaws.com") == frozenset({"aws", "aws-us-gov"})
    assert aws_data.suffix_partitions("amazonaws.com.cn") == frozenset({"aws-cn"})
    assert aws_data.suffix_partitions("example.com") == frozenset()


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("us-east-1", True),
        ("eusc-de-east-1", True),
        ("ap-newplace-9", True),
        ("s3", False),
        ("aws-global", False),
    ],
)
def test_is_region(token: str, expected: bool) -> None:
    """Listed regions and region-shaped tokens are regions; other labels are not."""
    assert aws_data.is_region(token) is expected


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-east-1", "aws-us-gov"),
        ("us-isob-east-1", "aws-iso-b"),
        ("cn-newplace-7", "aws-cn"),
        ("us-gov-newplace-7", "aws-us-gov"),
        ("zz-newplace-7", "aws"),
    ],
)
def test_partition_of_region(region: str, partition: str) -> None:
    """Listed regions use botocore's partition; unlisted ones its regionRegex, then the prefix."""
    assert aws_data.partition_of_region(region) == partition


def test_known_prefixes_include_endpoint_prefixes_and_model_names() -> None:
    """Endpoint prefixes (monitoring, api.ecr) and model names (imagebuilder) are both known."""
    assert {"monitoring", "api.ecr", "imagebuilder", "ec2", "s3", "logs"} <= aws_data.known_prefixes()
    assert "efa-installer" not in aws_data.known_prefixes()


def test_explicit_host() -> None:
    """Hostnames spelled out in endpoints.json are looked up with their service and partition."""
    assert aws_data.explicit_host("iam.amazonaws.com") == aws_data.ExplicitHost("iam", "aws", True)
    assert aws_data.explicit_host("efa-installer.amazonaws.com") is None
