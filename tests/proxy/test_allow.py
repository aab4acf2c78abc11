from __future__ import annotations

from egressmap.proxy.allow import Allowlist

from .lab import make_policy


def allowlist() -> Allowlist:
    return Allowlist.from_policy(
        make_policy(
            ("pypi.org", [443], "exact"),
            ("10.1.2.3", [8443], "exact"),
            ("fass.test", [443], "exact"),
            ("xn--mnchen-3ya.de", [443], "exact"),
            ("*.example.com", [443], "subdomains"),
            ("*.one.test", [443], "one-label"),
            ("*.apex.test", [80, 443], "apex-and-subdomains"),
            ("ec2.{region}.amazonaws.com", [443], "exact"),
            regions=["us-east-1"],
        )
    )


def test_exact_names_after_normalisation() -> None:
    """Case, a trailing dot and U-labels normalise to the rule's name."""
    a = allowlist()
    assert all(
        a.check(h, 443).allowed for h in ("pypi.org", "PyPI.ORG", "pypi.org.", "münchen.de", "MÜNCHEN.de.")
    )
    assert a.check("münchen.de", 443).host == "xn--mnchen-3ya.de"


def test_idn_deviation_characters_do_not_fold() -> None:
    """Non-transitional IDNA: faß.test is xn--fa-hia.test, not fass.test."""
    verdict = allowlist().check("faß.test", 443)
    assert (verdict.allowed, verdict.host) == (False, "xn--fa-hia.test")


def test_ports_must_be_listed() -> None:
    """Another port is denied with the allowed ones named."""
    verdict = allowlist().check("pypi.org", 80)
    assert not verdict.allowed and verdict.reason == "port 80 not allowed for pypi.org (allowed: 443)"


def test_ip_literals_only_match_ip_entries() -> None:
    """An IP entry allows its address in any inet_aton spelling (read as the address it connects to)."""
    a = allowlist()
    assert a.check("10.1.2.3", 8443).allowed and a.check("10.1.2.3.", 8443).allowed
    assert not a.check("[::ffff:10.1.2.3]", 8443).allowed
    for spelling in ("0x0a.1.2.3", "167838211", "012.1.2.3", "10.1.515"):
        assert a.check(spelling, 8443) == a.check("10.1.2.3", 8443)
    assert a.check("0x0a.1.2.4", 8443).host == "10.1.2.4" and not a.check("0x0a.1.2.4", 8443).allowed


def test_wildcard_kinds_follow_entry_covers() -> None:
    """subdomains, one-label and apex-and-subdomains mean what the exporters mean."""
    a = allowlist()
    assert a.check("a.b.example.com", 443).allowed and not a.check("example.com", 443).allowed
    assert a.check("x.one.test", 443).allowed and not a.check("x.y.one.test", 443).allowed
    assert a.check("apex.test", 80).allowed and a.check("deep.er.apex.test", 443).allowed
    assert not a.check("badexample.com", 443).allowed
    assert a.check("x.example.com", 80).reason.startswith("port 80 not allowed")


def test_templates_expand_for_regions() -> None:
    """A {region} template allows its expansion for the policy's regions only."""
    a = allowlist()
    assert a.check("ec2.us-east-1.amazonaws.com", 443).allowed
    assert not a.check("ec2.eu-west-1.amazonaws.com", 443).allowed


def test_invalid_names_are_denied() -> None:
    """Anything that is not a host name is denied, shortened in the verdict."""
    verdict = allowlist().check('pypi.org"; x' + "y" * 200, 443)
    assert not verdict.allowed and len(verdict.host) == 80 and verdict.reason == "not a valid host name"
