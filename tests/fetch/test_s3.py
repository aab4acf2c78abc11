"""fetch s3's listing against moto in-process: only the prefixes it needs, pagination, the size estimate, errors."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from egressmap.fetch.aws import FetchError
from egressmap.fetch.s3 import S3Query, check_size, human, list_logs, make_query, nothing_found, parse_size
from tests.fetch.s3_world import (
    ACCOUNT,
    BUCKET,
    OTHER,
    TODAY,
    VPC,
    YESTERDAY,
    ListCalls,
    day_path,
    fake_credentials,
    flow_key,
    put,
    record_lists,
    resolver_key,
    resolver_lines,
    world,
)

SINCE, UNTIL = YESTERDAY.isoformat(), f"{TODAY.isoformat()}T23:59:59Z"
DAY = re.compile(r".*(?:\d{4}/\d{2}/\d{2}|year=\d{4}/month=\d{2}/day=\d{2})/")


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_way_out: list[str]) -> Iterator[Any]:
    """An S3 client answered by moto in-process, with fake credentials."""
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        yield boto3.client("s3")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> ListCalls:
    """The ListObjectsV2 calls of the clients made in the test."""
    return record_lists(monkeypatch)


def query(**changes: Any) -> S3Query:
    """The query over yesterday and today (UTC) of the test bucket."""
    fields: dict[str, Any] = {"since": SINCE, "until": UNTIL} | changes
    return make_query(f"s3://{BUCKET}", **fields)


def hive_day(day: Any) -> str:
    """``year=/month=/day=``."""
    return f"year={day.year}/month={day.month:02d}/day={day.day:02d}/"


def test_only_the_prefixes_it_needs_are_listed(s3: Any, calls: ListCalls) -> None:
    """Accounts, VPCs, regions, log types and firewalls found one level at a time; each day listed; nothing else."""
    keys = world(s3)
    s3 = boto3.client("s3")  # made after the recorder
    listing = list_logs(s3, query())
    acct, hive = f"AWSLogs/{ACCOUNT}/", f"AWSLogs/aws-account-id={OTHER}/aws-service=vpcflowlogs/"
    assert calls.prefixes(delimiter=True) == [
        "AWSLogs/",
        f"{acct}vpcdnsquerylogs/",
        f"{acct}vpcflowlogs/",
        hive,
        f"{acct}network-firewall/",
        f"{acct}network-firewall/alert/",
        f"{acct}network-firewall/alert/eu-west-1/",
    ]
    days = [YESTERDAY, TODAY]
    assert calls.prefixes(delimiter=False) == [
        *(f"{acct}vpcdnsquerylogs/{VPC}/{day_path(d)}/" for d in days),
        *(f"{acct}vpcflowlogs/eu-west-1/{day_path(d)}/" for d in days),
        *(f"{hive}aws-region=us-east-1/{hive_day(d)}" for d in days),
        *(f"{acct}network-firewall/alert/eu-west-1/egress-fw/{day_path(d)}/" for d in days),
    ]
    assert all(DAY.fullmatch(p) for p in calls.prefixes(delimiter=False))  # never wider than a day
    assert listing.prefixes == calls.prefixes()
    found = {kind: [o.key for o in objs] for kind, objs in listing.objects.items()}
    assert found == {
        "route53-resolver": [resolver_key(YESTERDAY, 20), keys["resolver"]],
        "vpc-flow": [keys["flow"], keys["hive"]],
        "aws-network-firewall": [keys["firewall"]],
    }
    assert listing.span() == f"{YESTERDAY}..{TODAY}"


def test_accounts_and_regions_given_are_not_discovered(s3: Any, calls: ListCalls) -> None:
    """With --account and --region no level is listed with a delimiter: both flow layouts' days, nothing more."""
    keys = world(s3)
    listing = list_logs(
        boto3.client("s3"), query(accounts=[ACCOUNT], regions=["eu-west-1"], kinds=["vpc-flow"])
    )
    assert calls.prefixes(delimiter=True) == []
    assert calls.prefixes(delimiter=False) == [
        *(f"AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/{day_path(d)}/" for d in (YESTERDAY, TODAY)),
        *(
            f"AWSLogs/aws-account-id={ACCOUNT}/aws-service=vpcflowlogs/aws-region=eu-west-1/{hive_day(d)}"
            for d in (YESTERDAY, TODAY)
        ),
    ]
    assert [o.key for o in listing.objects["vpc-flow"]] == [keys["flow"]]


