"""The issue's acceptance checks on the seed documents' own data."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from egressmap.cli import main

SEED001_LOG = Path(__file__).parent / "data" / "seeds" / "seed001-cloudwatch.log"
AUTHOR_LIST = Path(__file__).parent / "data" / "seeds" / "seed001-author-list.txt"

# Doc links the seed's author dropped by hand although they are in the 70 URLs (he excluded "ALL AWS
# destinations", which took docs.aws.amazon.com with it; docs.chef.io is a deprecation-warning link).
EXTRA_DOC_HOSTS = {"docs.aws.amazon.com:443", "docs.chef.io:443"}
DOC_ONLY = {
    "supervisord.org:80",
    "wiki.debian.org:80",
    "bugs.launchpad.net:443",
    "cloudinit.readthedocs.io:443",
    "git.launchpad.net:443",
    "help.ubuntu.com:443",
    "www.chef.io:443",
    "www.ubuntu.com:443",
    "docs.aws.amazon.com:443",
    "docs.chef.io:443",
}
AWS_HOSTS = {
    "efa-installer.amazonaws.com": ("efa-installer", "none"),
    "fsx-lustre-client-repo-public-keys.s3.amazonaws.com": ("s3", "gateway"),
    "fsx-lustre-client-repo.s3.amazonaws.com": ("s3", "gateway"),
    "s3.amazonaws.com": ("s3", "gateway"),
    "us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com": ("s3", "gateway"),
}


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


def _list_lines(text: str) -> tuple[list[str], set[str]]:
    lines = text.splitlines()
    return [line for line in lines if line.startswith("#")], {
        line for line in lines if not line.startswith("#")
    }


def _author_hosts_in_input() -> set[str]:
    text = SEED001_LOG.read_text()
    return {line for line in AUTHOR_LIST.read_text().split() if f"//{line.rsplit(':', 1)[0]}" in text}


def test_seed001_list_with_documentation_gives_the_authors_list(capsys: pytest.CaptureFixture[str]) -> None:
    """With --include-documentation the list is the author's HTTP/HTTPS list (hosts present in the input)."""
    out = _run(capsys, "build", str(SEED001_LOG), "--to", "list", "--include-documentation")
    headers, got = _list_lines(out)
    assert headers == ["# HTTP Destinations", "# HTTPS Destinations"]
    expected = _author_hosts_in_input()
    assert len(expected) == 19  # bugs.centos.org is in the author's list but not in the 70 URLs
    assert got == expected | EXTRA_DOC_HOSTS
    http_part = out.split("# HTTPS Destinations")[0]
    assert {x for x in expected if x.endswith(":80")} == _list_lines(http_part)[1]


def test_seed001_list_without_documentation_drops_doc_only_hosts(capsys: pytest.CaptureFixture[str]) -> None:
    """Without it, the documentation-only hosts are left out and the downloads stay."""
    _, got = _list_lines(_run(capsys, "build", str(SEED001_LOG), "--to", "list"))
    assert got == (_author_hosts_in_input() | EXTRA_DOC_HOSTS) - DOC_ONLY
    assert {"github.com:443", "security.ubuntu.com:80", "mirrors.fedoraproject.org:443"} <= got


def test_seed001_aws_hosts_are_cloud_with_service_and_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    """Every AWS host appears under --scope cloud with service and VPC endpoint type, none under internet."""
    cloud = json.loads(_run(capsys, "build", str(SEED001_LOG), "--to", "json", "--scope", "cloud"))["entries"]
    assert {e["pattern"]: (e["service"], e["private_endpoint"]) for e in cloud} == AWS_HOSTS
    internet = _run(capsys, "build", str(SEED001_LOG), "--to", "list", "--include-documentation")
    assert not any("amazonaws.com" in line for line in internet.splitlines())
    cloud_list = _list_lines(_run(capsys, "build", str(SEED001_LOG), "--to", "list", "--scope", "cloud"))[1]
    assert cloud_list == {f"{h}:443" for h in AWS_HOSTS}


