"""Names only ever answered NXDOMAIN: shown by scan and kept in the policy, left out of rule exports by default."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.exporters import EXPORTERS
from egressmap.model import Classification, Entry, is_dns_reason, kept_reasons, nxdomain_only
from egressmap.policy_file import load_policy
from egressmap.review import NXDOMAIN_HEADING, ONLY_FAILED, ONLY_NXDOMAIN, entry_flag, nxdomain_note
from tests.sources.test_network_firewall import tls_log
from tests.sources.test_route53_resolver import record

#: A Resolver log: a name only ever answered NXDOMAIN (twice), one answered NXDOMAIN once and NOERROR once, one
#: answered NXDOMAIN that the proxy log shows connected to, one only ever SERVFAIL, and a plain lookup.
RESOLVER = [
    record("nope.example.org.", rcode="NXDOMAIN", answers=[]),
    record("nope.example.org.", rcode="NXDOMAIN", answers=[], srcaddr="10.40.7.20"),
    record("mixed.example.org.", rcode="NXDOMAIN", answers=[]),
    record("mixed.example.org."),
    record("cdn.example.net.", rcode="NXDOMAIN", answers=[]),
    record("broken.example.org.", rcode="SERVFAIL", answers=[]),
    record("files.pythonhosted.org."),
]
SQUID = "1793697300.000    210 10.40.7.19 TCP_TUNNEL/200 5120 CONNECT cdn.example.net:443 - HIER_DIRECT/192.0.2.7 -\n"
EXPORTED = ["broken.example.org", "cdn.example.net", "mixed.example.org", "files.pythonhosted.org"]
RULE_FORMATS = [name for name in sorted(EXPORTERS) if not EXPORTERS[name].shows_outcomes]
REVIEW_FORMATS = [name for name in sorted(EXPORTERS) if EXPORTERS[name].shows_outcomes]
NOTE = (
    "1 entry was only ever answered NXDOMAIN (no connection or request seen) and left out: nope.example.org; "
    "--include-nxdomain keeps it"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def logs(tmp_path: Path) -> list[str]:
    """The Resolver log and the Squid log on disk."""
    resolver, squid = tmp_path / "vpcdnsquerylogs.log", tmp_path / "access.log"
    resolver.write_text("".join(f"{line}\n" for line in RESOLVER))
    squid.write_text(SQUID)
    return [str(resolver), str(squid)]


def _entry(pattern: str, count: int, nxdomain: int, reasons: tuple[str, ...] = ()) -> Entry:
    return Entry(pattern, (pattern,), (443,), Classification(), "observed", count, 0, reasons, (), nxdomain, 0,
                 nxdomain)  # fmt: skip


# --- the definition ---------------------------------------------------------------------------------------------


def test_nxdomain_only_needs_every_observation_to_be_an_nxdomain_answer() -> None:
    """All of count NXDOMAIN: yes; anything else seen, nothing seen, or a catalog prediction: no."""
    assert nxdomain_only(_entry("a.example", 2, 2))
    assert not nxdomain_only(_entry("b.example", 3, 2))
    assert not nxdomain_only(_entry("c.example", 0, 0))
    assert not nxdomain_only(_entry("d.example", 1, 1, ("predicted: the agent (catalog: x)",)))
    assert entry_flag(_entry("a.example", 2, 2)) == ONLY_NXDOMAIN
    assert entry_flag(_entry("b.example", 3, 2)) == ONLY_FAILED


def test_a_dns_reason_and_a_connection_reason_both_stay_when_reasons_are_cut() -> None:
    """Many proxy wordings before the DNS one, or many DNS wordings before the SNI one: both kinds stay."""
    proxy = [f"observed: CONNECT {i} through a proxy" for i in range(9)]
    dns = [f"observed: DNS {kind} query seen by Zeek (dns.log)" for kind in "ABCDEFGHI"]
    kept = kept_reasons([*proxy, "observed: DNS query seen in a Route 53 Resolver query log"])
    assert len(kept) == 8 and sum(map(is_dns_reason, kept)) == 1 and kept[:7] == tuple(proxy[:7])
    kept = kept_reasons([*dns, "observed: TLS SNI seen by Zeek (ssl.log)", "referenced: a URL"])
    assert len(kept) == 8 and "observed: TLS SNI seen by Zeek (ssl.log)" in kept
    assert kept_reasons(proxy[:3]) == tuple(proxy[:3])


def test_the_note_names_what_was_left_out() -> None:
    """One entry or many, named, with the flag that keeps them."""
    assert nxdomain_note([_entry("nope.example.org", 2, 2)]) == NOTE
    many = nxdomain_note([_entry(f"h{i:02}.example", 1, 1) for i in range(12)])
    assert many.startswith("12 entries were only ever answered NXDOMAIN") and "and 2 more" in many


# --- scan -------------------------------------------------------------------------------------------------------


def test_scan_lists_the_nxdomain_only_name_last_under_its_heading(
    logs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The plain table ends with the heading and the one name only ever answered NXDOMAIN."""
    code, out, _ = run(capsys, "scan", *logs)
    table = out.split("\n\n", 1)[0].splitlines()
    assert code == 0 and table[-2] == f"-- {NXDOMAIN_HEADING}: 1"
    assert table[-1].split()[0] == "nope.example.org" and table[-1].split()[-3:] == ["2", "0", "2"]
    assert sum(line.startswith("nope.example.org") for line in table) == 1


