"""Representative names for wildcard entries, and how each name and port is probed."""

from __future__ import annotations

import pytest

from egressmap.verify.samples import parse_protocols, parse_samples, protocol_for, representative


def test_sample_flag_wins_then_seen_then_catalog_then_apex() -> None:
    """The order of preference, each step only when it really falls under the wildcard."""
    flag = parse_samples(["*.github.com=api.github.com"])
    assert representative("*.github.com", "subdomains", ["x.github.com"], flag) == (
        "api.github.com",
        "sample from --sample",
    )
    assert representative("*.github.com", "subdomains", ["b.github.com", "a.other.com"], []) == (
        "b.github.com",
        "sample the policy saw",
    )
    from_catalog = representative("*.github.com", "subdomains", [], [])
    assert from_catalog is not None and from_catalog[1] == "sample from the catalog"
    assert from_catalog[0].endswith(".github.com")
    assert representative("*.nowhere.test", "apex-and-subdomains", [], []) == (
        "nowhere.test",
        "the apex of the wildcard",
    )
    assert representative("*.nowhere.test", "subdomains", [], []) is None


def test_a_sample_outside_the_wildcard_is_not_used() -> None:
    """A one-label wildcard does not take a two-label sample, nor a subdomains wildcard its apex."""
    samples = parse_samples(["a.b.one.test", "one.test"])
    assert representative("*.one.test", "one-label", [], samples) is None
    assert representative("*.one.test", "subdomains", [], samples) == ("a.b.one.test", "sample from --sample")


def test_parse_samples_refuses_bad_values() -> None:
    """A bad host or a pattern without '*.' is refused."""
    with pytest.raises(ValueError, match="--sample"):
        parse_samples(["x.test=bad host"])
    with pytest.raises(ValueError, match=r"must start with '\*\.'"):
        parse_samples(["github.com=api.github.com"])


def test_protocols_come_from_the_catalog_then_the_port() -> None:
    """The catalog's protocol for a known name and port, else 443/8443/9443 https, 80/8080 http, else tcp."""
    assert protocol_for("pypi.org", 443) == "https"
    assert protocol_for("unknown.test", 9443) == "https"
    assert protocol_for("unknown.test", 8080) == "http"
    assert protocol_for("unknown.test", 5672) == "tcp"
    assert parse_protocols(["5672=tcp", "8000=http"]) == {5672: "tcp", 8000: "http"}
    for bad in ("x=https", "80=ftp", "0=http"):
        with pytest.raises(ValueError, match="--protocol"):
            parse_protocols([bad])
