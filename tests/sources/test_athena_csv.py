"""The CSV result of egressmap's Athena query: rows as counted observations, the policy it builds, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.model import Observation, Skipped, is_dns_reason
from egressmap.sources import build_sources, choose
from egressmap.sources.athena_csv import CSV_COLUMNS, NO_HEADER, AthenaCsv
from egressmap.sources.interface import Item

OUTCOME_COUNTS = ("denied", "failed", "nxdomain")
"""The policy's outcome counts (``nxdomain`` is left out when 0; ``allowed`` when nothing was denied or failed)."""
HEADER = ",".join(f'"{c}"' for c in CSV_COLUMNS)
ROW = '"vpc-flow","151.101.0.223","443","connect","allowed","40","2026-11-02T08:00:00.000Z","2026-11-02T09:00:00.000Z","10.20.1.15"'


def read(lines: list[str], origin: str = "result.csv") -> list[Item]:
    """Every item the reader gives for these lines."""
    return list(AthenaCsv().read(lines, origin))


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_every_row_is_an_observed_observation_with_its_count(data_dir: Path) -> None:
    """Hosts, ports, kinds, outcomes and counts as the rows give them; DNS rows get port 443."""
    items = read((data_dir / "sources/athena/result.csv").read_text().splitlines())
    assert all(isinstance(i, Observation) for i in items)
    got = {(o.host, o.port, o.kind, o.outcome, o.count) for o in items if isinstance(o, Observation)}
    assert got == {
        ("files.pythonhosted.org", 443, "dns", "unknown", 120),
        ("nope.example.org", 443, "dns", "nxdomain", 3),
        ("tracker.example.net", 443, "dns", "denied", 7),
        ("pypi.org", 443, "dns", "unknown", 45),
        ("151.101.0.223", 443, "connect", "allowed", 40),
        ("198.51.100.25", 8443, "connect", "denied", 6),
        ("github.com", 443, "connect", "denied", 2),
        ("pypi.org", 443, "connect", "allowed", 9),
    }
    assert {o.tier for o in items if isinstance(o, Observation)} == {"observed"}


def test_reasons_name_athena_and_the_log_type(data_dir: Path) -> None:
    """DNS rows read as DNS evidence; flow rows are unattributed IPs; firewall rows name the firewall."""
    items = read((data_dir / "sources/athena/result.csv").read_text().splitlines())
    reasons = {o.host + "/" + o.kind: o.reason for o in items if isinstance(o, Observation)}
    assert reasons["files.pythonhosted.org/dns"] == (
        "DNS query seen in Route 53 Resolver query logs (an Athena aggregate; DNS only: no connection seen)"
    )
    assert reasons["nope.example.org/dns"].endswith("; answered NXDOMAIN")
    assert reasons["tracker.example.net/dns"].endswith("; blocked by DNS Firewall")
    assert is_dns_reason("observed: " + reasons["pypi.org/dns"])
    assert (
        reasons["151.101.0.223/connect"]
        == "outbound flow in VPC flow logs (an Athena aggregate; unattributed IP)"
    )
    assert "REJECT" in reasons["198.51.100.25/connect"]
    assert (
        reasons["github.com/connect"]
        == "name seen in AWS Network Firewall alert logs (an Athena aggregate; blocked)"
    )


def test_times_clients_and_source_lines() -> None:
    """First and last seen become the observation's span; clients split on spaces; the source is file:line."""
    obs = read([HEADER, ROW])[0]
    assert isinstance(obs, Observation)
    assert (obs.time, obs.last_time) == (1793606400.0, 1793610000.0)
    assert (obs.clients, obs.source) == (("10.20.1.15",), "result.csv:2")


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        ("2026-11-02T08:00:00.000Z", 1793606400.0),
        ("2026-11-02T08:00:00.000", 1793606400.0),  # no zone: UTC
        ("2026-11-02 08:00:00.000 UTC", 1793606400.0),  # Athena's text for a timestamp with time zone
        ("1793606400", 1793606400.0),
        ("", None),
    ],
)
def test_time_forms(first: str, expected: float | None) -> None:
    """ISO 8601 with or without a zone, Athena's ``UTC`` text, epoch seconds, or nothing."""
    row = f'"vpc-flow","151.101.0.223","443","connect","allowed","1","{first}","{first}",""'
    obs = read([HEADER, row])[0]
    assert isinstance(obs, Observation) and obs.time == expected


