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


# --- Issue 13, item 6: catalog corrections (each against the audit's source lines) ---------------------------


def show_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "catalog", "show", *argv, "--json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def hosts_by_entry(data: dict[str, Any]) -> dict[str, set[str]]:
    return {e["id"]: set(e["hosts"]) for e in data["entries"]}


CRATES = {"index.crates.io", "static.crates.io"}


@pytest.mark.parametrize(
    "os_name", ["rhel8", "rhel9", "rocky8", "rocky9", "ubuntu2004", "ubuntu2204", "ubuntu2404"]
)
def test_the_efs_utils_2_source_build_needs_crates_io_from_3_13(
    capsys: pytest.CaptureFixture[str], os_name: str
) -> None:
    """3.13 builds efs-utils 2.1.0 with cargo on RHEL, Rocky and Ubuntu: crates.io; 3.12 does not."""
    new = show_json(capsys, "parallelcluster@3.13.0", "--os", os_name)
    entry = next(e for e in new["entries"] if e["id"] == "efs-utils-crates-io")
    assert set(entry["hosts"]) == CRATES and entry["phase"] == "image-build" and entry["ports"] == [443]
    assert entry["source"].startswith("https://github.com/aws/aws-parallelcluster-cookbook/blob/")
    assert entry["source"].endswith("/resources/efs/partial/_redhat_based.rb")
    assert "make rpm" in entry["notes"] and "build-deb.sh" in entry["notes"]
    old = show_json(capsys, "parallelcluster@3.12.0", "--os", os_name)
    assert not any(CRATES & hosts for hosts in hosts_by_entry(old).values())
    code, text, _ = run(capsys, "catalog", "show", "parallelcluster@3.13.0", "--os", os_name)
    assert code == 0 and "index.crates.io, static.crates.io" in text


def test_catalog_diff_shows_crates_io_arriving_with_efs_utils_2(capsys: pytest.CaptureFixture[str]) -> None:
    """3.12 -> 3.13: the efs-utils component adds index.crates.io and static.crates.io."""
    code, out, _ = run(
        capsys, "catalog", "diff", "parallelcluster@3.12.0", "parallelcluster@3.13.0", "--json"
    )
    assert code == 0
    efs = [c for c in json.loads(out)["changes"] if c["component"] == "efs-utils"]
    assert len(efs) == 1 and {"index.crates.io:443", "static.crates.io:443"} <= set(efs[0]["added"])


