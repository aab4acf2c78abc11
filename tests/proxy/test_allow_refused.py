"""``proxy --enforce`` refuses what no export may allow, whatever the policy says (issue 14, finding 5).

On the code before issue 14 a hand-edited policy with ``169.254.169.254`` made the proxy forward to the
instance metadata service; this fails there and passes after.
"""

from __future__ import annotations

import pytest

from egressmap.proxy.allow import Allowlist

from .lab import make_policy

REFUSED = [
    ("169.254.169.254", "exact"),
    ("fd00:ec2::254", "exact"),
    ("127.0.0.1", "exact"),
    ("::1", "exact"),
    ("localhost", "exact"),
    ("0.0.0.0", "exact"),
    ("224.0.0.1", "exact"),
    ("*.com", "subdomains"),
    ("*.co.uk", "apex-and-subdomains"),
]


def _allowlist() -> Allowlist:
    return Allowlist.from_policy(
        make_policy(
            ("pypi.org", [80, 443], "exact"),
            ("10.0.0.5", [9443, 5672], "exact"),
            *((p, [80, 443], m) for p, m in REFUSED),
        )
    )


def test_refused_entries_become_no_rule_and_are_named() -> None:
    """Each refused entry is named in the allowlist's rejections; the other entries stay rules."""
    allow = _allowlist()
    for pattern, _ in REFUSED:
        assert any(r.startswith(f"refused entry {pattern!r}:") for r in allow.rejected), pattern
    assert len(allow.rejected) == len(REFUSED)
    assert allow.check("pypi.org", 443).allowed
    assert allow.check("10.0.0.5", 5672).allowed  # private ranges stay allowed (CycleCloud's AMQP)


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "[fd00:ec2::254]",
        "127.0.0.1",
        "[::1]",
        "localhost",
        "0.0.0.0",
        "224.0.0.1",
        "example.com",
        "bbc.co.uk",
        "[::ffff:169.254.169.254]",
        "metadata.google.internal",
    ],
)
def test_refused_destinations_are_denied_with_the_reason(host: str) -> None:
    """A destination the policy names but validation refuses is denied, saying why."""
    verdict = _allowlist().check(host, 80)
    assert not verdict.allowed


def test_a_rule_set_built_by_hand_still_cannot_allow_metadata() -> None:
    """Even rules that bypassed ``rules_for`` cannot allow the metadata address: the check refuses it again."""
    from egressmap.exporters.rules import Rule, RuleSet
    from egressmap.model import Classification, Entry

    entry = Entry("169.254.169.254", ("169.254.169.254",), (80,), Classification(), "observed", 1, 0, (), ())
    allow = Allowlist(RuleSet((Rule("169.254.169.254", "exact", (80,), entry),)))
    verdict = allow.check("169.254.169.254", 80)
    assert not verdict.allowed and "instance metadata" in verdict.reason
