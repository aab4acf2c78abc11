"""Bad input keeps the good: NUL bytes, binary files, and inputs that give nothing are never silent."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.cli import main
from egressmap.ingest import IngestReport, observe
from egressmap.sources import parallel

HOSTS = (
    "pypi.org",
    "files.pythonhosted.org",
    "github.com",
    "objects.githubusercontent.com",
    "deb.nodesource.com",
)


def _native(i: int) -> str:
    host = HOSTS[i % len(HOSTS)]
    return (
        f"{1795282820 + i}.{i % 1000:03d} {40 + i % 300:6d} 10.0.1.{17 + i % 4} TCP_TUNNEL/200 {6120 + i} "
        f"CONNECT {host}:443 - HIER_DIRECT/151.101.0.{i % 250} -\n"
    )


def _resolver(name: str, second: int) -> str:
    return json.dumps(
        {
            "version": "1.100000",
            "account_id": "111122223333",
            "region": "us-east-1",
            "vpc_id": "vpc-0a1b2c3d4e5f60718",
            "query_timestamp": f"2026-11-03T09:14:{second:02d}Z",
            "query_name": f"{name}.",
            "query_type": "A",
            "query_class": "IN",
            "rcode": "NOERROR",
            "answers": [{"Rdata": "140.82.112.3", "Type": "A", "Class": "IN"}],
            "srcaddr": "10.0.12.34",
            "srcport": "41822",
            "transport": "UDP",
            "srcids": {"instance": "i-0f1e2d3c4b5a69788"},
        },
        separators=(",", ":"),
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _hosts(out: str) -> set[str]:
    return {d["host"] for d in json.loads(out)["destinations"]}


def test_nul_bytes_in_the_first_kib_of_a_native_squid_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every line without a NUL gives its destination; NUL lines are bad lines with their numbers."""
    log = tmp_path / "access.log"
    log.write_bytes(
        _native(0).encode()
        + b"\x00" * 512
        + b"\n"
        + "".join(_native(i) for i in range(1, 4)).encode()
        + b"1795282830.1 \x00\x00 10.0.1.17 TCP_TUNNEL/200 1 CONNECT deb.nodesource.com:443 - -\n"
        + "".join(_native(i) for i in range(5, 40)).encode()
    )
    code, out, err = run(capsys, "scan", str(log), "--json")
    assert code == 0 and _hosts(out) == set(HOSTS)
    assert "looks like a binary file" not in err
    assert "2 bad lines (line 2, 6): NUL byte in line" in err
    (inp,) = json.loads(out)["inputs"]
    assert inp["format"] == "squid" and inp["observations"] == 39


@pytest.mark.parametrize("packed", [False, True])
def test_nul_lines_in_both_parts_of_a_log_read_by_two_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, packed: bool
) -> None:
    """The native two-process path skips and numbers NUL lines exactly as one process does, plain or .gz."""
    lines = [_native(i).encode() for i in range(3000)]
    bad = [3, 10, 1500, 2999]
    for n in bad:
        lines[n - 1] = lines[n - 1][:30] + b"\x00" + lines[n - 1][30:]
    log = tmp_path / "access.log"
    log.write_bytes(b"".join(lines))
    if packed:
        log = tmp_path / "access.log.gz"
        log.write_bytes(gzip.compress(b"".join(lines)))
    results = []
    for two in (False, True):
        if two:
            monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
            monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
        report = IngestReport()
        count = sum(o.count for o in observe([str(log)], report))
        (inp,) = report.inputs
        results.append((count, dict(inp.problems), inp.lines))
    assert results[0] == results[1] == (2996, {("malformed", "NUL byte in line"): bad}, 3000)


