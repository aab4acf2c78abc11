"""What verify probes: policy entries as the exporters see them, list lines, expected-blocked names."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.errors import ConfigError, InputError
from egressmap.model import Classification, Entry, Match, Policy
from egressmap.policy_file import dump_yaml
from egressmap.verify.targets import CANARY, plan_targets, read_input


def _entry(
    pattern: str,
    ports: tuple[int, ...] = (443,),
    match: Match = "exact",
    tier: str = "observed",
    hosts: tuple[str, ...] = (),
) -> Entry:
    if not hosts and match == "exact" and "{region}" not in pattern:
        hosts = (pattern,)
    return Entry(pattern, hosts, ports, Classification(), tier, 1, 0, ("r",), (), match=match)  # type: ignore[arg-type]


def _keys(plan: object) -> list[tuple[str, int, str, str]]:
    return [(t.host, t.port, t.protocol, t.expect) for t in plan.targets]  # type: ignore[attr-defined]


def test_policy_entries_become_targets_with_templates_expanded(tmp_path: Path) -> None:
    """Exact names per port, templates for the regions, documentation entries left out, the canary added."""
    policy = Policy(
        (
            _entry("pypi.org", (443, 80)),
            _entry("ec2.{region}.amazonaws.com", hosts=("ec2.us-east-1.amazonaws.com",)),
            _entry("docs.example.org", tier="documentation"),
        ),
        regions=("eu-west-1",),
    )
    path = tmp_path / "policy.yaml"
    path.write_text(dump_yaml(policy))
    plan = plan_targets(read_input(str(path)), str(path))
    assert _keys(plan) == [
        ("ec2.eu-west-1.amazonaws.com", 443, "https", "allowed"),
        ("ec2.us-east-1.amazonaws.com", 443, "https", "allowed"),
        ("pypi.org", 80, "http", "allowed"),
        ("pypi.org", 443, "https", "allowed"),
        (CANARY, 443, "https", "blocked"),
    ]
    with_docs = plan_targets(policy, "p", include_documentation=True, canary=False)
    assert ("docs.example.org", 443, "https", "allowed") in _keys(with_docs)


def test_a_template_without_regions_is_reported() -> None:
    """With no region anywhere, a template's observed names are probed and the template is reported."""
    plan = plan_targets(
        Policy((_entry("ssm.{region}.amazonaws.com", hosts=("ssm.us-west-2.amazonaws.com",)),)),
        "p",
        canary=False,
    )
    assert _keys(plan) == [("ssm.us-west-2.amazonaws.com", 443, "https", "allowed")]
    assert plan.problems == ["ssm.{region}.amazonaws.com: a region template; give --region to probe it"]


def test_hostile_policy_names_are_never_probed() -> None:
    """A name that fails the exporters' validation is rejected with a message, not connected to."""
    plan = plan_targets(
        Policy((_entry("evil.com\nhttp_access allow all"), _entry("ok.test"))), "p", canary=False
    )
    assert _keys(plan) == [("ok.test", 443, "https", "allowed")]
    assert len(plan.problems) == 1 and plan.problems[0].startswith("rejected entry")


def test_wildcards_without_a_name_are_skipped_with_the_flag_to_fix_it() -> None:
    """A subdomains entry with nothing seen and nothing in the catalog cannot be probed."""
    plan = plan_targets(Policy((_entry("*.locker.test", match="subdomains"),)), "p", canary=False)
    assert plan.targets == []
    ((target, why),) = plan.skipped
    assert target.pattern == "*.locker.test"
    assert why == "no name to probe for *.locker.test; give --sample '*.locker.test=NAME'"
    fixed = plan_targets(
        Policy((_entry("*.locker.test", match="subdomains"),)),
        "p",
        canary=False,
        samples=["acct.locker.test"],
    )
    assert _keys(fixed) == [("acct.locker.test", 443, "https", "allowed")]


def test_list_lines_keep_going_past_bad_ones(tmp_path: Path) -> None:
    """URLs, host:port, wildcards and comments; a bad line is reported with its number."""
    path = tmp_path / "list.txt"
    path.write_text(
        "# allowlist\nhttps://pypi.org/simple\nhttp://deb.test:8080/x\nbad host\nrepo.test:8443\n.apex.test\nftp://x.test/\n"
    )
    plan = plan_targets(read_input(str(path)), str(path), canary=False)
    assert _keys(plan) == [
        ("pypi.org", 443, "https", "allowed"),
        ("deb.test", 8080, "http", "allowed"),
        ("repo.test", 8443, "https", "allowed"),
        ("apex.test", 443, "https", "allowed"),
    ]
    assert [p.split(": ", 1)[0] for p in plan.problems] == [f"{path}:4", f"{path}:7"]


def test_expect_blocked_and_the_canary() -> None:
    """Expected-blocked names are added; one the input allows is refused; the canary stays out when allowed."""
    policy = Policy((_entry("*.example.com", match="apex-and-subdomains"),))  # *.com is refused (issue 14)
    plan = plan_targets(policy, "p", expect_blocked=["http://evil.test/x", "other.test:22", "other.test:22"])
    assert [t.host for t in plan.targets].count("other.test") == 1  # a repeated value is one target
    assert ("evil.test", 80, "http", "blocked") in _keys(plan) and (
        "other.test",
        22,
        "tcp",
        "blocked",
    ) in _keys(plan)
    assert not any(t.host == CANARY and t.expect == "blocked" for t in plan.targets)  # the apex is allowed
    with pytest.raises(ConfigError, match="the input allows pypi.org:443"):
        plan_targets(Policy((_entry("pypi.org"),)), "p", expect_blocked=["pypi.org"])


