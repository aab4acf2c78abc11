from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.classify import s3
from egressmap.classify.aws_data import is_region
from egressmap.classify.s3 import S3Match, bucket_facts, parse_s3


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("s3", S3Match(None, None, "global")),
        ("b.s3", S3Match("b", None, "global")),
        ("a.s3.b.s3.us-west-2", S3Match("a.s3.b", "us-west-2", "regional")),
        ("b.s3.dualstack.us-west-2", S3Match("b", "us-west-2", "dualstack")),
        ("s3-fips.dualstack.us-west-2", S3Match(None, "us-west-2", "dualstack", fips=True)),
        ("b.s3-fips-us-gov-west-1", S3Match("b", "us-gov-west-1", "dash", fips=True)),
        ("s3-external-1", S3Match(None, "us-east-1", "external")),
        ("b.s3-website-ap-southeast-2", S3Match("b", "ap-southeast-2", "website")),
        ("b.s3-website.ap-southeast-2", S3Match("b", "ap-southeast-2", "website")),
        ("b.s3-accelerate", S3Match("b", None, "accelerate")),
        ("b.s3-accelerate.dualstack", S3Match("b", None, "accelerate")),
        ("ap-1.s3-accesspoint.dualstack.eu-west-1", S3Match("ap-1", "eu-west-1", "accesspoint")),
    ],
)
def test_parse_s3_forms(name: str, expected: S3Match) -> None:
    """Each S3 name form gives its bucket, region and form."""
    assert parse_s3(name.split(".")) == expected


@pytest.mark.parametrize(
    "name",
    [
        "ec2.us-east-1",
        "s3.notaregion",
        "s3.us-east-1.vpce",
        "s3-accesspoint",
        "b.s3-accelerate.us-east-1",
        "s3-website",
    ],
)
def test_parse_s3_rejects_other_names(name: str) -> None:
    """Names that only look like S3 are not taken for it."""
    assert parse_s3(name.split(".")) is None


@pytest.mark.parametrize(
    ("bucket", "expected"),
    [
        ("cloudformation-waitcondition-ap-south-1", ("CloudFormation WaitCondition bucket", "ap-south-1")),
        ("eu-west-2-aws-parallelcluster", ("ParallelCluster regional artifacts bucket", "eu-west-2")),
        ("al2023-repos-eu-west-2-de612dc2", ("Amazon Linux 2023 package repository bucket", "eu-west-2")),
        ("amazonlinux-2-repos-us-west-2", ("Amazon Linux 2 package repository bucket", "us-west-2")),
        ("fsx-lustre-client-repo", ("FSx for Lustre client package repository bucket", None)),
        (
            "parallelcluster-abc123-v1-do-not-delete",
            ("ParallelCluster account bucket (configs, templates)", None),
        ),
        ("someone-elses-bucket", (None, None)),
    ],
)
def test_bucket_facts(bucket: str, expected: tuple[str | None, str | None]) -> None:
    """Well-known bucket names are noted, with the region their name carries."""
    assert bucket_facts(bucket) == expected


def _bucket_facts_one_by_one(bucket: str) -> tuple[str | None, str | None]:
    """The plain way: each known pattern in order, the first that matches wins."""
    for pattern, note in s3._KNOWN_BUCKETS:
        found = pattern.match(bucket)
        if found:
            region = found.groupdict().get("region")
            return note, region if region and is_region(region) else None
    return None, None


_BUCKET_SAMPLES = [
    "cloudformation-waitcondition-us-east-1",
    "cloudformation-waitcondition-xx-nowhere-1",
    "us-gov-west-1-aws-parallelcluster",
    "al2023-repos-eu-west-1-de612dc2",
    "amazonlinux-2-repos-ap-south-2",
    "ec2imagebuilder-toe-us-east-1-prod",
    "fsx-lustre-client-repo",
    "fsx-lustre-client-repo-public-keys",
    "fsx-lustre-client-repo-x",
    "parallelcluster-0123abcd-v1-do-not-delete",
    "parallelcluster--v1-do-not-delete",
    "build-artifacts-1b7381ad",
    "",
]


@pytest.mark.parametrize("bucket", _BUCKET_SAMPLES)
def test_bucket_facts_as_one_pattern_at_a_time(bucket: str) -> None:
    """The combined pattern gives what trying each known pattern in order gives."""
    assert s3.bucket_facts(bucket) == _bucket_facts_one_by_one(bucket)


@settings(max_examples=300)
@given(
    head=st.sampled_from(["", "cloudformation-waitcondition-", "al2023-repos-", "parallelcluster-", "fsx-"]),
    middle=st.from_regex(r"[a-z0-9-]{0,16}", fullmatch=True),
    tail=st.sampled_from(["", "-aws-parallelcluster", "-prod", "-v1-do-not-delete", "lustre-client-repo"]),
)
def test_bucket_facts_for_random_names(head: str, middle: str, tail: str) -> None:
    """Random names shaped like the known buckets: same answer as one pattern at a time."""
    bucket = head + middle + tail
    assert s3.bucket_facts(bucket) == _bucket_facts_one_by_one(bucket)
