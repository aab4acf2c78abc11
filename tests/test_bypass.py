"""The bypass finding: a Squid log and a Resolver log of the same VPC and hour, and what went around the proxy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egressmap.bypass import UNPROXIED, advice
from egressmap.classify import classify
from egressmap.cli import main

from .sources.test_route53_resolver import record

T0 = 1793696400.0  # 2026-11-03T09:00:00Z
PROXY_HOST = "10.40.0.100"
"""The proxy's own address: the Resolver sees its lookups for what it proxies."""


def _iso(t: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def squid_line(t: float, client: str, target: str, method: str = "CONNECT") -> str:
    host = target.split(":")[0] if method == "CONNECT" else target.split("/")[2]
    return f"{t:.3f}    215 {client} TCP_TUNNEL/200 5120 {method} {target} - HIER_DIRECT/{host} -"


def lookup(t: float, client: str, name: str) -> str:
    return record(name + ".", query_timestamp=_iso(t), srcaddr=client, answers=[])


@pytest.fixture
def logs(tmp_path: Path) -> tuple[str, str]:
    squid = [
        squid_line(T0 + 60, "10.40.7.19", "github.com:443"),
        squid_line(T0 + 600, "10.40.7.20", "files.pythonhosted.org:443"),
        squid_line(T0 + 1800, "10.40.7.19", "pypi.org:443"),
        squid_line(T0 + 3500, "10.40.7.20", "http://deb.debian.org/debian/dists/bookworm/InRelease", "GET"),
    ]
    resolver = [
        lookup(T0 + 59, PROXY_HOST, "github.com"),  # the proxy resolving what it proxies: not bypass
        lookup(T0 + 599, PROXY_HOST, "files.pythonhosted.org"),
        lookup(T0 + 120, "10.40.7.19", "ssm.us-east-1.amazonaws.com"),  # the SSM agent, going direct
        lookup(T0 + 121, "10.40.7.19", "ssm.us-east-1.amazonaws.com"),
        lookup(T0 + 900, "10.40.7.20", "logs.us-east-1.amazonaws.com"),
        lookup(T0 + 905, "10.40.7.20", "my-bucket.s3.us-east-1.amazonaws.com"),
        lookup(T0 + 1000, "10.40.7.19", "pypi.org"),  # in the proxy log (a client resolving it anyway)
        lookup(T0 + 1200, "10.40.7.19", "ip-10-40-7-20.ec2.internal"),  # internal: never through a proxy
        lookup(T0 + 2000, "10.40.9.9", "download.example.com"),  # a host that never used the proxy
        lookup(T0 + 2100, PROXY_HOST, "security.debian.org"),  # the proxy host's own updates
        lookup(T0 + 86400, "10.40.7.19", "telemetry.example.net"),  # the next day: outside the proxy log
        record(
            "pypi.org.ec2.internal.example.",
            query_timestamp=_iso(T0 + 10),
            srcaddr="10.40.7.19",
            rcode="NXDOMAIN",
            answers=[],
        ),  # a search-domain miss: a name that does not exist
    ]
    (tmp_path / "access.log").write_text("\n".join(squid) + "\n")
    (tmp_path / "r53.log").write_text("\n".join(resolver) + "\n")
    return str(tmp_path / "access.log"), str(tmp_path / "r53.log")


def _bypass(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["scan", "--json", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert isinstance(doc["bypass"], dict)
    return doc["bypass"]


def test_names_only_in_the_resolver_log_from_proxy_clients(
    logs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    found = _bypass(capsys, *logs)
    around = {n["host"]: n for n in found["went_around_the_proxy"]}  # type: ignore[attr-defined]
    assert set(around) == {
        "ssm.us-east-1.amazonaws.com",
        "logs.us-east-1.amazonaws.com",
        "my-bucket.s3.us-east-1.amazonaws.com",
    }
    ssm = around["ssm.us-east-1.amazonaws.com"]
    assert ssm["clients"] == ["10.40.7.19"] and ssm["count"] == 2
    assert (ssm["first_seen"], ssm["last_seen"]) == ("2026-11-03T09:02:00Z", "2026-11-03T09:02:01Z")
    assert ssm["seen_as"] == ["DNS lookup"] and ssm["seen_in"] == ["route53-resolver"]
    assert "amazon-ssm-agent" in ssm["advice"]
    assert "CloudWatch agent" in around["logs.us-east-1.amazonaws.com"]["advice"]
    assert "gateway endpoint" in around["my-bucket.s3.us-east-1.amazonaws.com"]["advice"]
    apart = {n["host"]: n for n in found["from_hosts_that_never_used_the_proxy"]}  # type: ignore[attr-defined]
    assert set(apart) == {"download.example.com", "security.debian.org"}
    assert apart["download.example.com"]["clients"] == ["10.40.9.9"]
    assert apart["security.debian.org"]["clients"] == [PROXY_HOST]
    assert all(n["advice"] == UNPROXIED for n in apart.values())
    assert found["proxy_clients"] == 2
    assert found["proxy_log_span"] == ["2026-11-03T09:01:00Z", "2026-11-03T09:58:20Z"]


def test_the_order_of_the_inputs_does_not_matter(
    logs: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _bypass(capsys, *logs) == _bypass(capsys, *reversed(logs))


def test_no_finding_without_both_sides(logs: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    for one in logs:
        assert main(["scan", "--json", one]) == 0
        assert "bypass" not in json.loads(capsys.readouterr().out)


def test_scan_text_and_build(
    logs: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", *logs]) == 0
    out = capsys.readouterr().out
    head, _, rest = out.partition("went around the proxy (3 name(s)")
    assert rest and "ssm.us-east-1.amazonaws.com  DNS lookup x2 by 10.40.7.19" in rest
    assert "not through the proxy, from hosts that never used it (2 name(s)" in rest
    policy = tmp_path / "policy.yaml"
    assert main(["build", *logs, "-o", str(policy)]) == 0
    err = capsys.readouterr().err
    assert "egressmap: went around the proxy: ssm.us-east-1.amazonaws.com (DNS lookup x2" in err
    assert "not through the proxy, from hosts that never used it: download.example.com" in err
    assert main(["build", "--to", "json", *logs]) == 0
    entries = {e["pattern"]: e for e in json.loads(capsys.readouterr().out)["entries"]}
    assert any(
        w.startswith("went around the proxy:") for w in entries["ssm.us-east-1.amazonaws.com"]["warnings"]
    )
    assert not entries["github.com"]["warnings"]


def test_proxy_config_covers_what_the_finding_names(
    logs: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The advice points at proxy-config: its script sets the SSM and CloudWatch agents' proxy and no_proxy."""
    assert main(["build", "--to", "proxy-config", *logs]) == 0
    script = capsys.readouterr().out
    assert (
        "/etc/systemd/system/$unit.d/egressmap-proxy.conf" in script and "amazon-ssm-agent.service" in script
    )
    assert "amazon-cloudwatch-agent/etc/common-config.toml" in script
    no_proxy = next(line for line in script.splitlines() if line.startswith("NO_PROXY_LIST="))
    for name in ("ssm.us-east-1.amazonaws.com", "logs.us-east-1.amazonaws.com"):
        assert f",{name},.{name}" in no_proxy  # interface endpoints: reached without the proxy
    assert "my-bucket.s3.us-east-1.amazonaws.com" in no_proxy  # the S3 gateway endpoint


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("ec2messages.eu-west-1.amazonaws.com", "amazon-ssm-agent"),
        ("monitoring.eu-west-1.amazonaws.com", "CloudWatch agent"),
        ("dynamodb.eu-west-1.amazonaws.com", "gateway endpoint"),
        ("sts.eu-west-1.amazonaws.com", "create the sts interface endpoint"),
        ("download.nvidia.com", "does not use the proxy settings"),
    ],
)
def test_advice_by_service(host: str, words: str) -> None:
    assert words in advice(classify(host))
