"""The S3 log layouts as levels: URIs, the values a listed child stands for, day ranges."""

from __future__ import annotations

from datetime import date

import pytest

from egressmap.fetch.aws import FetchError, parse_time
from egressmap.fetch.s3_layout import LAYOUTS, days, fill, fits, parse_uri, variable


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("s3://b", ("b", "", ())),
        ("s3://b/", ("b", "", ())),
        ("s3://b/central/logs", ("b", "central/logs/", ())),
        ("s3://b/AWSLogs/", ("b", "", ())),
        ("s3://b/org/AWSLogs/111122223333", ("b", "org/", ("111122223333",))),
    ],
)
def test_uri_gives_bucket_prefix_and_account(uri: str, expected: tuple[str, str, tuple[str, ...]]) -> None:
    """The prefix is what comes before AWSLogs/ (ending in /); an account after it is taken as --account."""
    assert parse_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        ("https://b/x", "not an s3:// URI"),
        ("s3:///x", "names no bucket"),
        ("s3://b/AWSLogs/111122223333/vpcflowlogs/", "down to AWSLogs/"),
        ("s3://b/AWSLogs/not-an-account/", "down to AWSLogs/"),
    ],
)
def test_bad_uris_are_one_clear_error(uri: str, words: str) -> None:
    """A URI that is not s3://, names no bucket, or goes below the account: one line saying what to give."""
    with pytest.raises(FetchError, match=words):
        parse_uri(uri)


def test_levels_fit_only_what_they_stand_for() -> None:
    """Accounts are 12 digits, regions look like regions, Hive levels keep their key; * takes any child."""
    assert fits("{account}", "111122223333/") == "111122223333"
    assert fits("{account}", "aws-account-id=111122223333/") is None
    assert fits("aws-account-id={account}", "aws-account-id=111122223333/") == "111122223333"
    assert fits("{region}", "eu-west-1/") == "eu-west-1"
    assert fits("{region}", "us-gov-west-1/") == "us-gov-west-1"
    assert fits("aws-region={region}", "aws-region=ap-southeast-2/") == "ap-southeast-2"
    assert fits("{region}", "vpc-0b7d2e4f6a8c13579/") is None
    assert fits("*", "vpc-0b7d2e4f6a8c13579/") == "vpc-0b7d2e4f6a8c13579"
    assert fits("vpcflowlogs", "vpcflowlogs/") is None  # a fixed level stands for no value
    assert (variable("aws-region={region}"), variable("*"), variable("vpcflowlogs")) == (
        "{region}",
        "*",
        None,
    )
    assert fill("aws-account-id={account}", "111122223333") == "aws-account-id=111122223333"


def test_the_documented_layouts() -> None:
    """Resolver by VPC, flow logs plain and Hive-style, Network Firewall by log type, region and firewall."""
    assert [(layout.kind, "/".join(layout.levels)) for layout in LAYOUTS] == [
        ("route53-resolver", "AWSLogs/{account}/vpcdnsquerylogs/*"),
        ("vpc-flow", "AWSLogs/{account}/vpcflowlogs/{region}"),
        ("vpc-flow", "AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}"),
        ("aws-network-firewall", "AWSLogs/{account}/network-firewall/*/{region}/*"),
    ]
    day = date(2026, 1, 5)
    assert [layout.day_prefix(day) for layout in LAYOUTS] == [
        "2026/01/05/",
        "2026/01/05/",
        "year=2026/month=01/day=05/",
        "2026/01/05/",
    ]


def test_days_cover_the_range_in_utc() -> None:
    """Every UTC day touched by [since, until], both ends included; until before since is an error."""
    start = parse_time("2026-02-27T23:30:00Z")
    end = parse_time("2026-03-02T00:10:00+01:00")  # 2026-03-01T23:10Z
    assert days(start, end) == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1)]
    with pytest.raises(FetchError, match="before --since"):
        days(end, start - 86400 * 1000)