SEED000_INTERNET = [
    "api.snapcraft.io",
    "dashboard.snapcraft.io",
    "cloudfront.cdn.snapcraftcontent.com",
    "irc-apigee-service.emaasmw.intel.com",
    "analytics.softwareimprovement.intel.com",
    "security.ubuntu.com",
    "esm.ubuntu.com",
    "pypi.org",
    "files.pythonhosted.org",
    "static.crates.io",
    "index.crates.io",
    "rhui.us-east-1.aws.ce.redhat.com",
    "mirrors.fedoraproject.org",
    "d1uj6qtbmh3dt5.cloudfront.net",
    "d2lzkl7pfhq30w.cloudfront.net",
]
SEED000_AWS = {
    "ec2imagebuilder-toe-us-east-1-prod.s3.us-east-1.amazonaws.com": ("s3", "gateway"),
    "fsx-lustre-client-repo.s3.amazonaws.com": ("s3", "gateway"),
    "parallelcluster-xxxx-v1-do-not-delete.s3.amazonaws.com": ("s3", "gateway"),
    "us-east-1-aws-parallelcluster.s3.us-east-1.amazonaws.com": ("s3", "gateway"),
    "al2023-repos-us-east-1-de612dc2.s3.dualstack.us-east-1.amazonaws.com": ("s3", "gateway"),
    "cloudformation-waitcondition-us-east-1.s3.amazonaws.com": ("s3", "gateway"),
    "cloudformation.us-east-1.amazonaws.com": ("cloudformation", "interface"),
    "dynamodb.us-east-1.amazonaws.com": ("dynamodb", "gateway"),
    "ec2.us-east-1.amazonaws.com": ("ec2", "interface"),
    "route53.amazonaws.com": ("route53", "none"),
}


def test_seed000_proxy_hosts_split_like_the_seed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Seed 000's proxy-observed hosts, as CONNECTs in a squid log, split into internet and AWS as the seed does."""
    log = tmp_path / "access.log"
    log.write_text(
        "".join(
            f"1732186800.{i:03d}    10 172.31.1.9 TCP_TUNNEL/200 5000 CONNECT {h}:443 - HIER_DIRECT/192.0.2.1 -\n"
            for i, h in enumerate([*SEED000_INTERNET, *SEED000_AWS])
        )
    )
    entries = json.loads(_run(capsys, "build", str(log), "--to", "json"))["entries"]
    by_host = {e["pattern"]: e for e in entries}
    assert {h for h, e in by_host.items() if e["scope"] == "internet"} == set(SEED000_INTERNET)
    assert {
        h: (e["service"], e["private_endpoint"]) for h, e in by_host.items() if e["scope"] == "cloud"
    } == SEED000_AWS
    assert all(by_host[h]["tier"] == "observed" and by_host[h]["provider"] == "aws" for h in SEED000_AWS)
    for cdn in ("d1uj6qtbmh3dt5.cloudfront.net", "d2lzkl7pfhq30w.cloudfront.net"):
        assert (by_host[cdn]["provider"], by_host[cdn]["service"], by_host[cdn]["private_endpoint"]) == (
            "aws",
            "cloudfront",
            "none",
        )


# --- issue 13: seed 001's final submitted list, wildcards included, exports with every line -----------------

SUBMITTED = Path(__file__).parent / "data" / "seeds" / "seed001-submitted-list.txt"
"""The 28 lines under "The list I will submit to the Firewall team will be:" in seed 001 (two section headers,
4 HTTP and 22 HTTPS destinations, three of them ``*.`` wildcards)."""
WILDCARDS = {"archive.ubuntu.com": 80, "cloudfront.net": 443, "download.nvidia.com": 443}


def _submitted() -> tuple[dict[str, int], list[str]]:
    """The list's exact hosts with their port, and all its lines."""
    lines = SUBMITTED.read_text().splitlines()
    exact = {}
    for line in lines:
        if not line.startswith(("#", "*.")):
            host, port = line.rsplit(":", 1)
            exact[host] = int(port)
    return exact, lines


def test_seed001_submitted_list_has_its_28_lines() -> None:
    """The data file is the seed's list: 28 lines, 26 destinations, 3 of them wildcards."""
    exact, lines = _submitted()
    assert len(lines) == 28 and len(exact) == 23
    assert sum(1 for line in lines if line.startswith("*.")) == 3


def test_seed001_submitted_list_round_trips_through_list(capsys: pytest.CaptureFixture[str]) -> None:
    """The list export gives back every one of the 28 lines, wildcards and ports as written."""
    out = _run(capsys, "build", str(SUBMITTED), "--to", "list")
    assert sorted(out.splitlines()) == sorted(_submitted()[1])
    assert "*.archive.ubuntu.com:80" in out.split("# HTTPS Destinations")[0]


