"""``egressmap scan`` on packet captures: a file, a ``.gz`` and stdin, with the cut of a truncated one reported."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import dpkt
import pytest

from egressmap.cli import main

from .sources.pcap_build import Packet, client_hello, dns_answer, dns_query, pcap_bytes, tcp, udp

HOST, RESOLVER = "10.0.0.5", "10.0.0.2"
SYN, ACK = dpkt.tcp.TH_SYN, dpkt.tcp.TH_ACK


def _capture() -> list[Packet]:
    """amazon-ssm-agent going direct: a lookup, a ClientHello in two segments, QUIC, a failed lookup."""
    hello = client_hello("ssm.us-east-1.amazonaws.com")
    name = "ssmmessages.us-east-1.amazonaws.com"
    return [
        (1.0, udp(HOST, RESOLVER, 40000, 53, dns_query(name, 7))),
        (1.1, udp(RESOLVER, HOST, 53, 40000, dns_answer(name, 7, ["52.46.0.1"]))),
        (1.2, tcp(HOST, "52.46.0.9", 50000, 443, 100, SYN)),
        (1.3, tcp(HOST, "52.46.0.9", 50000, 443, 101, ACK, hello[:100])),
        (1.4, tcp(HOST, "52.46.0.9", 50000, 443, 201, ACK, hello[100:])),
        (1.5, udp(HOST, "52.46.0.1", 50001, 443, b"\xc3" + bytes(99))),
        (1.6, udp(RESOLVER, HOST, 53, 40002, dns_answer("nope.example.com", 8, [], rcode=3))),
    ]


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any], str]:
    try:
        code = main(["scan", *args, "--json"])
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, json.loads(out), err


@pytest.mark.parametrize("compress", [False, True])
def test_scan_a_capture_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], compress: bool) -> None:
    """scan names the SNI, the DNS names and the QUIC flow by its DNS answer; a cut end is reported."""
    data = pcap_bytes(_capture())[:-5]  # the last packet cut short
    path = tmp_path / ("direct.pcap.gz" if compress else "direct.pcap")
    path.write_bytes(gzip.compress(data) if compress else data)
    code, doc, err = _scan(capsys, str(path))
    assert code == 0
    rows = {(d["host"], d["port"]): d for d in doc["destinations"]}
    assert set(rows) == {("ssm.us-east-1.amazonaws.com", 443), ("ssmmessages.us-east-1.amazonaws.com", 443)}
    assert rows["ssm.us-east-1.amazonaws.com", 443]["reasons"] == [
        "observed: TLS ClientHello SNI in a packet capture"
    ]
    messages = rows["ssmmessages.us-east-1.amazonaws.com", 443]
    assert messages["clients"] == [HOST] and messages["tier"] == "observed"
    assert any("DNS" in r for r in messages["reasons"]) and any("QUIC" in r for r in messages["reasons"])
    (report,) = doc["inputs"]
    assert (report["format"], report["lines"], report["error"]) == ("pcap", 6, None)
    problems = {p["reason"]: p for p in report["problems"]}
    assert "name not visible: QUIC (UDP 443) encrypts its ClientHello" in problems
    cut = [p for p in problems.values() if p["reason"].startswith("capture ends early")]
    assert cut and cut[0]["lines"] == [7] and "capture ends early" in err


def test_scan_a_capture_on_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """'-' reads a capture piped in (tcpdump -w - | egressmap scan -), NXDOMAIN lookups kept in scan."""
    stdin = io.TextIOWrapper(io.BytesIO(pcap_bytes(_capture())))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, doc, _ = _scan(capsys, "-")
    assert code == 0
    hosts = {d["host"]: d for d in doc["destinations"]}
    assert hosts["nope.example.com"]["failed"] == 1 and hosts["nope.example.com"]["flag"] == "only NXDOMAIN"
    assert doc["inputs"][0]["format"] == "pcap"


def test_format_pcap_reads_a_capture_and_refuses_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--format pcap`` reads a capture; on a text input it says the input is not a capture."""
    capture, text = tmp_path / "c.pcap", tmp_path / "hosts.txt"
    capture.write_bytes(pcap_bytes(_capture()))
    text.write_text("pypi.org\n")
    code, doc, _ = _scan(capsys, str(capture), "--format", "pcap")
    assert code == 0 and doc["inputs"][0]["format"] == "pcap" and doc["destinations"]
    try:
        main(["scan", str(text), "--format", "pcap", "--json"])
    except SystemExit:
        pass
    out, _ = capsys.readouterr()
    (report,) = json.loads(out)["inputs"]
    assert any("not a pcap or pcapng capture" in p["reason"] for p in report["problems"])