@pytest.mark.parametrize(
    ("row", "why"),
    [
        ('"vpc-flow","151.101.0.223","443"', "3 fields, the header names 9"),
        ('"cloudtrail","a.example","443","connect","allowed","1","","",""', "log_type 'cloudtrail'"),
        ('"vpc-flow","151.101.0.223","443","dns","allowed","1","","",""', "a vpc-flow row has kind connect"),
        ('"route53-resolver","a.example","","connect","unknown","1","","",""', "has kind dns"),
        ('"vpc-flow","151.101.0.223","443","connect","maybe","1","","",""', "outcome 'maybe'"),
        ('"vpc-flow","151.101.0.223","443","connect","allowed","0","","",""', "count '0'"),
        ('"vpc-flow","151.101.0.223","","connect","allowed","1","","",""', "empty port"),
        ('"vpc-flow","151.101.0.223","70000","connect","allowed","1","","",""', "port '70000'"),
        (
            '"vpc-flow","151.101.0.223","443","connect","allowed","1","yesterday","",""',
            "first_seen 'yesterday'",
        ),
        ('"vpc-flow","pypi.org","443","connect","allowed","1","","",""', "not an IP address"),
        ('"network-firewall","bad host!","443","connect","denied","1","","",""', "bad host!"),
    ],
)
def test_a_bad_row_is_skipped_with_its_line_and_why(row: str, why: str) -> None:
    """Each problem is one skipped line naming what is wrong; the good row after it is kept."""
    items = read([HEADER, row, ROW])
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [(s.lineno, s.kind) for s in skipped] == [(2, "malformed")]
    assert why in skipped[0].reason
    assert [o.source for o in items if isinstance(o, Observation)] == ["result.csv:3"]


def test_rows_before_a_header_are_counted_once_and_a_repeated_header_is_skipped() -> None:
    """No header yet: the rows are refused together (what to do named); a header mid-input starts rows again."""
    items = read([ROW, ROW, "", HEADER, ROW, HEADER, ROW])
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert [(s.lineno, s.count, s.reason) for s in skipped] == [(1, 2, NO_HEADER)]
    assert [o.source for o in items if isinstance(o, Observation)] == ["result.csv:5", "result.csv:7"]


def test_sniffed_by_its_exact_header_quoted_or_not() -> None:
    """Athena's quoted header, or the same names unquoted, pick this source; other CSV does not."""
    sources = build_sources()
    assert choose([HEADER, ROW], sources).name == "athena-csv"
    assert choose([",".join(CSV_COLUMNS), ROW.replace('"', "")], sources).name == "athena-csv"
    assert AthenaCsv().sniff(['"host","port","count"', '"pypi.org","443","3"']) < 0
    assert AthenaCsv().sniff([HEADER.replace('"clients"', '"clients","extra"')]) < 0


def test_build_json_gives_the_expected_policy(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    """A result of the documented shape builds entries with the rows' hosts, ports, counts and outcomes."""
    path = str(data_dir / "sources/athena/result.csv")
    code, out, err = run(capsys, "build", path, "--to", "json")
    assert code == 0, err
    entries = {e["pattern"]: e for e in json.loads(out)["entries"]}
    got = {
        p: (e["hosts"], e["ports"], e["tier"], e["count"], *(e.get(k, 0) for k in OUTCOME_COUNTS))
        for p, e in entries.items()
    }
    assert got == {
        "files.pythonhosted.org": (["files.pythonhosted.org"], [443], "observed", 120, 0, 0, 0),
        "nope.example.org": (["nope.example.org"], [443], "observed", 3, 0, 3, 3),
        "tracker.example.net": (["tracker.example.net"], [443], "observed", 7, 7, 0, 0),
        "pypi.org": (["pypi.org"], [443], "observed", 54, 0, 0, 0),
        "151.101.0.223": (["151.101.0.223"], [443], "observed", 40, 0, 0, 0),
        "198.51.100.25": (["198.51.100.25"], [8443], "observed", 6, 6, 0, 0),
        "github.com": (["github.com"], [443], "observed", 2, 2, 0, 0),
    }
    assert any(
        "Route 53 Resolver query logs (an Athena aggregate" in r for r in entries["pypi.org"]["reasons"]
    )
    assert any("AWS Network Firewall alert logs" in r for r in entries["pypi.org"]["reasons"])
    assert entries["pypi.org"]["sources"][0] == f"{path}:5"


def test_a_bad_row_is_counted_and_the_rest_kept(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    """build names the bad line on stderr and builds the other rows."""
    path = str(data_dir / "sources/athena/bad-row.csv")
    code, out, err = run(capsys, "build", path, "--to", "json")
    assert code == 0
    policy = json.loads(out)
    assert sorted(e["pattern"] for e in policy["entries"]) == ["151.101.0.223", "github.com"]
    assert policy["skipped"]["malformed"] == 1
    assert "1 bad line (line 3): bad Athena result row: port 'https' is not a number from 1 to 65535" in err


def test_scan_json_keeps_the_allowed_counts(capsys: pytest.CaptureFixture[str], data_dir: Path) -> None:
    """Allowed rows count as allowed per destination; clients and the first and last times come through."""
    code, out, _ = run(capsys, "scan", "--json", str(data_dir / "sources/athena/result.csv"))
    assert code == 0
    rows = {(d["host"], d["port"]): d for d in json.loads(out)["destinations"]}
    assert (rows["pypi.org", 443]["count"], rows["pypi.org", 443]["allowed"]) == (54, 9)
    flow = rows["151.101.0.223", 443]
    assert (flow["allowed"], flow["clients"]) == (40, ["10.20.1.15", "10.20.1.16"])
    assert (flow["first_seen"], flow["last_seen"]) == (1793606400.0, 1793610000.0)
