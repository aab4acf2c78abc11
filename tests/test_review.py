"""Entries seen only denied or failed: flagged by scan and the review formats, named by every rule export."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.exporters import EXPORTERS
from egressmap.model import Classification, Entry, Policy
from egressmap.review import (
    ONLY_DENIED,
    ONLY_DENIED_OR_FAILED,
    ONLY_FAILED,
    SCAN_HEADING,
    allowed_note,
    entry_flag,
    excluded_note,
    seen_only,
    without_flagged,
)

#: A native Squid access.log as Squid writes it (``logformat squid``): a tunnel that worked, CONNECTs the proxy
#: denied, a CONNECT an older Squid could not open (``NONE_NONE/503``) and one a 6.x Squid could not open
#: (``TCP_TUNNEL/503``), a host that failed once and worked once, a host denied once and later allowed, and a
#: host whose GETs were denied and then failed upstream.
SQUID_LOG = """\
1732186800.123    210 10.0.0.5 TCP_TUNNEL/200 5120 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -
1732186801.004      0 10.0.0.6 TCP_DENIED/403 3921 CONNECT denied.example.net:443 - HIER_NONE/- text/html
1732186801.517      0 10.0.0.6 TCP_DENIED/403 3921 CONNECT denied.example.net:443 - HIER_NONE/- text/html
1732186802.020      0 10.0.0.6 TCP_DENIED/403 3921 CONNECT sts.us-east-1.amazonaws.com:443 - HIER_NONE/- text/html
1732186832.009  30001 10.0.0.6 NONE_NONE/503 0 CONNECT gone.example.org:443 - HIER_NONE/- -
1732186840.310     12 10.0.0.7 TCP_TUNNEL/503 0 CONNECT refused.example.org:443 - HIER_NONE/- -
1732186841.000     44 10.0.0.7 TCP_MISS/503 4120 GET http://flaky.example.com/dists/InRelease - HIER_DIRECT/192.0.2.7 text/html
1732186842.000     51 10.0.0.7 TCP_MISS/200 9120 GET http://flaky.example.com/dists/InRelease - HIER_DIRECT/192.0.2.7 text/plain
1732186843.000      0 10.0.0.8 TCP_DENIED/403 3921 CONNECT retried.example.com:443 - HIER_NONE/- text/html
1732186850.000    301 10.0.0.8 TCP_TUNNEL/200 7000 CONNECT retried.example.com:443 - HIER_DIRECT/192.0.2.9 -
1732186851.000      0 10.0.0.8 TCP_DENIED/403 3921 GET http://both.example.com/pool/a.deb - HIER_NONE/- text/html
1732186852.000  60002 10.0.0.8 TCP_MISS/504 0 GET http://both.example.com/pool/b.deb - HIER_DIRECT/192.0.2.10 -
"""
#: Flagged entries in policy order (scope, then pattern).
FLAGGED_CLOUD = ["sts.us-east-1.amazonaws.com"]
FLAGGED_INTERNET = ["both.example.com", "denied.example.net", "gone.example.org", "refused.example.org"]
NOT_FLAGGED = ["flaky.example.com", "pypi.org", "retried.example.com"]
#: A wget run the firewall refused, as wget prints it: the URL line names the host without an outcome.
WGET_LOG = """\
--2024-11-21 10:15:02--  https://downloads.example.com/tool-1.2.tar.gz
Resolving downloads.example.com (downloads.example.com)... 203.0.113.10
Connecting to downloads.example.com (downloads.example.com)|203.0.113.10|:443... failed: Connection refused.
"""
RULE_FORMATS = [name for name in sorted(EXPORTERS) if not EXPORTERS[name].shows_outcomes]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _table(out: str) -> list[str]:
    """The destinations table of a plain ``scan``: its lines up to the first empty one."""
    return out.split("\n\n", 1)[0].splitlines()


@pytest.fixture
def squid_log(tmp_path: Path) -> Path:
    """The native Squid sample on disk."""
    path = tmp_path / "access.log"
    path.write_text(SQUID_LOG)
    return path


def _entry(pattern: str, count: int, allowed: int, denied: int, failed: int) -> Entry:
    return Entry(
        pattern, (pattern,), (443,), Classification(), "observed", count, denied, (), (), failed, allowed
    )


# --- the definition ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("allowed", "denied", "failed", "flag"),
    [
        (0, 2, 0, ONLY_DENIED),
        (0, 0, 3, ONLY_FAILED),
        (0, 1, 1, ONLY_DENIED_OR_FAILED),
        (1, 5, 0, None),
        (4, 0, 1, None),
        (2, 0, 0, None),
        (0, 0, 0, None),
    ],
)
def test_seen_only_needs_a_refusal_and_no_allowed_request(
    allowed: int, denied: int, failed: int, flag: str | None
) -> None:
    """Flagged when something was denied or failed and nothing was seen allowed; which of the two it was."""
    assert seen_only(allowed, denied, failed) == flag


def test_requests_without_an_outcome_neither_set_nor_clear_the_flag() -> None:
    """Mentions and list lines count in ``count`` only: 1 failed of 5 is still only failed; 5 unjudged is not."""
    assert entry_flag(_entry("a.example", 5, 0, 0, 1)) == ONLY_FAILED
    assert entry_flag(_entry("b.example", 5, 0, 0, 0)) is None


def test_notes_count_and_name_the_entries() -> None:
    """The export note and the --exclude-denied note give the exact count and the names, cut after ten."""
    many = [_entry(f"h{i:02}.example", 1, 0, 1, 0) for i in range(12)]
    assert allowed_note(many[:1]) == (
        "1 entry was only ever denied or failed in the logs and is allowed by this export: h00.example; "
        "review it, or leave it out with --exclude-denied"
    )
    assert allowed_note(many).startswith("12 entries were only ever denied or failed in the logs and are ")
    assert allowed_note(many).endswith(
        "h09.example and 2 more; review them, or leave them out with --exclude-denied"
    )
    assert excluded_note(many[:2]) == (
        "--exclude-denied: 2 entries were only ever denied or failed in the logs and left out: "
        "h00.example, h01.example"
    )
    assert "nothing left out" in excluded_note([])


def test_without_flagged_keeps_the_rest_in_order() -> None:
    """Only the flagged entries go; the policy's other fields stay."""
    policy = Policy(
        (_entry("a.example", 2, 0, 2, 0), _entry("b.example", 2, 2, 0, 0), _entry("c.example", 1, 0, 0, 1)),
        regions=("us-east-1",),
    )
    kept, gone = without_flagged(policy)
    assert [e.pattern for e in kept.entries] == ["b.example"] and kept.regions == ("us-east-1",)
    assert [e.pattern for e in gone] == ["a.example", "c.example"]
    assert without_flagged(kept) == (kept, [])


