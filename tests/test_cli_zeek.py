"""``egressmap scan`` on Zeek logs: sniffed from a file, a ``.gz`` and stdin; bad lines named with numbers."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path
from typing import Any

import pytest

from egressmap.cli import main

DATA = Path(__file__).parent / "data" / "sources" / "zeek"


def _scan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", "--json", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_scan_reads_zeek_tsv_logs_and_a_gz(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """dns.log, ssl.log and a gzipped http.log with a cut row: format zeek, destinations, the bad line by number."""
    lines = (DATA / "http.log").read_text().splitlines(keepends=True)
    lines.insert(9, "1793696050.9\tCb0\t10.0.12.34\n")
    gz = tmp_path / "http.log.gz"
    gz.write_bytes(gzip.compress("".join(lines).encode()))
    code, doc, err = _scan(capsys, str(DATA / "dns.log"), str(DATA / "ssl.log"), str(gz))
    assert code == 0
    inputs = doc["inputs"]
    assert isinstance(inputs, list) and [i["format"] for i in inputs] == ["zeek", "zeek", "zeek"]
    assert inputs[2]["problems"] == [
        {
            "kind": "malformed",
            "reason": "3 columns where #fields names 30 (a line cut short or joined?)",
            "count": 1,
            "lines": [10],
        }
    ]
    assert "line 10" in err
    rows = doc["destinations"]
    assert isinstance(rows, list)
    found = {(r["host"], r["port"]): r for r in rows}
    ssm = found["ssm.us-east-1.amazonaws.com", 443]
    assert ssm["count"] == 2 and ssm["clients"] == ["10.0.12.34"] and ssm["tier"] == "observed"
    assert any("DNS" in reason for reason in ssm["reasons"]) and any("SNI" in r for r in ssm["reasons"])
    assert ("deb.debian.org", 80) in found and ("api.github.com", 443) in found
    assert found["no-such-mirror.example.org", 443]["failed"] == 1


def test_scan_reads_zeek_json_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Zeek JSON lines on stdin are sniffed as zeek; a record cut mid-way is a bad line, the rest kept."""
    conn = {"ts": 1793696071.0, "id.orig_h": "10.0.12.40", "id.resp_h": "52.46.150.1", "id.resp_p": 443,
            "proto": "tcp", "conn_state": "SF", "history": "ShADadFf"}  # fmt: skip
    dns = {"ts": 1793696070.4, "id.orig_h": "10.0.12.40", "query": "ssmmessages.us-east-1.amazonaws.com",
           "qtype_name": "A", "rcode_name": "NOERROR", "answers": ["52.46.150.1"]}  # fmt: skip
    text = json.dumps(dns) + "\n" + json.dumps(conn)[:30] + "\n" + json.dumps(conn) + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, doc, _ = _scan(capsys, "-")
    inputs = doc["inputs"]
    assert isinstance(inputs, list) and inputs[0]["format"] == "zeek"
    assert inputs[0]["problems"][0]["lines"] == [2]
    rows = {r["host"]: r for r in doc["destinations"]}
    # the conn.log connection to 52.46.150.1 is named by the dns.log answer to the same client just before it
    assert set(rows) == {"ssmmessages.us-east-1.amazonaws.com"} and code == 0
    reasons = rows["ssmmessages.us-east-1.amazonaws.com"]["reasons"]
    assert any("named by a DNS answer to the same client" in r for r in reasons)


def test_a_zeek_log_of_another_kind_is_named_and_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """files.log is not read: exit 3, named as a Zeek files log, with the logs egressmap does read."""
    log = tmp_path / "files.log"
    log.write_text(
        "#separator \\x09\n#path\tfiles\n#fields\tts\tfuid\tmime_type\n#types\ttime\tstring\tstring\n"
        "1793696041.2\tFa1\ttext/plain\n#close\t2026-11-03-10-00-00\n"
    )
    code = main(["scan", "-q", str(log)])
    err = capsys.readouterr().err
    assert code == 3 and "Zeek's #fields, a files log" in err and "dns, ssl, http and conn logs" in err
