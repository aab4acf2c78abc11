"""s3:// and cloudwatch:// sources in scan and build (moto in-process): read in place, same as the fetched files."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from egressmap.cli import main
from egressmap.fetch.aws import FetchError
from egressmap.fetch.remote_aws import CLOUDWATCH_KEYS, S3_KEYS, split_query
from tests.fetch.s3_world import BUCKET, TODAY, YESTERDAY, fake_credentials, flow_key, put, world
from tests.fetch.test_cloudwatch import GROUP, fill, names
from tests.sources.test_route53_resolver import record

WHEN = f"since={YESTERDAY}&until={TODAY}T23:59:59Z"
STREAM = "vpc-0b7d2e4f6a8c13579_i-07c3e5a9b1d2f4680"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_way_out: list[str]) -> Iterator[dict[str, str]]:
    """moto in-process with the standard log bucket and a Resolver log group; the bucket's keys."""
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        keys = world(boto3.client("s3"))
        fill(boto3.client("logs"), [*names(2), record("pastebin.com.", firewall_rule_action="BLOCK")], STREAM)
        yield keys


def test_an_s3_source_is_one_input_per_kind_of_log(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """scan s3://bucket: Resolver, flow and Network Firewall logs each read in their format, objects named."""
    uri = f"s3://{BUCKET}?{WHEN}"
    code, stdout, err = run(capsys, "scan", uri, "--json")
    assert code == 0, err
    report = json.loads(stdout)
    assert [(i["input"], i["format"], i["observations"]) for i in report["inputs"]] == [
        (f"{uri} [route53-resolver]", "route53-resolver", 3),
        (f"{uri} [vpc-flow]", "vpc-flow", 2),
        (f"{uri} [aws-network-firewall]", "aws-network-firewall", 1),
    ]
    sources = {d["host"]: d["sources"] for d in report["destinations"]}
    assert sources["api.github.com"] == [f"s3://{BUCKET}/{aws['firewall']}:1"]
    assert sources["198.51.100.8"] == [f"s3://{BUCKET}/{aws['hive']}:2"]


def test_a_cloudwatch_source_gives_the_policy_of_the_fetched_file(
    aws: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build cloudwatch:///GROUP and build of fetch cloudwatch's file: the same entries; sources name the stream."""
    out = tmp_path / "resolver.log"
    assert run(capsys, "fetch", "cloudwatch", GROUP, "--since", "1d", "-o", str(out))[0] == 0
    code, from_file, err = run(capsys, "build", str(out), "--to", "json")
    assert code == 0, err
    uri = f"cloudwatch://{GROUP}"
    code, direct, err = run(capsys, "build", f"{uri}?since=1d", "--to", "json")
    assert code == 0, err
    file_entries, direct_entries = json.loads(from_file)["entries"], json.loads(direct)["entries"]
    assert direct_entries == [
        dict(e, sources=[s.replace(str(out), uri) for s in e["sources"]]) for e in file_entries
    ]
    assert {e["hosts"][0]: e["sources"] for e in direct_entries} == {
        "host0.example.org": [f"{uri}:1 ({GROUP} {STREAM})"],
        "host1.example.org": [f"{uri}:2 ({GROUP} {STREAM})"],
        "pastebin.com": [f"{uri}:3 ({GROUP} {STREAM})"],
    }


def test_parquet_objects_are_a_warning_on_the_flow_input(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """Flow logs in Parquet beside text ones: the text is read, the Parquet objects counted in a warning."""
    put(boto3.client("s3"), flow_key(TODAY, 30).replace(".log.gz", ".log.parquet"), "PAR1", compress=False)
    code, stdout, err = run(capsys, "scan", f"s3://{BUCKET}?source=vpc-flow&{WHEN}", "--json")
    assert code == 0, err
    [source] = json.loads(stdout)["inputs"]
    assert source["observations"] == 2
    assert source["problems"] == [
        {
            "kind": "warning",
            "reason": "1 Parquet objects left out (egressmap reads flow logs in the text format)",
            "count": 1,
            "lines": [1],
        }
    ]


@pytest.mark.parametrize(
    ("uri", "words"),
    [
        (f"s3://{BUCKET}?{WHEN}&max-size=100", "over the 100 B limit: add max-size=SIZE"),
        (f"s3://{BUCKET}?days=2", "unknown option 'days': s3:// sources take since, until, account"),
        (f"s3://{BUCKET}?source=waf", "unknown kind of log 'waf'"),
        ("cloudwatch:///aws/nope?since=1d", "no such log group '/aws/nope'"),
        ("cloudwatch://", "no log group: give cloudwatch://GROUP"),
    ],
)
def test_a_source_that_cannot_be_read_is_one_line(
    aws: dict[str, str], capsys: pytest.CaptureFixture[str], uri: str, words: str
) -> None:
    """Over the limit, an unknown option or kind, a missing group: the input is not read, said in one line."""
    code, _, err = run(capsys, "scan", uri)
    assert code == 1
    assert words in err and f"egressmap: {uri}: " in err and "no input could be read" in err


def test_other_inputs_are_read_when_a_remote_one_fails(
    aws: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A local log beside a missing bucket: the log is read, the run is partial (exit 3)."""
    log = tmp_path / "build.log"
    log.write_text("Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease\n")
    code, stdout, err = run(capsys, "scan", str(log), "s3://no-such-bucket-example", "--json")
    assert code == 3
    assert "no such S3 bucket 'no-such-bucket-example'" in err
    assert [d["host"] for d in json.loads(stdout)["destinations"]] == ["archive.ubuntu.com"]


def test_query_strings() -> None:
    """Options are KEY=VALUE pairs, %-decoded, keys may repeat; a malformed string is one clear error."""
    assert split_query("s3://b/p?account=1&account=2", S3_KEYS) == ("s3://b/p", {"account": ["1", "2"]})
    assert split_query("cloudwatch:///aws/x", CLOUDWATCH_KEYS) == ("cloudwatch:///aws/x", {})
    with pytest.raises(FetchError, match="cannot read the options"):
        split_query("s3://b?since", S3_KEYS)