def test_amazon_linux_installs_efs_utils_as_a_package_and_needs_no_crates_io(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """AL2023 takes amazon-efs-utils from its repositories: no crates.io at 3.14 either."""
    data = show_json(capsys, "parallelcluster@3.14.0", "--os", "alinux2023", "--feature", "all")
    assert not any(CRATES & hosts for hosts in hosts_by_entry(data).values())


def test_cloudwatch_logs_alone_bring_the_cloudwatch_metrics_endpoint(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The agent publishes head-node metrics whenever CloudWatch logs are on (3.6+), alarms or not."""
    region = ("--region", "us-east-1", "--phase", "cluster-runtime")
    logs = show_json(capsys, "parallelcluster@3.14.0", "--feature", "cloudwatch-logs", *region)
    metrics = next(e for e in logs["entries"] if e["id"] == "cloudwatch-metrics")
    assert metrics["hosts"] == ["monitoring.us-east-1.amazonaws.com"]
    assert metrics["when"] == "versions >=3.6; features cloudwatch-logs"
    assert "cloudwatch_agent_config.json" in metrics["source"]
    for features in ((), ("--feature", "alarms")):
        data = show_json(capsys, "parallelcluster@3.14.0", *features, *region)
        assert "cloudwatch-metrics" not in hosts_by_entry(data)
    before = show_json(capsys, "parallelcluster@3.5.0", "--feature", "cloudwatch-logs", *region)
    assert "cloudwatch-metrics" not in hosts_by_entry(before)


def test_plan_with_cloudwatch_logs_and_no_alarms_needs_the_monitoring_endpoint(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """seed000 with alarms off still ships logs, so the plan keeps monitoring.{region} and its endpoint."""
    text = (CONFIGS / "seed000-ubuntu-cluster.yaml").read_text()
    alarms = "  Alarms:\n    Enabled: true\n"
    assert alarms in text
    config = tmp_path / "cluster.yaml"
    config.write_text(text.replace(alarms, "  Alarms:\n    Enabled: false\n"))
    data = plan_json(capsys, str(config))
    assert "alarms" not in data["features"] and "cloudwatch-logs" in data["features"]
    monitoring = next(e for e in data["entries"] if e["pattern"] == "monitoring.us-east-1.amazonaws.com")
    assert any(
        "cloudwatch-metrics" in r and "cloudwatch-logs from Monitoring.Logs.CloudWatch.Enabled" in r
        for r in monitoring["reasons"]
    )
    assert ("monitoring", "interface") in {(p["service"], p["type"]) for p in data["private_endpoints"]}
    logs_on = "  Logs:\n    CloudWatch:\n      Enabled: true\n"
    assert logs_on in text
    config.write_text(
        text.replace(alarms, "  Alarms:\n    Enabled: false\n").replace(
            logs_on, "  Logs:\n    CloudWatch:\n      Enabled: false\n"
        )
    )
    quiet = plan_json(capsys, str(config))
    assert "monitoring.us-east-1.amazonaws.com" not in {e["pattern"] for e in quiet["entries"]}


def test_the_cyclecloud_slurm_scheduler_needs_pypi(capsys: pytest.CaptureFixture[str]) -> None:
    """azure-slurm/install.sh pip-installs wheel and parallel-ssh on the scheduler: pypi.org and its files host."""
    data = show_json(capsys, "cyclecloud@8", "--feature", "slurm", "--phase", "node-bootstrap")
    entry = next(e for e in data["entries"] if e["id"] == "slurm-scheduler-pypi")
    assert set(entry["hosts"]) == {"pypi.org", "files.pythonhosted.org"} and entry["ports"] == [443]
    assert entry["source"].startswith("https://github.com/Azure/cyclecloud-slurm/blob/")
    assert entry["source"].endswith("/azure-slurm/install.sh")
    assert "parallel-ssh" in entry["purpose"] and entry["when"] == "features slurm"
    without = show_json(capsys, "cyclecloud@8", "--phase", "node-bootstrap")
    assert "slurm-scheduler-pypi" not in hosts_by_entry(without)
    assert "slurm-exporter-pypi" not in hosts_by_entry(data)
    monitored = show_json(capsys, "cyclecloud@8", "--feature", "slurm", "--feature", "monitoring")
    exporter = next(e for e in monitored["entries"] if e["id"] == "slurm-exporter-pypi")
    assert set(exporter["hosts"]) == {"pypi.org", "files.pythonhosted.org"}
    assert exporter["source"].endswith("/specs/scheduler/cluster-init/scripts/10-install_azslurm_exporter.sh")


def test_the_cluster_buckets_host_forms_are_entries_a_hostname_firewall_can_match(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Regional and global virtual-hosted names of parallelcluster-<hash>-v1-do-not-delete, as one-label wildcards."""
    data = show_json(capsys, "parallelcluster@3.14.0", "--region", "us-east-1")
    forms = {"*.s3.us-east-1.amazonaws.com", "*.s3.amazonaws.com"}
    for ident, phase in (
        ("cluster-config-bucket-names", "node-bootstrap"),
        ("cli-s3-bucket-names", "cli-install"),
    ):
        entry = next(e for e in data["entries"] if e["id"] == ident)
        assert set(entry["hosts"]) == forms and entry["match"] == "one-label" and entry["phase"] == phase
        assert "parallelcluster-<hash>-v1-do-not-delete" in entry["purpose"]
        assert entry["source"].endswith("/cli/src/pcluster/models/s3_bucket.py")
    code, text, _ = run(capsys, "catalog", "show", "parallelcluster@3.14.0", "--phase", "node-bootstrap")
    assert code == 0 and "*.s3.{region}.amazonaws.com (one label), *.s3.amazonaws.com (one label)" in text
    plan = plan_json(capsys, "seed000-ubuntu-cluster.yaml")
    wild = {e["pattern"]: e for e in plan["entries"] if e["pattern"] in forms}
    assert set(wild) == forms
    assert all(e["match"] == "one-label" and e["broad"] and e["warnings"] for e in wild.values())
    code, squid, _ = run(capsys, "build", str(CONFIGS / "seed000-ubuntu-cluster.yaml"), "--to", "squid")
    assert code == 0
    regexes = [line for line in squid.splitlines() if "dstdom_regex" in line]
    assert any(r"\.s3\.amazonaws\.com$" in line for line in regexes), regexes
    assert any(r"\.s3\.us\-east\-1\.amazonaws\.com$" in line for line in regexes), regexes


def test_plan_names_the_bucket_exactly_when_the_config_gives_the_account(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """seed002 names account 111122223333 in an ARN: the plan lists the bucket's two exact names instead."""
    import hashlib

    bucket = (
        f"parallelcluster-{hashlib.sha256(b'111122223333us-gov-west-1').hexdigest()[:16]}-v1-do-not-delete"
    )
    data = plan_json(capsys, "seed002-isolated.yaml")
    patterns = {e["pattern"]: e for e in data["entries"]}
    for host in (f"{bucket}.s3.us-gov-west-1.amazonaws.com", f"{bucket}.s3.amazonaws.com"):
        assert patterns[host]["match"] == "exact" and not patterns[host]["broad"]
    assert not [p for p in patterns if p.startswith("*.s3")]


BLOGS = ("https://bioteam.net/", "https://bad.dev/")
ONE_BLOG_ONLY = {
    # the audit's "seed only" rows (section 3): nothing but the blog's proxy log says so
    "parallelcluster": {
        "observed-build-ubuntu-esm",
        "observed-build-ubuntu-intel-telemetry",
        "observed-build-alinux2023-rhui",
        "runtime-ubuntu-snap-store",
        "runtime-alinux2023-repos",
        "runtime-rhel9-rhui",
        "runtime-rhel9-epel",
        "runtime-rhel9-cloudfront",
        "build-toe-bucket",
    },
    "repositories": {"ubuntu-esm"},
}


def test_entries_resting_on_one_blogs_log_say_so_and_the_others_name_their_corroboration(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every observed entry sourced from a blog says it rests on that log alone, or names what corroborates it."""
    for stack in ("parallelcluster", "repositories"):
        data = show_json(capsys, stack, "--feature", "all")
        blog = [e for e in data["entries"] if e["confidence"] == "observed" and e["source"].startswith(BLOGS)]
        assert blog, stack
        for entry in blog:
            notes = entry["notes"]
            assert "one blog's" in notes or "Corroborated by" in notes, (stack, entry["id"])
            if entry["id"] in ONE_BLOG_ONLY[stack]:
                assert "Rests on one blog's proxy log" in notes and "only" in notes, entry["id"]
        assert ONE_BLOG_ONLY[stack] <= {e["id"] for e in blog}
    crates = next(e for e in show_json(capsys, "repositories")["entries"] if e["id"] == "crates-io")
    assert "static.crates.io" in crates["notes"] and "rests on one blog's proxy log" in crates["notes"]


def test_the_amazon_linux_2023_rhui_host_is_marked_unexplained(capsys: pytest.CaptureFixture[str]) -> None:
    """AL2023 builds have no code path to Red Hat's RHUI: the entry says unexplained, in purpose and notes."""
    data = show_json(capsys, "parallelcluster@3.14.0", "--os", "alinux2023", "--phase", "image-build")
    entry = next(e for e in data["entries"] if e["id"] == "observed-build-alinux2023-rhui")
    assert entry["hosts"] == ["rhui.{region}.aws.ce.redhat.com"]
    assert entry["purpose"].endswith("(unexplained)") and entry["notes"].startswith("Unexplained:")
    assert entry["confidence"] == "observed"
    for stack in ("parallelcluster", "repositories", "cyclecloud"):
        for line in show_json(capsys, stack, "--feature", "all")["entries"]:
            marked = (line["notes"].startswith("Unexplained:"), line["purpose"].endswith("(unexplained)"))
            assert marked in ((True, True), (False, False)), (stack, line["id"])