def test_scan_json_flags_it_and_counts_nxdomain_as_failed(
    logs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """--json: flag only NXDOMAIN; a name with another answer or a connection is not flagged so."""
    rows = {r["host"]: r for r in json.loads(run(capsys, "scan", *logs, "--json")[1])["destinations"]}
    assert (rows["nope.example.org"]["flag"], rows["nope.example.org"]["failed"]) == (ONLY_NXDOMAIN, 2)
    assert (
        rows["mixed.example.org"]["flag"] == ONLY_FAILED and rows["broken.example.org"]["flag"] == ONLY_FAILED
    )
    assert rows["cdn.example.net"]["flag"] is None and rows["cdn.example.net"]["allowed"] == 1


def test_dns_evidence_and_connection_evidence_are_listed_side_by_side(
    logs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name in a Resolver log and in a proxy log (or a Network Firewall TLS log) has both reasons."""
    nfw = tmp_path / "nfw.log"
    nfw.write_text(tls_log("mixed.example.org") + "\n")
    out = run(capsys, "build", *logs, str(nfw), "--to", "json")[1]
    entries = {e["pattern"]: e for e in json.loads(out)["entries"]}
    for name, connection in (("cdn.example.net", "CONNECT"), ("mixed.example.org", "TLS SNI")):
        reasons = entries[name]["reasons"]
        assert any(is_dns_reason(r) and "answered NXDOMAIN" in r for r in reasons), reasons
        assert any(not is_dns_reason(r) and connection in r for r in reasons), reasons


# --- the policy -------------------------------------------------------------------------------------------------


def test_the_policy_keeps_the_name_with_its_nxdomain_count(
    logs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build writes every name; nxdomain is written beside failed, only where it is not 0, and read back."""
    policy = tmp_path / "policy.yaml"
    code, _, err = run(capsys, "build", *logs, "-o", str(policy))
    assert code == 0 and "NXDOMAIN" not in err
    entries = {e.pattern: e for e in load_policy(str(policy)).entries}
    assert set(entries) == {*EXPORTED, "nope.example.org"}
    assert {p: (e.failed, e.nxdomain) for p, e in entries.items() if e.failed} == {
        "nope.example.org": (2, 2),
        "mixed.example.org": (1, 1),
        "cdn.example.net": (1, 1),
        "broken.example.org": (1, 0),
    }
    assert nxdomain_only(entries["nope.example.org"]) and "nxdomain" not in _yaml_entry(policy, "broken")


def _yaml_entry(policy: Path, name: str) -> str:
    text = policy.read_text()
    start = text.index(f"- pattern: {name}")
    end = text.find("\n- pattern: ", start + 1)
    return text[start : end if end > 0 else None]


# --- exports ----------------------------------------------------------------------------------------------------


def _scoped(name: str) -> bool:
    """True when the format's default scope takes internet names (all these names are)."""
    return EXPORTERS[name].default_scope in ("internet", "all")


@pytest.mark.parametrize("name", RULE_FORMATS)
def test_rule_exports_leave_it_out_and_count_it_on_stderr(
    name: str, logs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build --to and export of the built policy: the same text without the name, and the note (-q too)."""
    code, out, err = run(capsys, "build", *logs, "--to", name, "-q")
    assert code == 0 and "nope.example.org" not in out
    assert (f"egressmap: {name}: {NOTE}" in err.splitlines()) == _scoped(name)
    policy = tmp_path / "policy.yaml"
    assert run(capsys, "build", *logs, "-o", str(policy))[0] == 0
    code, exported, err = run(capsys, "export", str(policy), "--to", name, "-q")
    assert (
        code == 0 and exported == out and (f"egressmap: {name}: {NOTE}" in err.splitlines()) == _scoped(name)
    )


@pytest.mark.parametrize("name", RULE_FORMATS)
def test_include_nxdomain_keeps_it(
    name: str, logs: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--include-nxdomain writes the name wherever the mixed names are written, and the note is gone."""
    without = run(capsys, "build", *logs, "--to", name)[1]
    code, out, err = run(capsys, "build", *logs, "--to", name, "--include-nxdomain")
    assert code == 0 and "only ever answered NXDOMAIN" not in err
    assert ("nope.example.org" in out) == ("mixed.example.org" in without)
    if _scoped(name):  # named among the entries that only failed, which the export allows
        assert "nope.example.org" in next(
            line for line in err.splitlines() if "allowed by this export" in line
        )
    policy = tmp_path / "policy.yaml"
    run(capsys, "build", *logs, "-o", str(policy))
    assert run(capsys, "export", str(policy), "--to", name, "--include-nxdomain")[1] == out


@pytest.mark.parametrize("name", RULE_FORMATS)
def test_names_with_other_evidence_are_exported(
    name: str, logs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """NXDOMAIN once and NOERROR once, NXDOMAIN and a connection, SERVFAIL only: exported (names or none)."""
    out = run(capsys, "build", *logs, "--to", name)[1]
    written = [host for host in EXPORTED if host in out]
    assert written in ([], EXPORTED) and (written == EXPORTED) == (
        name not in ("nsg", "pan-edl-ip", "vpc-endpoints")
    )


def test_review_formats_show_it_flagged_without_a_note(
    logs: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """csv, markdown, html and json are for a reviewer: the name is there, flagged, and nothing on stderr."""
    for name in REVIEW_FORMATS:
        code, out, err = run(capsys, "build", *logs, "--to", name)
        assert code == 0 and "nope.example.org" in out and "NXDOMAIN (no connection" not in err, name
    flags = {
        r["destination"]: r["flag"]
        for r in csv.DictReader(io.StringIO(run(capsys, "build", *logs, "--to", "csv")[1]))
    }
    assert flags["nope.example.org"] == ONLY_NXDOMAIN and flags["mixed.example.org"] == ONLY_FAILED