# --- scan ---------------------------------------------------------------------------------------------------------


def test_scan_lists_flagged_destinations_first_under_a_heading(
    squid_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plain table keeps its header; destinations only denied or failed come first, the rest after."""
    code, out, _ = run(capsys, "scan", str(squid_log))
    lines = _table(out)
    assert code == 0 and lines[0].split()[:3] == ["HOST", "PORT", "TIER"]
    assert lines[1] == f"-- {SCAN_HEADING}: 5"
    rest = lines.index("-- Other destinations: 3")
    assert sorted(line.split()[0] for line in lines[2:rest]) == sorted(FLAGGED_CLOUD + FLAGGED_INTERNET)
    assert [line.split()[0] for line in lines[rest + 1 :]] == NOT_FLAGGED
    both = next(line.split() for line in lines if line.startswith("both.example.com"))
    assert both[-3:] == ["2", "1", "1"]  # count, denied, failed


def test_scan_json_flags_each_destination(squid_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``--json`` rows carry the allowed count and the flag (null when not flagged)."""
    rows = {
        r["host"]: r for r in json.loads(run(capsys, "scan", str(squid_log), "--json")[1])["destinations"]
    }
    assert {h: r["flag"] for h, r in rows.items() if r["flag"]} == {
        "sts.us-east-1.amazonaws.com": ONLY_DENIED,
        "denied.example.net": ONLY_DENIED,
        "gone.example.org": ONLY_FAILED,
        "refused.example.org": ONLY_FAILED,
        "both.example.com": ONLY_DENIED_OR_FAILED,
    }
    assert (rows["retried.example.com"]["allowed"], rows["retried.example.com"]["denied"]) == (1, 1)
    assert rows["flaky.example.com"]["flag"] is None and rows["flaky.example.com"]["failed"] == 1


def test_scan_without_flagged_destinations_prints_no_heading(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log where everything got through prints the table exactly as before: no heading line."""
    log = tmp_path / "ok.log"
    log.write_text("".join(line + "\n" for line in SQUID_LOG.splitlines() if "TCP_TUNNEL/200" in line))
    lines = _table(run(capsys, "scan", str(log))[1])
    assert [line.split()[0] for line in lines] == ["HOST", "pypi.org", "retried.example.com"]


def test_a_failed_download_in_a_build_log_is_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """wget's refused connection marks the host failed; the URL line (no outcome) does not clear the flag."""
    log = tmp_path / "build.log"
    log.write_text(WGET_LOG)
    rows = json.loads(run(capsys, "scan", str(log), "--json")[1])["destinations"]
    assert [(r["host"], r["count"], r["failed"], r["flag"]) for r in rows] == [
        ("downloads.example.com", 2, 1, ONLY_FAILED)
    ]


def test_a_list_naming_a_denied_host_does_not_clear_the_flag(
    squid_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A previous allowlist's line is no sign the request got through."""
    allowlist = tmp_path / "allowlist.txt"
    allowlist.write_text("denied.example.net:443\npypi.org:443\n")
    rows = json.loads(run(capsys, "scan", str(squid_log), str(allowlist), "--json")[1])["destinations"]
    denied = next(r for r in rows if r["host"] == "denied.example.net")
    assert (denied["count"], denied["denied"], denied["flag"]) == (3, 2, ONLY_DENIED)


# --- review formats -----------------------------------------------------------------------------------------------


def test_review_formats_flag_and_say_nothing_on_stderr(
    squid_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """csv, markdown and html show the flag themselves; json carries the counts; none adds a stderr note."""
    code, out, err = run(capsys, "build", str(squid_log), "--to", "csv")
    flags = {r["destination"]: r["flag"] for r in csv.DictReader(io.StringIO(out))}
    assert code == 0 and "--exclude-denied" not in err
    assert {h for h, f in flags.items() if f} == set(FLAGGED_CLOUD + FLAGGED_INTERNET)
    assert flags["both.example.com"] == ONLY_DENIED_OR_FAILED and flags["gone.example.org"] == ONLY_FAILED
    out, err = run(capsys, "build", str(squid_log), "--to", "markdown")[1:]
    assert (
        "| `denied.example.net` **only denied** |" in out
        and "## Only denied or failed in the logs (5)" in out
    )
    assert "--exclude-denied" not in err
    out, err = run(capsys, "build", str(squid_log), "--to", "html")[1:]
    assert out.count('<span class="only-flag">') == 5 and "--exclude-denied" not in err
    entries = {
        e["pattern"]: e
        for e in json.loads(run(capsys, "build", str(squid_log), "--to", "json")[1])["entries"]
    }
    assert (entries["retried.example.com"]["allowed"], entries["both.example.com"]["allowed"]) == (1, 0)
    assert "allowed" not in entries["pypi.org"]  # written only beside denied or failed counts


# --- rule exports -------------------------------------------------------------------------------------------------


def test_rule_formats_are_every_firewall_and_proxy_target() -> None:
    """Every export that writes rules names flagged entries; the review formats flag them in their text."""
    assert RULE_FORMATS == [
        "aws-network-firewall",
        "azure-firewall",
        "dns-firewall",
        "list",
        "nsg",
        "pan-edl-domain",
        "pan-edl-ip",
        "pan-edl-url",
        "proxy-config",
        "squid",
        "suricata",
        "vpc-endpoints",
    ]


def _expected(name: str) -> list[str]:
    scope = EXPORTERS[name].default_scope
    return (FLAGGED_CLOUD if scope in ("cloud", "all") else []) + (
        FLAGGED_INTERNET if scope in ("internet", "all") else []
    )


@pytest.mark.parametrize("name", RULE_FORMATS)
def test_every_rule_export_names_flagged_entries_on_stderr(
    name: str, squid_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """build --to and export both print the exact count and the names of the flagged entries they allow, -q too."""
    expected = _expected(name)
    note = f"egressmap: {name}: {allowed_note([_entry(p, 1, 0, 1, 0) for p in expected])}"
    code, out, err = run(capsys, "build", str(squid_log), "--to", name, "-q")
    assert code == 0 and note in err.splitlines()
    policy = tmp_path / "policy.yaml"
    assert run(capsys, "build", str(squid_log), "-o", str(policy))[0] == 0
    code, exported, err = run(capsys, "export", str(policy), "--to", name)
    assert code == 0 and exported == out and note in err.splitlines()


@pytest.mark.parametrize("name", RULE_FORMATS)
def test_exclude_denied_leaves_them_out(
    name: str, squid_log: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--exclude-denied writes what the log without the flagged hosts gives, and says how many it left out."""
    expected = _expected(name)
    code, out, err = run(capsys, "build", str(squid_log), "--to", name, "--exclude-denied")
    assert code == 0
    assert (
        f"egressmap: {name}: {excluded_note([_entry(p, 1, 0, 1, 0) for p in expected])}" in err.splitlines()
    )
    assert "allowed by this export" not in err
    for host in FLAGGED_CLOUD + FLAGGED_INTERNET:
        assert host not in out
    clean = tmp_path / "access.log"  # the same name, so inputs and sources read alike
    flagged = FLAGGED_CLOUD + FLAGGED_INTERNET
    clean.write_text(
        "".join(line + "\n" for line in SQUID_LOG.splitlines() if not any(h in line for h in flagged))
    )
    code, without, err = run(capsys, "build", str(clean), "--to", name)
    assert code == 0 and "only ever denied" not in err
    if name not in ("squid", "aws-network-firewall", "suricata"):  # these cite log line numbers
        assert out == without


def test_exclude_denied_on_a_built_policy(squid_log: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``build --exclude-denied`` without --to writes the policy without them and counts them on stderr."""
    code, out, err = run(capsys, "build", str(squid_log), "--exclude-denied")
    assert code == 0
    assert "egressmap: build: --exclude-denied: 5 entries were only ever denied or failed" in err
    patterns = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith("- pattern: ")]
    assert patterns == NOT_FLAGGED


def test_policy_without_flagged_entries_is_unchanged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No ``allowed`` key and no note when nothing was denied or failed; the YAML reads as before."""
    log = tmp_path / "ok.log"
    log.write_text("".join(line + "\n" for line in SQUID_LOG.splitlines() if "TCP_TUNNEL/200" in line))
    code, out, err = run(capsys, "build", str(log))
    assert code == 0 and "allowed" not in out and err == ""
    assert run(capsys, "build", str(log), "--to", "squid")[2] == ""


def test_an_older_policy_file_without_allowed_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without ``allowed``, requests neither denied nor failed may have been allowed: only all-refused is flagged."""
    policy = tmp_path / "old.yaml"
    policy.write_text(
        "schema: egressmap.policy/1\nentries:\n"
        "- {pattern: all-denied.example.com, ports: [443], count: 3, denied: 3, failed: 0}\n"
        "- {pattern: some-denied.example.com, ports: [443], count: 3, denied: 1, failed: 0}\n"
        "- {pattern: hand-written.example.com, ports: [443], failed: 1}\n"
    )
    err = run(capsys, "export", str(policy), "--to", "list")[2]
    assert err.splitlines() == [
        "egressmap: list: 2 entries were only ever denied or failed in the logs and are allowed by this export: "
        "all-denied.example.com, hand-written.example.com; review them, or leave them out with --exclude-denied"
    ]


def test_wildcards_flag_the_merged_entry_as_a_whole(
    squid_log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wildcard over a flagged host and an allowed one is not flagged; over flagged hosts only, it is."""
    out = run(
        capsys,
        "build",
        str(squid_log),
        "--to",
        "csv",
        "--wildcard",
        "example.com",
        "--wildcard",
        "example.org",
    )[1]
    flags = {r["destination"]: r["flag"] for r in csv.DictReader(io.StringIO(out))}
    assert flags["*.example.com"] == "" and flags["*.example.org"] == ONLY_FAILED