def test_nul_bytes_in_a_text_log_keep_its_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A build log with NUL bytes near its start keeps every URL on the other lines."""
    log = tmp_path / "cloud-init-output.log"
    log.write_bytes(
        b"Cloud-init v. 24.1.3 running 'modules:config' at Tue, 03 Nov 2026 09:14:21 +0000. Up 12.4 seconds.\n"
        b"Get:1 http://security.ubuntu.com/ubuntu noble-security InRelease [126 kB]\n"
        + b"\x00"
        * 700
        + b"Get:2 http://us-east-1.ec2.archive.ubuntu.com/ubuntu noble-updates/main amd64 curl amd64 8.5.0 [227 kB]\n"
        b"Collecting requests\n  Downloading https://files.pythonhosted.org/packages/requests-2.32.3.whl (64 kB)\n"
    )
    code, out, err = run(capsys, "scan", str(log), "--json")
    assert code == 0
    assert _hosts(out) == {"security.ubuntu.com", "files.pythonhosted.org"}
    assert "1 bad line (line 3): NUL byte in line" in err


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    total=st.integers(min_value=5, max_value=120),
    spots=st.lists(st.tuples(st.floats(0, 1), st.integers(1, 600)), min_size=1, max_size=4),
    packed=st.booleans(),
)
def test_a_few_nuls_never_lose_the_file(
    total: int, spots: list[tuple[float, int]], packed: bool, tmp_path: Path
) -> None:
    """Wherever a few runs of NUL bytes land (plain or gzipped), every other line is used, the damaged ones
    are numbered."""
    data = bytearray("".join(_native(i) for i in range(total)).encode())
    for spot, run_length in sorted(spots, reverse=True):
        at = int(spot * len(data))
        data[at:at] = bytes(run_length)
    log = tmp_path / "access.log"
    log.write_bytes(gzip.compress(bytes(data)) if packed else bytes(data))
    damaged = [n for n, line in enumerate(bytes(data).split(b"\n"), 1) if b"\x00" in line]
    intact = sum(1 for line in bytes(data).split(b"\n") if line and b"\x00" not in line)
    report = IngestReport()
    count = sum(o.count for o in observe([str(log)], report))
    (inp,) = report.inputs
    assert inp.error is None and inp.format == "squid"
    assert count == intact
    assert inp.problems.get(("malformed", "NUL byte in line"), []) == damaged[:20]


def test_a_real_binary_file_is_still_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An ELF or a PNG is refused by name: exit 1 alone, exit 3 beside a good log."""
    elf = tmp_path / "squid"
    elf.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(range(256)) * 8)
    png = tmp_path / "screenshot.log"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + bytes(range(256)) * 8)
    good = tmp_path / "access.log"
    good.write_text(_native(0))
    code, _, err = run(capsys, "scan", str(elf))
    assert code == 1 and "looks like a binary file (an ELF executable or library)" in err
    code, out, err = run(capsys, "scan", str(png), str(good), "--json")
    assert code == 3 and "(a PNG image)" in err and _hosts(out) == {"pypi.org"}
    code, out, err = run(capsys, "build", "-q", str(png), str(good))
    assert code == 3 and err == f"egressmap: {png}: looks like a binary file (a PNG image); " + (
        "give a text log, a .gz of one, or a plain list\n"
    )


def test_route53_resolver_json_is_read_as_dns_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Route 53 Resolver query logs (once "not read", exit 3) are now read: each name an observed DNS entry."""
    log = tmp_path / "vpcdnsquerylogs.log"
    log.write_text("".join(_resolver(n, i) + "\n" for i, n in enumerate(HOSTS * 4)))
    code, out, err = run(capsys, "build", "-q", str(log), "--to", "list")
    assert code == 0 and err == ""
    assert out == "# HTTPS Destinations\n" + "".join(f"{h}:443\n" for h in sorted(HOSTS))
    code, out, err = run(capsys, "scan", str(log), "--json")
    report = json.loads(out)
    assert code == 0 and report["inputs"][0]["format"] == "route53-resolver"
    assert report["inputs"][0]["not_read"] is None and report["inputs"][0]["observations"] == 20
    pypi = next(d for d in report["destinations"] if d["host"] == "pypi.org")
    assert pypi["clients"] == ["10.0.12.34", "i-0f1e2d3c4b5a69788"] and pypi["count"] == 4
    assert pypi["reasons"] == [
        "observed: DNS query seen in a Route 53 Resolver query log (DNS only: no connection seen)"
    ]


def test_csv_with_a_header_is_named_and_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A CSV export (header and rows) gives nothing: named with its columns, exit 3, even beside a good log."""
    table = tmp_path / "hosts.csv"
    table.write_text("domain,port,hits\npypi.org,443,1204\ngithub.com,443,88\n")
    good = tmp_path / "access.log"
    good.write_text(_native(0))
    code, out, err = run(capsys, "build", "-q", str(table), str(good), "--to", "list")
    assert code == 3 and out == "# HTTPS Destinations\npypi.org:443\n"
    assert (
        f"{table}: no destination found" in err and "CSV with a header (columns: domain, port, hits)" in err
    )
    assert str(good) not in err


def test_an_input_with_nothing_in_it_is_named_even_with_q(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Empty, comments only, or text with no destination: named on stderr with -q; exit 0 (nothing unread)."""
    empty = tmp_path / "empty.log"
    empty.write_text("")
    notes = tmp_path / "notes.txt"
    notes.write_text("# allowlist for the build subnet\n\n# (nothing yet)\nReading package lists... Done\n")
    code, out, err = run(capsys, "build", "-q", str(empty), str(notes))
    assert code == 0 and "entries: []" in out
    assert f"{empty}: no destination found (read as text; the input is empty)" in err
    assert f"{notes}: no destination found (read as text; 4 lines: 1 blank, 2 comments, 0 malformed" in err
    assert "does not read" not in err


def test_every_input_unread_is_still_exit_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Structured data that is the only input is read without error: exit 3 (partial), not 1 (no input)."""
    log = tmp_path / "audit.log"  # (a Resolver log was the example here until egressmap read it)
    log.write_text('{"ts":1793697261,"user":"alice","action":"login","ok":true}\n')
    assert run(capsys, "scan", str(log))[0] == 3
    missing = tmp_path / "nope.log"
    assert run(capsys, "scan", str(missing))[0] == 1
