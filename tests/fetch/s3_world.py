"""A bucket laid out as AWS delivers logs, for the S3 fetch tests (moto); fake credentials; a ListObjectsV2 recorder.

Keys follow the documented layouts (see ``egressmap.fetch.s3_layout``) and file names: ``<account>_vpcflowlogs_
<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`` and the like. Nothing here reaches AWS: every client
is given fake keys, and either moto answers in-process or the endpoint is a moto server on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import boto3
import pytest

from tests.sources.test_route53_resolver import record

ACCOUNT, OTHER = "111122223333", "444455556666"
BUCKET = "central-logs-example"
VPC = "vpc-0b7d2e4f6a8c13579"
TODAY = datetime.now(UTC).date()
YESTERDAY = TODAY - timedelta(days=1)
FLOW_HEADER = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status"
)


def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake keys, a region, no profile files, no instance metadata, no endpoint from the environment."""
    for name in (
        "AWS_PROFILE",
        "AWS_SESSION_TOKEN",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@dataclass
class ListCalls:
    """Every ListObjectsV2 call made by any client created while recording (prefix, delimiter, token)."""

    calls: list[dict[str, Any]] = field(default_factory=list)

    def prefixes(self, delimiter: bool | None = None) -> list[str]:
        """The prefixes listed (first page of each listing only), optionally only with or without a delimiter."""
        return [
            c.get("Prefix", "")
            for c in self.calls
            if "ContinuationToken" not in c and (delimiter is None or ("Delimiter" in c) == delimiter)
        ]


def record_lists(monkeypatch: pytest.MonkeyPatch) -> ListCalls:
    """Record the ListObjectsV2 calls of every boto3 client made from now on (through botocore's event hooks)."""
    seen = ListCalls()
    real = boto3.Session.client

    def client(self: boto3.Session, *args: Any, **kwargs: Any) -> Any:
        made = real(self, *args, **kwargs)
        made.meta.events.register(
            "provide-client-params.s3.ListObjectsV2", lambda params, **_: seen.calls.append(dict(params))
        )
        return made

    monkeypatch.setattr(boto3.Session, "client", client)
    return seen


def day_path(day: date) -> str:
    """``yyyy/mm/dd``."""
    return day.strftime("%Y/%m/%d")


def resolver_key(day: date, n: int, account: str = ACCOUNT, vpc: str = VPC) -> str:
    """A Route 53 Resolver query log object's key."""
    stamp = day.strftime("%Y%m%d")
    return f"AWSLogs/{account}/vpcdnsquerylogs/{vpc}/{day_path(day)}/{account}_vpcdnsquerylogs_{vpc}_{stamp}T{n:04d}Z_{n:08x}.log.gz"


def flow_key(day: date, n: int, region: str = "eu-west-1", account: str = ACCOUNT, hive: bool = False) -> str:
    """A VPC flow log object's key, plain or Hive-compatible."""
    name = f"{account}_vpcflowlogs_{region}_fl-0123456789abcdef0_{day.strftime('%Y%m%d')}T{n:04d}Z_{n:08x}.log.gz"
    if hive:
        when = f"year={day.year}/month={day.month:02d}/day={day.day:02d}"
        return f"AWSLogs/aws-account-id={account}/aws-service=vpcflowlogs/aws-region={region}/{when}/{name}"
    return f"AWSLogs/{account}/vpcflowlogs/{region}/{day_path(day)}/{name}"


def firewall_key(
    day: date, n: int, log_type: str = "alert", region: str = "eu-west-1", account: str = ACCOUNT
) -> str:
    """A Network Firewall log object's key (an hour level under the day)."""
    stamp = f"{day.strftime('%Y%m%d')}T{n:02d}00Z"
    return (
        f"AWSLogs/{account}/network-firewall/{log_type}/{region}/egress-fw/{day_path(day)}/{n:02d}/"
        f"{account}_network-firewall_{log_type}_{region}_egress-fw_{stamp}_{n:08x}.log.gz"
    )


def resolver_lines(*names: str) -> str:
    """Resolver records for these names (with their trailing dots), one per line."""
    return "".join(record(f"{name}.") + "\n" for name in names)


def flow_lines(*destinations: str) -> str:
    """A flow log file: the header, then one accepted HTTPS flow to each address from 10.40.7.19."""
    start = int(datetime.now(UTC).timestamp()) - 3600
    rows = [
        f"2 {ACCOUNT} eni-0a1b2c3d4e5f60718 10.40.7.19 {dst} 49152 443 6 10 840 {start} {start + 60} ACCEPT OK"
        for dst in destinations
    ]
    return "\n".join([FLOW_HEADER, *rows]) + "\n"


def firewall_lines(*snis: str) -> str:
    """Network Firewall alert records with a TLS SNI each (an alert action 'allowed')."""
    out = []
    for sni in snis:
        event = {
            "timestamp": "2026-11-03T09:14:21.000000+0000",
            "event_type": "alert",
            "src_ip": "10.40.7.19",
            "src_port": 49152,
            "dest_ip": "203.0.113.10",
            "dest_port": 443,
            "proto": "TCP",
            "app_proto": "tls",
            "tls": {"sni": sni},
            "alert": {"action": "allowed", "signature_id": 1, "signature": "allow listed"},
        }
        wrapper = {
            "firewall_name": "egress-fw",
            "availability_zone": "eu-west-1a",
            "event_timestamp": "1793697261",
        }
        out.append(json.dumps({**wrapper, "event": event}) + "\n")
    return "".join(out)


def put(client: Any, key: str, text: str, compress: bool = True, bucket: str = BUCKET) -> None:
    """An object holding ``text``, gzipped unless told otherwise."""
    body = gzip.compress(text.encode()) if compress else text.encode()
    client.put_object(Bucket=bucket, Key=key, Body=body)


def world(client: Any) -> dict[str, str]:
    """The standard bucket: two days of Resolver, flow (plain and Hive) and Network Firewall logs, and noise.

    Returns the key of one object of each kind for assertions.
    """
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    keys = {
        "resolver": resolver_key(TODAY, 5),
        "flow": flow_key(TODAY, 10),
        "hive": flow_key(YESTERDAY, 15, region="us-east-1", account=OTHER, hive=True),
        "firewall": firewall_key(TODAY, 7),
    }
    put(client, keys["resolver"], resolver_lines("pypi.org", "files.pythonhosted.org"))
    put(client, resolver_key(YESTERDAY, 20), resolver_lines("github.com"))
    put(client, resolver_key(TODAY - timedelta(days=9), 1), resolver_lines("old.example.org"))  # outside 1d
    put(client, keys["flow"], flow_lines("198.51.100.7"))
    put(client, keys["hive"], flow_lines("198.51.100.8"))
    put(client, keys["firewall"], firewall_lines("api.github.com"))
    put(client, "unrelated/big-export.csv", "x" * 1000, compress=False)  # never listed: not under AWSLogs/
    return keys


def lines_of(text: str) -> Iterator[str]:
    """The non-empty lines."""
    return (line for line in text.splitlines() if line)