def test_seed001_submitted_list_policy_has_each_match_kind(capsys: pytest.CaptureFixture[str]) -> None:
    """Every line is an entry; the three wildcards are subdomains entries on their ports; CloudFront is broad."""
    entries = json.loads(_run(capsys, "build", str(SUBMITTED), "--to", "json"))["entries"]
    exact, _ = _submitted()
    assert {e["pattern"]: (e["match"], e["ports"]) for e in entries} == {
        **{h: ("exact", [p]) for h, p in exact.items()},
        **{f"*.{s}": ("subdomains", [p]) for s, p in WILDCARDS.items()},
    }
    broad = {e["pattern"] for e in entries if e["broad"]}
    assert broad == {"*.cloudfront.net"}
    (cloudfront,) = [e for e in entries if e["pattern"] == "*.cloudfront.net"]
    assert "shared hosting" in cloudfront["warnings"][0] and cloudfront["service"] == "cloudfront"


def test_seed001_submitted_list_to_squid(capsys: pytest.CaptureFixture[str]) -> None:
    """Squid: exact names in dstdomain, each wildcard as a subdomains-only dstdom_regex, on its port's acl."""
    out = _run(capsys, "build", str(SUBMITTED), "--to", "squid")
    names: dict[int, set[str]] = {80: set(), 443: set()}
    regexes: dict[int, set[str]] = {80: set(), 443: set()}
    for line in out.splitlines():
        words = line.split()
        if line.startswith("acl egressmap_dst_"):
            names[int(words[1].rsplit("_", 1)[1])].update(words[4:])
        elif line.startswith("acl egressmap_re_"):
            regexes[int(words[1].rsplit("_", 1)[1])].update(words[5:])
    exact, _ = _submitted()
    assert names == {p: {h for h, q in exact.items() if q == p} for p in (80, 443)}
    assert regexes == {
        p: {"^([a-z0-9_-]+\\." + ")+" + s.replace(".", "\\.") + "$" for s, q in WILDCARDS.items() if q == p}
        for p in (80, 443)
    }


def test_seed001_submitted_list_to_pan_edl_url(capsys: pytest.CaptureFixture[str]) -> None:
    """PAN-OS URL EDL: ``x.com/`` for a name, ``*.x.com/`` for names below it."""
    out = _run(capsys, "build", str(SUBMITTED), "--to", "pan-edl-url")
    exact, _ = _submitted()
    assert set(out.splitlines()) == {f"{h}/" for h in exact} | {f"*.{s}/" for s in WILDCARDS}


def test_seed001_submitted_list_to_dns_firewall(capsys: pytest.CaptureFixture[str]) -> None:
    """Route 53 DNS Firewall domain list: ``x.com`` for a name, ``*.x.com`` for names below it."""
    out = _run(capsys, "build", str(SUBMITTED), "--to", "dns-firewall")
    exact, _ = _submitted()
    assert set(out.splitlines()) == set(exact) | {f"*.{s}" for s in WILDCARDS}


def test_seed001_submitted_list_to_aws_network_firewall(capsys: pytest.CaptureFixture[str]) -> None:
    """Network Firewall: Suricata rules by default (exact SNI/Host, ``endswith .x.com`` for subdomains, the
    line's port kept); as a domain list each wildcard is ``.x.com``."""
    out = _run(capsys, "build", str(SUBMITTED), "--to", "aws-network-firewall")
    seen = set()
    for proto, port, content, anchored in re.findall(
        r"pass (tls|http) \$HOME_NET any -> \$EXTERNAL_NET (\d+) \((?:ssl_state:client_hello; )?"
        r'(?:tls\.sni|http\.host); content:"([^"]+)"; (startswith; )?',
        out,
    ):
        assert proto == ("http" if port == "80" else "tls")
        seen.add((content if anchored else f"*{content}", int(port)))
    exact, _ = _submitted()
    assert seen == set(exact.items()) | {(f"*.{s}", p) for s, p in WILDCARDS.items()}
    listed = _run(
        capsys, "build", str(SUBMITTED), "--to", "aws-network-firewall", "--param", "rules=domain-list"
    )
    targets = {line.strip()[2:] for line in listed.splitlines() if line.startswith("            - ")}
    assert set(exact) | {f".{s}" for s in WILDCARDS} <= targets


def test_seed001_submitted_list_survives_the_policy_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Build to a policy file, then export it: the same 28 lines (wildcards have no hosts, only a pattern)."""
    policy = tmp_path / "policy.yaml"
    _run(capsys, "build", str(SUBMITTED), "-o", str(policy))
    assert "pattern: '*.cloudfront.net'\n  match: subdomains\n  hosts: []" in policy.read_text()
    assert _run(capsys, "export", str(policy), "--to", "list") == _run(
        capsys, "build", str(SUBMITTED), "--to", "list"
    )
