"""egressmap fetch cloudwatch end to end with moto in-process: output read back by scan, errors in one line."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from egressmap.cli import main
from tests.fetch.test_cloudwatch import GROUP, T0, fill, names
from tests.sources.test_route53_resolver import record

IMAGE_GROUP = "/aws/imagebuilder/ParallelClusterImage-u20lts-image"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No credentials anywhere, and no instance metadata lookups (they would leave the machine)."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    for name in (
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_ENDPOINT_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")


@pytest.fixture
def aws(no_aws: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials; moto answers in-process."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def test_fetched_resolver_log_read_back_by_scan(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """fetch writes GROUP STREAM TIME lines; scan reads them as a Route 53 Resolver log, every name kept."""
    fill(boto3.client("logs"), [*names(3), record("pastebin.com.", firewall_rule_action="BLOCK")])
    out = tmp_path / "resolver.log"
    code, _, err = run(capsys, "fetch", "cloudwatch", GROUP, "--since", "1d", "-o", str(out))
    assert code == 0, err
    assert f"4 events from {GROUP} in 1 pages" in err
    code, stdout, err = run(capsys, "scan", str(out), "--json")
    assert code == 0, err
    report = json.loads(stdout)
    (source,) = report["inputs"]
    assert source["format"] == "route53-resolver" and source["observations"] == 4
    found = {d["host"]: d for d in report["destinations"]}
    assert set(found) == {"host0.example.org", "host1.example.org", "host2.example.org", "pastebin.com"}
    assert found["pastebin.com"]["denied"] == 1
    stream = "vpc-0b7d2e4f6a8c13579_i-07c3e5a9b1d2f4680"
    assert found["pastebin.com"]["sources"] == [
        f"{out}:4 ({GROUP} {stream})"
    ]  # the file's line, group, stream


def test_fetched_build_log_read_back_by_scan(
    aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 001's case: an Image Builder group's text lines, fetched and scanned like 'awslogs get' output."""
    client = boto3.client("logs")
    messages = [
        "Stdout: Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease [270 kB]",
        "Stdout: Downloading https://files.pythonhosted.org/packages/ab/cd/boto3-1.28.0-py3-none-any.whl",
    ]
    client.create_log_group(logGroupName=IMAGE_GROUP)
    client.create_log_stream(logGroupName=IMAGE_GROUP, logStreamName="3.5.0/1")
    events = [{"timestamp": fill_time(i), "message": m} for i, m in enumerate(messages)]
    client.put_log_events(logGroupName=IMAGE_GROUP, logStreamName="3.5.0/1", logEvents=events)
    out = tmp_path / "image.log"
    code, _, err = run(capsys, "fetch", "cloudwatch", IMAGE_GROUP, "--stream-prefix", "3.5.0", "-o", str(out))
    assert code == 0, err
    assert out.read_text().startswith(f"{IMAGE_GROUP} 3.5.0/1 ")
    code, stdout, err = run(capsys, "scan", str(out), "--json")
    assert code == 0, err
    hosts = {d["host"] for d in json.loads(stdout)["destinations"]}
    assert {"archive.ubuntu.com", "files.pythonhosted.org"} <= hosts


def fill_time(i: int) -> int:
    """A recent timestamp (moto refuses events older than 14 days), i seconds apart."""
    return T0 + i * 1000


def test_no_such_group_is_one_line(aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing group: exit 1, one line naming it."""
    code, _, err = run(capsys, "fetch", "cloudwatch", "/nope", "-o", str(tmp_path / "x"))
    assert code == 1
    assert err.count("\n") == 1 and "no such log group '/nope'" in err


def test_no_credentials_is_one_line(no_aws: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No credentials in the chain: exit 1, one line saying where they come from."""
    code, _, err = run(capsys, "fetch", "cloudwatch", GROUP, "-o", str(tmp_path / "x"))
    assert code == 1
    assert err.count("\n") == 1 and "no AWS credentials found" in err


def test_without_boto3_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """boto3 missing: exit 1, one line naming pip install 'egressmap[aws]'."""
    monkeypatch.setitem(sys.modules, "boto3", None)
    code, _, err = run(capsys, "fetch", "cloudwatch", GROUP, "-o", str(tmp_path / "x"))
    assert code == 1
    assert err.count("\n") == 1 and "pip install 'egressmap[aws]'" in err


def test_group_or_identifier_needed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Neither LOG_GROUP nor --log-group-identifier (or both): one clear line, exit 1."""
    code, _, err = run(capsys, "fetch", "cloudwatch", "-o", str(tmp_path / "x"))
    assert code == 1 and "either LOG_GROUP or --log-group-identifier" in err


def test_boto3_imported_only_by_fetch() -> None:
    """Loading the CLI (and running other commands) does not import boto3: it is the [aws] extra."""
    import subprocess

    code = "import sys, egressmap.cli; egressmap.cli.parser(); print('boto3' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
