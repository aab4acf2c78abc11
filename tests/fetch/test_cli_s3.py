"""egressmap fetch s3 end to end (moto in-process, and moto's server on 127.0.0.1): files scan reads, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.server import ThreadedMotoServer

from egressmap.cli import main
from tests.fetch.s3_world import (
    BUCKET,
    TODAY,
    YESTERDAY,
    ListCalls,
    fake_credentials,
    record_lists,
    resolver_key,
    world,
)

DAYS = ("--since", YESTERDAY.isoformat(), "--until", f"{TODAY.isoformat()}T23:59:59Z")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def bucket(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_way_out: list[str]
) -> Iterator[dict[str, str]]:
    """The standard log bucket in moto in-process; its keys."""
    fake_credentials(monkeypatch, tmp_path)
    with mock_aws():
        yield world(boto3.client("s3"))


def test_resolver_logs_fetched_and_scanned_name_each_object(
    bucket: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One kind to one file: the estimate first, then the file; scan names s3://bucket/key:LINE as sources."""
    out = tmp_path / "resolver.log"
    code, _, err = run(
        capsys, "fetch", "s3", f"s3://{BUCKET}", "--source", "route53-resolver", *DAYS, "-o", str(out)
    )
    assert code == 0, err
    first, second = err.splitlines()
    assert first.startswith(f"egressmap: s3://{BUCKET}/: 2 objects, ") and f"({YESTERDAY}..{TODAY}, " in first
    assert second.startswith("egressmap: 2 objects of route53-resolver logs (")
    assert second.endswith(f"-> {out}")
    assert out.read_text().splitlines()[0] == f"#egressmap-object s3://{BUCKET}/{resolver_key(YESTERDAY, 20)}"
    code, stdout, err = run(capsys, "scan", str(out), "--json")
    assert code == 0, err
    report = json.loads(stdout)
    assert [(i["format"], i["observations"]) for i in report["inputs"]] == [("route53-resolver", 3)]
    found = {d["host"]: d["sources"] for d in report["destinations"]}
    assert found == {
        "github.com": [f"s3://{BUCKET}/{resolver_key(YESTERDAY, 20)}:1"],
        "pypi.org": [f"s3://{BUCKET}/{bucket['resolver']}:1"],
        "files.pythonhosted.org": [f"s3://{BUCKET}/{bucket['resolver']}:2"],
    }


def test_several_kinds_need_a_file_each(
    bucket: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without {source} in -o several kinds are refused in one line; with it, one file per kind."""
    code, _, err = run(capsys, "fetch", "s3", f"s3://{BUCKET}", *DAYS, "-o", str(tmp_path / "all.log"))
    assert code == 1 and err.count("\n") == 1
    assert "holds route53-resolver (2 objects), vpc-flow (2 objects), aws-network-firewall (1 objects)" in err
    assert not (tmp_path / "all.log").exists()
    pattern = str(tmp_path / "logs-{source}.txt")
    code, _, err = run(capsys, "fetch", "s3", f"s3://{BUCKET}", *DAYS, "-q", "-o", pattern)
    assert code == 0 and err == ""
    made = sorted(p.name for p in tmp_path.glob("logs-*.txt"))
    assert made == ["logs-aws-network-firewall.txt", "logs-route53-resolver.txt", "logs-vpc-flow.txt"]
    code, stdout, err = run(capsys, "scan", str(tmp_path / "logs-vpc-flow.txt"), "--json")
    assert code == 0, err
    hosts = {d["host"]: d["sources"] for d in json.loads(stdout)["destinations"]}
    assert hosts == {
        "198.51.100.7": [f"s3://{BUCKET}/{bucket['flow']}:2"],
        "198.51.100.8": [f"s3://{BUCKET}/{bucket['hive']}:2"],
    }


def test_over_the_size_limit_says_the_estimate_unless_yes(
    bucket: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--max-size below the listing: exit 1, one line with the estimate, no object read; --yes reads it."""
    out = tmp_path / "fw.log"
    argv = ("fetch", "s3", f"s3://{BUCKET}", "--source", "aws-network-firewall", *DAYS, "--max-size", "100")
    code, _, err = run(capsys, *argv, "-o", str(out))
    assert code == 1 and err.count("\n") == 1 and not out.exists()
    assert "1 objects, " in err and "over the 100 B limit: narrow --since" in err and "or give --yes" in err
    code, _, err = run(capsys, *argv, "--yes", "-o", str(out))
    assert code == 0, err
    assert out.read_text().count("#egressmap-object ") == 1


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (("s3://no-such-bucket-example",), "no such S3 bucket 'no-such-bucket-example'"),
        ((f"s3://{BUCKET}/elsewhere",), f"s3://{BUCKET}/elsewhere/: no log objects under AWSLogs/"),
        ((f"s3://{BUCKET}", "--since", "yesterday"), "cannot read the time 'yesterday'"),
        ((f"s3://{BUCKET}", "--account", "42"), "'42' is not an AWS account id"),
    ],
)
def test_errors_are_one_line(
    bucket: dict[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: tuple[str, ...],
    words: str,
) -> None:
    """A missing bucket, nothing found, a bad time or account: exit 1, one line."""
    code, _, err = run(capsys, "fetch", "s3", *argv, "-o", str(tmp_path / "x"))
    assert code == 1 and err.count("\n") == 1 and words in err, err


def test_no_credentials_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str], no_way_out: list[str]
) -> None:
    """No credentials in the chain: exit 1, one line (the instance metadata is switched off: nothing leaves)."""
    fake_credentials(monkeypatch, tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    code, _, err = run(capsys, "fetch", "s3", f"s3://{BUCKET}", "-o", str(tmp_path / "x"))
    assert code == 1 and err.count("\n") == 1 and "no AWS credentials found" in err


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_way_out: list[str]) -> Iterator[str]:
    """moto's server on 127.0.0.1 (a free port), holding the standard bucket; its URL."""
    fake_credentials(monkeypatch, tmp_path)
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    try:
        host, port = moto.get_host_and_port()
        url = f"http://{host}:{port}"
        world(boto3.client("s3", endpoint_url=url))
        yield url
    finally:
        moto.stop()


def test_through_an_endpoint_on_loopback_fetch_and_direct_read_agree(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Against a moto server: fetch s3 --endpoint-url, and build over the s3:// source, give the same policy."""
    calls: ListCalls = record_lists(monkeypatch)
    out = tmp_path / "resolver.log"
    fetch = ("fetch", "s3", f"s3://{BUCKET}", "--source", "route53-resolver", *DAYS, "--endpoint-url", server)
    code, _, err = run(capsys, *fetch, "-o", str(out))
    assert code == 0, err
    assert all(p.startswith("AWSLogs/") for p in calls.prefixes())
    code, from_file, err = run(capsys, "build", str(out), "--to", "json")
    assert code == 0, err
    monkeypatch.setenv("AWS_ENDPOINT_URL", server)
    source = f"s3://{BUCKET}?source=route53-resolver&since={YESTERDAY}&until={TODAY}T23:59:59Z"
    code, direct, err = run(capsys, "build", source, "--to", "json")
    assert code == 0, err
    entries: list[Any] = json.loads(direct)["entries"]
    assert entries == json.loads(from_file)["entries"]
    assert {e["hosts"][0] for e in entries} == {"github.com", "pypi.org", "files.pythonhosted.org"}
