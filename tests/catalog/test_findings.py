"""Finding rules on small configs written for each case."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.catalog.configs import load_config
from egressmap.catalog.findings import Finding
from egressmap.catalog.planner import plan

BASE = """Region: us-east-1
Image:
  Os: {os}
HeadNode:
  InstanceType: c5.large
  Networking:
    SubnetId: subnet-1
{head_proxy}  Ssh:
    KeyName: k
    AllowedIps: 10.0.0.0/16
Scheduling:
  Scheduler: {scheduler}
  SlurmSettings:
    Dns:
      DisableManagedDns: {dns}
      UseEc2Hostnames: {hostnames}
  SlurmQueues:
    - Name: q1
      Networking:
        SubnetIds: [subnet-1]
{queue_proxy}      CustomActions:
        OnNodeConfigured:
          Script: {script}
      ComputeResources:
        - Name: c
          InstanceType: c5.large
"""
PROXY_HEAD = "    Proxy:\n      HttpProxyAddress: http://10.0.0.9:3128\n"
PROXY_QUEUE = "        Proxy:\n          HttpProxyAddress: http://10.0.0.9:3128\n"


def findings_for(tmp_path: Path, network: str = "auto", **values: str) -> list[Finding]:
    fields = {
        "os": "alinux2023",
        "head_proxy": "",
        "queue_proxy": "",
        "scheduler": "slurm",
        "dns": "true",
        "hostnames": "true",
        "script": "s3://my-bucket/setup.sh",
    }
    fields.update(values)
    path = tmp_path / "cluster.yaml"
    path.write_text(BASE.format(**fields))
    return list(plan(load_config(str(path)), network=network).findings)  # type: ignore[arg-type]


def rules(found: list[Finding]) -> set[str]:
    return {f.rule for f in found}


def test_a_clean_isolated_config_has_only_the_cli_and_s3_notes(tmp_path: Path) -> None:
    found = findings_for(tmp_path)
    assert rules(found) == {"isolated-cli", "internet-url"}
    s3 = next(f for f in found if f.rule == "internet-url")
    assert s3.severity == "info" and "my-bucket" in s3.fix and s3.where.endswith("cluster.yaml:23")


def test_dns_half_set_is_a_warning(tmp_path: Path) -> None:
    found = [f for f in findings_for(tmp_path, hostnames="false") if f.rule == "managed-dns"]
    assert [(f.severity, f.path) for f in found] == [
        ("warning", "Scheduling.SlurmSettings.Dns.UseEc2Hostnames")
    ]


def test_dns_is_no_finding_behind_a_proxy(tmp_path: Path) -> None:
    found = findings_for(tmp_path, dns="false", head_proxy=PROXY_HEAD, queue_proxy=PROXY_QUEUE)
    assert "managed-dns" not in rules(found)
    assert "isolated-cli" not in rules(found)


def test_al2023_behind_a_proxy_has_the_dualstack_no_proxy_gap(tmp_path: Path) -> None:
    found = [
        f
        for f in findings_for(tmp_path, head_proxy=PROXY_HEAD, queue_proxy=PROXY_QUEUE)
        if f.rule == "no-proxy-gap"
    ]
    assert found and found[0].severity == "warning"
    assert "al2023-repos-us-east-1-de612dc2.s3.dualstack.us-east-1.amazonaws.com" in found[0].problem
    assert "169.254.169.254" in found[0].problem


def test_missing_proxy_on_the_head_node_is_an_error(tmp_path: Path) -> None:
    found = [
        f
        for f in findings_for(tmp_path, os="ubuntu2404", queue_proxy=PROXY_QUEUE)
        if f.rule == "proxy-missing"
    ]
    assert [(f.severity, f.path) for f in found] == [("error", "HeadNode.Networking.Proxy.HttpProxyAddress")]


def test_an_internet_script_url_is_a_warning_when_isolated_and_becomes_an_entry(tmp_path: Path) -> None:
    found = [
        f
        for f in findings_for(tmp_path, script="https://raw.example.net/setup.sh")
        if f.rule == "internet-url"
    ]
    assert [(f.severity, f.path) for f in found] == [
        ("warning", "Scheduling.SlurmQueues[0].CustomActions.OnNodeConfigured.Script")
    ]
    path = tmp_path / "cluster.yaml"
    entries = {e.pattern: e for e in plan(load_config(str(path))).entries}
    assert "raw.example.net" in entries
    assert (
        "OnNodeConfigured.Script fetches https://raw.example.net/setup.sh"
        in entries["raw.example.net"].reasons[0]
    )


def test_awsbatch_cannot_run_isolated(tmp_path: Path) -> None:
    found = [f for f in findings_for(tmp_path, scheduler="awsbatch") if f.rule == "needs-internet"]
    assert [f.severity for f in found] == ["error"]
    assert not [
        f for f in findings_for(tmp_path, network="proxy", scheduler="awsbatch") if f.rule == "needs-internet"
    ]


@pytest.mark.parametrize(("version", "expected"), [("3.9.0", True), ("3.10.0", False)])
def test_isolated_build_image_needs_3_10(tmp_path: Path, version: str, expected: bool) -> None:
    path = tmp_path / "build.yaml"
    path.write_text("Build:\n  InstanceType: c5.xlarge\n  ParentImage: ami-123\n  SubnetId: subnet-1\n")
    result = plan(load_config(str(path)), f"parallelcluster@{version}", region="us-east-1", os_name="rhel9")
    errors = [f for f in result.findings if f.severity == "error" and f.path == "Build"]
    assert bool(errors) is expected
    assert result.phases == ("cli-install", "image-build")
    assert "{region}-aws-parallelcluster" not in " ".join(e.pattern for e in result.entries)
    if version == "3.10.0":
        assert "us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com" in {
            e.pattern for e in result.entries
        }
