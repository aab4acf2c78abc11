"""scan and build over Route 53 Resolver and Network Firewall logs: gzip, stdin, bad lines, outcomes."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path

import pytest

from egressmap.cli import main
from tests.sources.test_network_firewall import alert, netflow
from tests.sources.test_route53_resolver import record


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_a_gzipped_resolver_log_with_a_cut_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A .gz Resolver log: names, NXDOMAIN kept as failed, BLOCK denied, the cut line reported with its number."""
    lines = [
        record(),
        record("pypi.org."),
        record("nope.example.org.", rcode="NXDOMAIN", answers=[]),
        record()[:60],
        record("pastebin.com.", firewall_rule_action="BLOCK", firewall_rule_group_id="rslvr-frg-1"),
    ]
    log = tmp_path / "vpcdnsquerylogs.log.gz"
    log.write_bytes(gzip.compress("".join(f"{line}\n" for line in lines).encode()))
    code, out, err = run(capsys, "scan", str(log), "--json")
    report = json.loads(out)
    assert code == 0, err
    (source,) = report["inputs"]
    assert source["format"] == "route53-resolver" and source["observations"] == 4
    assert any(p["lines"] == [4] and "JSON cut or damaged" in p["reason"] for p in source["problems"])
    found = {d["host"]: d for d in report["destinations"]}
    assert set(found) == {"files.pythonhosted.org", "pypi.org", "nope.example.org", "pastebin.com"}
    assert found["nope.example.org"]["failed"] == 1 and found["pastebin.com"]["denied"] == 1
    assert found["pypi.org"]["tier"] == "observed" and found["pypi.org"]["port"] == 443


def test_build_from_network_firewall_on_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'-' reads a Network Firewall log: the SNI name and the unnamed flow's address become entries."""
    text = f"{alert(tls={'sni': 'registry.npmjs.org'})}\n{netflow()}\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, err = run(capsys, "build", "-q", "-", "--to", "list")
    assert code == 0, err
    assert "registry.npmjs.org:443" in out and "52.94.133.131:443" in out