def test_the_bucket_prefix_and_an_account_in_the_uri(s3: Any, calls: ListCalls) -> None:
    """s3://bucket/org/AWSLogs/ACCOUNT/: everything is listed under org/, for that account only."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    key = f"org/{resolver_key(TODAY, 1)}"
    put(s3, key, resolver_lines("pypi.org"))
    q = make_query(
        f"s3://{BUCKET}/org/AWSLogs/{ACCOUNT}/", kinds=["route53-resolver"], since=SINCE, until=UNTIL
    )
    listing = list_logs(boto3.client("s3"), q)
    assert calls.prefixes(delimiter=True) == [f"org/AWSLogs/{ACCOUNT}/vpcdnsquerylogs/"]
    assert all(p.startswith(f"org/AWSLogs/{ACCOUNT}/") for p in calls.prefixes())
    assert [o.key for o in listing.objects["route53-resolver"]] == [key]


def test_every_page_of_a_listing_is_read(s3: Any, calls: ListCalls) -> None:
    """MaxKeys 2: three VPCs over two pages of CommonPrefixes, seven objects of a day over four pages."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    vpcs = ["vpc-0000000000000000a", "vpc-0000000000000000b", VPC]
    for vpc in vpcs:
        put(s3, resolver_key(TODAY, 0, vpc=vpc), resolver_lines("pypi.org"))
    for n in range(1, 7):
        put(s3, resolver_key(TODAY, n), resolver_lines(f"h{n}.example.org"))
    q = S3Query(
        bucket=BUCKET,
        accounts=(ACCOUNT,),
        kinds=("route53-resolver",),
        start_ms=query().end_ms,
        end_ms=query().end_ms,
        page_size=2,
    )
    listing = list_logs(boto3.client("s3"), q)
    assert len(listing.objects["route53-resolver"]) == 9
    assert {c.get("MaxKeys") for c in calls.calls} == {2}
    tokens = [c["Prefix"] for c in calls.calls if "ContinuationToken" in c]
    day = f"AWSLogs/{ACCOUNT}/vpcdnsquerylogs/{VPC}/{day_path(TODAY)}/"
    assert tokens.count(f"AWSLogs/{ACCOUNT}/vpcdnsquerylogs/") == 1  # 3 VPCs: 2 pages
    assert tokens.count(day) == 3  # 7 objects: 4 pages


def test_parquet_and_folder_objects_are_left_out(s3: Any) -> None:
    """Flow logs delivered as Parquet are counted and left out; console 'folders' are ignored."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    put(s3, flow_key(TODAY, 1).replace(".log.gz", ".log.parquet"), "PAR1", compress=False)
    put(s3, f"AWSLogs/{ACCOUNT}/vpcflowlogs/eu-west-1/{day_path(TODAY)}/", "", compress=False)
    listing = list_logs(s3, query(kinds=["vpc-flow"]))
    assert listing.objects == {} and dict(listing.left_out) == {
        "Parquet objects left out (egressmap reads flow logs in the text format)": 1
    }
    message = str(nothing_found(listing, f"s3://{BUCKET}/"))
    assert "no log objects under AWSLogs/" in message and "1 Parquet objects left out" in message


def test_size_estimate_is_given_before_reading_and_refused_above_the_limit(s3: Any) -> None:
    """Above the limit: one line with the objects, the bytes and the days; at or under it nothing is said."""
    world(s3)
    listing = list_logs(s3, query())
    total = listing.size()
    assert total > 1000
    check_size(listing, f"s3://{BUCKET}/", total, "give --yes")
    with pytest.raises(FetchError) as info:
        check_size(listing, f"s3://{BUCKET}/", 1000, "give --yes")
    assert str(info.value) == (
        f"s3://{BUCKET}/: 5 objects, {human(total)} to read ({YESTERDAY}..{TODAY}), over the 1000 B limit: give --yes"
    )
    assert parse_size("1G") == 1 << 30
    with pytest.raises(FetchError, match="cannot read the size"):
        parse_size("lots")


def test_no_such_bucket(s3: Any) -> None:
    """A missing bucket is one line naming it."""
    with pytest.raises(FetchError, match=f"no such S3 bucket '{BUCKET}'"):
        list_logs(s3, query())


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("AccessDenied", f"access denied to s3://{BUCKET}/AWSLogs/: the credentials need s3:ListBucket"),
        ("ExpiredToken", "session token has expired"),
        ("InvalidAccessKeyId", "AWS rejected the credentials (InvalidAccessKeyId)"),
        ("SlowDown", "S3 error: "),
    ],
)
def test_aws_errors_while_listing_are_one_line(code: str, words: str) -> None:
    """Access denied, an expired token, an unknown key, anything else: one FetchError line each."""
    client = boto3.client("s3", region_name="eu-central-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("list_objects_v2", code, "denied", 403)
        with pytest.raises(FetchError) as info:
            list_logs(client, query())
    assert words in str(info.value) and "\n" not in str(info.value)


def test_unknown_kinds_and_bad_accounts_are_refused() -> None:
    """--source and --account are checked before any call."""
    with pytest.raises(FetchError, match="unknown kind of log 'waf'"):
        make_query(f"s3://{BUCKET}", kinds=["waf"])
    with pytest.raises(FetchError, match="not an AWS account id"):
        make_query(f"s3://{BUCKET}", accounts=["12345"])