def test_protocol_overrides_apply_by_port() -> None:
    """--protocol PORT=KIND changes how every target on that port is probed."""
    plan = plan_targets(Policy((_entry("a.test", (9443,)),)), "p", canary=False, protocols=["9443=tcp"])
    assert _keys(plan) == [("a.test", 9443, "tcp", "allowed")]


def test_unreadable_input_is_an_input_error(tmp_path: Path) -> None:
    """A missing file is reported, not a traceback."""
    with pytest.raises(InputError, match="cannot read"):
        read_input(str(tmp_path / "missing.yaml"))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(max_size=40), max_size=6))
def test_any_list_is_planned_without_crashing(lines: list[str]) -> None:
    """Arbitrary list lines become targets or numbered problems, never an exception."""
    plan = plan_targets(list(enumerate(lines, 1)), "fuzz", canary=False)
    assert len(plan.targets) + len(plan.skipped) + len(plan.problems) <= len(lines)


def test_list_wildcards_are_read_as_the_list_source_reads_them(tmp_path: Path) -> None:
    """``*.x.com:80`` and ``.x.com`` keep their match kind and port; ``*.com`` is refused with its line number."""
    path = tmp_path / "allow.txt"
    path.write_text("# HTTP Destinations\n*.archive.ubuntu.com:80\n*.com:443\n.pythonhosted.org\n*.co.uk\n")
    plan = plan_targets(
        read_input(str(path)),
        str(path),
        canary=False,
        samples=["*.archive.ubuntu.com=us-east-1.ec2.archive.ubuntu.com"],
    )
    assert plan.allows == [
        ("*.archive.ubuntu.com", "subdomains"),
        ("*.pythonhosted.org", "apex-and-subdomains"),
    ]
    assert ("us-east-1.ec2.archive.ubuntu.com", 80, "http", "allowed") in _keys(plan)
    assert [p.split(": ", 1)[0] for p in plan.problems] == [f"{path}:3", f"{path}:5"]
    assert all("public suffix" in p for p in plan.problems)
    assert plan.covers("pythonhosted.org") and not plan.covers("archive.ubuntu.com")


def test_seed001_submitted_list_is_planned_line_by_line() -> None:
    """Every line of seed 001's list is allowed and probed: names as they are, wildcards through a sample."""
    path = Path(__file__).parents[1] / "data" / "seeds" / "seed001-submitted-list.txt"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    plan = plan_targets(read_input(str(path)), str(path), canary=False)
    assert plan.problems == [] and plan.skipped == []
    exact = {tuple(line.rsplit(":", 1)) for line in lines if not line.startswith("*.")}
    assert {(t.host, str(t.port)) for t in plan.targets} >= exact
    wildcards = [line.rsplit(":", 1)[0] for line in lines if line.startswith("*.")]
    assert sorted(p for p, m in plan.allows if m == "subdomains") == sorted(wildcards)
    assert {t.pattern for t in plan.targets if t.pattern.startswith("*.")} <= set(wildcards)
    assert ("azure.archive.ubuntu.com", 80) in {(t.host, t.port) for t in plan.targets}  # port 80 kept


def test_a_line_that_is_not_utf8_is_skipped_and_the_rest_of_the_list_is_used(tmp_path: Path) -> None:
    """Issue 14, finding 14 (fails before: one bad byte refused the whole list): the line is reported by number."""
    path = tmp_path / "list.txt"
    path.write_bytes(b"pypi.org\nbad\xffhost.test\nrepo.test:8443 # caf\xe9\n\xc3\n.apex.test\n")
    plan = plan_targets(read_input(str(path)), str(path), canary=False)
    assert _keys(plan) == [
        ("pypi.org", 443, "https", "allowed"),
        ("repo.test", 8443, "https", "allowed"),
        ("apex.test", 443, "https", "allowed"),
    ]
    assert plan.problems == [
        f"{path}:2: not UTF-8 text (byte 0xff at column 4); line skipped",
        f"{path}:3: not UTF-8 text in the comment (byte 0xe9 at column 21); line used",
        f"{path}:4: not UTF-8 text (byte 0xc3 at column 1); line skipped",
    ]


def test_a_policy_that_is_not_utf8_is_refused_with_the_line(tmp_path: Path) -> None:
    """A policy is one document: a bad byte is an input error naming its line, not a list of garbage lines."""
    path = tmp_path / "policy.yaml"
    path.write_bytes(dump_yaml(Policy((_entry("pypi.org"),))).encode() + b"# \xff\n")
    lines = path.read_bytes().count(b"\n")
    with pytest.raises(InputError, match=f"policy.yaml:{lines}: not UTF-8 text"):
        read_input(str(path))


def test_an_entry_with_more_than_1000_ports_is_refused_with_a_message() -> None:
    """Issue 14, finding 14 (fails before: 65,535 ports became 65,535 targets): reported, the rest probed."""
    every_port = tuple(range(1, 65536))
    policy = Policy((_entry("all.test", every_port), _entry("most.test", tuple(range(1, 1001)))))
    plan = plan_targets(policy, "p", canary=False)
    assert {t.host for t in plan.targets} == {"most.test"} and len(plan.targets) == 1000
    assert plan.problems == [
        "all.test: 65535 ports in one entry; verify probes at most 1,000 per entry, so this one is not"
        " probed (list only the ports the destination serves)"
    ]
