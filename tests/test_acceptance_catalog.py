"""Issue 3's acceptance checks: the catalog and `plan` on the seeds' own configs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from egressmap.cli import main

CONFIGS = Path(__file__).parent / "data" / "configs"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def plan_json(capsys: pytest.CaptureFixture[str], name: str, *extra: str) -> dict[str, Any]:
    code, out, err = run(capsys, "plan", str(CONFIGS / name), "--json", *extra)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def test_seed000_ubuntu_cluster_predicts_snap_and_ubuntu_mirrors_and_endpoints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = plan_json(capsys, "seed000-ubuntu-cluster.yaml")
    entries = data["entries"]
    internet = {e["pattern"] for e in entries if e["scope"] == "internet"}
    # the snap store and Ubuntu mirrors BioTeam's proxy saw (seed 000)
    assert {"api.snapcraft.io", "dashboard.snapcraft.io", "cloudfront.cdn.snapcraftcontent.com"} <= internet
    assert {"security.ubuntu.com", "esm.ubuntu.com"} <= internet
    assert all(e["tier"] == "predicted" and e["reasons"] for e in entries)
    endpoints = {(p["service"], p["type"]) for p in data["private_endpoints"]}
    assert {("s3", "gateway"), ("dynamodb", "gateway")} <= endpoints
    rules = {f["rule"] for f in data["findings"]}
    assert not rules & {"proxy-missing", "no-proxy-gap"}, data["findings"]
    assert data["network"] == "proxy"


def test_a_queue_without_the_head_nodes_proxy_is_a_finding(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = (CONFIGS / "seed000-ubuntu-cluster.yaml").read_text()
    queue_proxy = "        Proxy:\n          HttpProxyAddress: http://172.31.87.105:3128\n"
    assert queue_proxy in text
    broken = tmp_path / "cluster.yaml"
    broken.write_text(text.replace(queue_proxy, "", 1))
    code, out, _ = run(capsys, "plan", str(broken), "--json")
    assert code == 0
    found = [f for f in json.loads(out)["findings"] if f["rule"] == "proxy-missing"]
    assert [f["path"] for f in found] == ["Scheduling.SlurmQueues[0].Networking.Proxy.HttpProxyAddress"]
    assert found[0]["severity"] == "error" and "http://172.31.87.105:3128" in found[0]["fix"]


def test_seed004_v2_reports_ssh_open_with_session_manager_fix_and_ssm_endpoints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = plan_json(capsys, "seed004-v2.ini")
    ssh = [f for f in data["findings"] if f["rule"] == "ssh-open"]
    assert len(ssh) == 1
    assert "0.0.0.0/0" in ssh[0]["problem"]
    assert "Session Manager" in ssh[0]["fix"] and "AmazonSSMManagedInstanceCore" in ssh[0]["fix"]
    assert "com.amazonaws.us-east-1.ssmmessages" in ssh[0]["fix"]
    services = {p["service"] for p in data["private_endpoints"]}
    assert {"ssm", "ssmmessages", "ec2messages"} <= services
    assert data["stack"] == "parallelcluster@2.11.9"


def test_seed002_isolated_cluster_needs_the_dns_settings(capsys: pytest.CaptureFixture[str]) -> None:
    without = plan_json(capsys, "seed002-isolated-nodns.yaml")
    dns = [f for f in without["findings"] if f["rule"] == "managed-dns"]
    assert len(dns) == 1 and dns[0]["severity"] == "error"
    assert "DisableManagedDns: true" in dns[0]["fix"] and "UseEc2Hostnames: true" in dns[0]["fix"]
    assert without["network"] == "isolated"
    with_dns = plan_json(capsys, "seed002-isolated.yaml")
    assert not [f for f in with_dns["findings"] if f["rule"] == "managed-dns"]
    # Route 53 (no endpoint possible) is needed only while managed DNS is on
    before = {(p["service"], p["type"]) for p in without["private_endpoints"]}
    after = {(p["service"], p["type"]) for p in with_dns["private_endpoints"]}
    assert ("route53", "none") in before and ("route53", "none") not in after


def test_catalog_diff_shows_downloads_moving_to_the_regional_bucket(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run(capsys, "catalog", "diff", "parallelcluster@3.0.5", "parallelcluster@3.14.0", "--json")
    assert code == 0
    moved = {c["component"]: c for c in json.loads(out)["changes"] if c["change"] == "moved"}
    bucket = "{region}-aws-parallelcluster.s3.{region}.amazonaws.com:443"
    for component in ("slurm", "munge"):
        assert component in moved, sorted(moved)
        assert bucket in moved[component]["added"]
        assert any(h.startswith("github.com:") for h in moved[component]["removed"])
    code, text, _ = run(capsys, "catalog", "diff", "parallelcluster@3.0.5", "parallelcluster@3.14.0")
    assert code == 0 and "moved" in text and bucket in text


def test_cyclecloud_nsg_rules_of_seed003_are_reproduced(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "cyclecloud@8", "--json")
    assert code == 0
    data = json.loads(out)
    rules = {
        (r["priority"], r["name"], str(r["ports"]), r["protocol"], r["to"], r["action"])
        for r in data["nsg_rules"]
    }
    assert {
        (4000, "BlockOutbound", "*", "*", "Internet", "deny"),
        (100, "AllowAzureStorage", "[443]", "tcp", "Storage", "allow"),
        (101, "AllowActiveDirectory", "[443]", "tcp", "AzureActiveDirectory", "allow"),
        (102, "AllowAzureMonitor", "[443]", "tcp", "AzureMonitor", "allow"),
        (103, "AllowAzureRM", "[443]", "tcp", "AzureResourceManager", "allow"),
    } <= rules
    flows = {(f["name"], tuple(f["ports"])) for f in data["flows"]}
    assert {("amqp_5672", (5672,)), ("https_9443", (9443,))} <= flows
    code, text, _ = run(capsys, "catalog", "show", "cyclecloud@8")
    row = next(line for line in text.splitlines() if "BlockOutbound" in line)
    assert row.split() == ["4000", "BlockOutbound", "outbound", "Any", "Any", "Any", "Internet", "Deny"]
    hosts = {h for e in data["entries"] for h in e["hosts"]}
    assert {
        "management.azure.com",
        "login.microsoftonline.com",
        "ratecard.azure-api.net",
        "github.com",
    } <= hosts
