"""Report formats: the table, JSON and JUnit XML say the same thing, and remote text cannot break them."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from egressmap.verify.interface import ProbeResult, Target, TargetResult
from egressmap.verify.report import Outcome, render_plain, to_json, to_junit, verdict_line

OK = TargetResult(
    Target("pypi.org", 443, "https"),
    (ProbeResult("dns", True, "1 A, 0 AAAA", 0.01), ProbeResult("tcp", True, "connected to 1.2.3.4", 0.02)),
)
DENIED = TargetResult(
    Target("evil.test", 443, "https"),
    (
        ProbeResult("tcp", True, "ok"),
        ProbeResult("proxy", False, "403 from squid (ERR_\x1b[31m<&>\x00)", 0.1),
    ),
    route="proxy http://127.0.0.1:3128",
)
LEAK = TargetResult(
    Target("example.com", 443, "https", "blocked"), (ProbeResult("http", True, "HTTP 200 OK"),)
)
SKIP = TargetResult(Target("locker.test", 443, "tcp", pattern="*.locker.test"), skipped="no name to probe")
OUTCOME = Outcome((OK, DENIED, LEAK, SKIP), ("list.txt:3: bad line",))


def test_verdicts() -> None:
    """Passed, failed (not reached), failed (reached though expected blocked), skipped."""
    assert [r.passed for r in OUTCOME.results] == [True, False, False, True]
    assert not OUTCOME.passed and len(OUTCOME.failed) == 2 and len(OUTCOME.skipped) == 1
    assert verdict_line(OUTCOME) == "4 destination(s): 1 passed, 2 failed, 1 skipped"


def test_plain_table_shows_where_each_stopped() -> None:
    """One row per destination; control characters from the network are gone."""
    text = render_plain(OUTCOME)
    lines = text.splitlines()
    assert lines[0].split() == [
        "RESULT",
        "TARGET",
        "EXPECT",
        "ROUTE",
        "STOPPED",
        "AT",
        "/",
        "DETAIL",
        "SECONDS",
    ]
    assert lines[2].startswith("FAIL") and "proxy: 403 from squid (ERR_ [31m<&> )" in lines[2]
    assert "\x1b" not in text and "\x00" not in text
    assert lines[4].startswith("SKIP") and "skipped: no name to probe" in lines[4]


def test_json_round_trip() -> None:
    """Everything a CI job needs, as data."""
    doc = json.loads(to_json(OUTCOME))
    assert doc["schema"] == "egressmap-verify/1" and doc["passed"] is False
    assert doc["summary"] == {"targets": 4, "failed": 2, "skipped": 1}
    denied = doc["results"][1]
    assert (denied["stopped_at"], denied["route"], denied["reached"]) == (
        "proxy",
        "proxy http://127.0.0.1:3128",
        False,
    )
    assert doc["problems"] == ["list.txt:3: bad line"]


def test_junit_is_well_formed_and_counts_match() -> None:
    """A failure per failed destination with its stage as the type; skipped and passed cases present."""
    root = ET.fromstring(to_junit(OUTCOME))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "2", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    denied = cases["evil.test:443"].find("failure")
    leak = cases["example.com:443"].find("failure")
    assert denied is not None and denied.get("type") == "proxy"
    assert leak is not None and leak.get("type") == "not-blocked"
    assert leak.get("message", "").startswith("expected blocked, but reached")
    assert cases["locker.test:443"].find("skipped") is not None
    assert cases["pypi.org:443"].find("failure") is None


def test_deadline_and_local_failures_are_failures_in_every_format() -> None:
    """A target cut by the deadline, or one this machine could not probe, fails even when expected blocked."""
    late = TargetResult(
        Target("example.com", 443, "https", "blocked"),
        (ProbeResult("dns", True, "1 A"),),
        unfinished="deadline",
    )
    local = TargetResult(
        Target("evil.test", 443, "https", "blocked"),
        (ProbeResult("local", False, "out of file descriptors"),),
    )
    outcome = Outcome((OK, late, local))
    assert [r.passed for r in outcome.results] == [True, False, False] and not late.reached
    assert verdict_line(outcome) == "3 destination(s): 1 passed, 2 failed (1 not probed: deadline), 0 skipped"
    doc = json.loads(to_json(outcome))
    assert [(r["not_probed"], r["summary"]) for r in doc["results"][1:]] == [
        ("deadline", "not probed: deadline (cut short after dns)"),
        (None, "local: out of file descriptors"),
    ]
    failures = ET.fromstring(to_junit(outcome)).findall(".//failure")
    assert [(f.get("type"), f.get("message")) for f in failures] == [
        ("deadline", "not probed: deadline (cut short after dns)"),
        ("local", "local: out of file descriptors"),
    ]
