"""``verify`` never probes as allowed what no export may allow (issue 14, finding 5).

On the code before issue 14 a policy or list naming ``169.254.169.254`` or ``*.com`` was probed as a
destination that must be reachable; these fail there and pass after.
"""

from __future__ import annotations

from egressmap.model import Classification, Entry, Match, Policy
from egressmap.verify.targets import plan_targets

_BAD = [
    "169.254.169.254:80",
    "[fd00:ec2::254]:80",
    "127.0.0.1:8080",
    "[::1]:443",
    "localhost:443",
    "0.0.0.0:80",
    "224.0.0.1:443",
    "*.com:443",
    ".co.uk",
    "metadata.google.internal:80",
]


def _entry(pattern: str, match: Match = "exact") -> Entry:
    hosts = (pattern,) if match == "exact" else ()
    return Entry(pattern, hosts, (80,), Classification(), "observed", 1, 0, ("r",), (), match=match)


def _allowed(plan: object) -> set[str]:
    return {t.host for t in plan.targets if t.expect == "allowed"}  # type: ignore[attr-defined]


def test_refused_policy_entries_are_problems_not_targets() -> None:
    """Policy entries for metadata, loopback, unspecified addresses and public suffixes are reported, not probed."""
    bad = [
        _entry("169.254.169.254"),
        _entry("fd00:ec2::254"),
        _entry("127.0.0.1"),
        _entry("0.0.0.0"),
        _entry("*.com", "subdomains"),
        _entry("*.co.uk", "apex-and-subdomains"),
    ]
    plan = plan_targets(Policy((*bad, _entry("10.0.0.5"), _entry("pypi.org"))), "p.yaml", canary=False)
    assert _allowed(plan) == {"10.0.0.5", "pypi.org"}  # private ranges stay allowed
    for entry in bad:
        assert any(f"refused entry {entry.pattern!r}" in p for p in plan.problems), entry.pattern


def test_refused_list_lines_are_reported_with_their_line_numbers() -> None:
    """Each refused list line is a problem naming its line; the rest of the list is still probed."""
    lines = list(enumerate([*_BAD, "pypi.org:443", "[2001:db8::10]:443"], 1))
    plan = plan_targets(lines, "allow.txt", canary=False)
    assert _allowed(plan) == {"pypi.org", "2001:db8::10"}
    assert [p.split(": ", 1)[0] for p in plan.problems] == [f"allow.txt:{n}" for n in range(1, len(_BAD) + 1)]
