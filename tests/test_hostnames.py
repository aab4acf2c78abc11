from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egressmap.hostnames import (
    drop_reason,
    is_private_ip,
    normalize_host,
    placeholder_reason,
    split_host_port,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("PyPI.org", "pypi.org"),
        ("pypi.org.", "pypi.org"),
        ("xn--mnchen-3ya.de", "xn--mnchen-3ya.de"),
        ("MÜNCHEN.de", "xn--mnchen-3ya.de"),
        ("[::1]", "::1"),
        ("010.1.2.3", None),
        ("10.1.2.3", "10.1.2.3"),
    ],
)
def test_normalize_known_forms(raw: str, expected: str | None) -> None:
    """Case, trailing dot, IDN and IP literal forms normalise to one spelling; odd IPv4 forms are refused."""
    if expected is None:
        with pytest.raises(ValueError):
            normalize_host(raw)
    else:
        assert normalize_host(raw) == expected


@pytest.mark.parametrize(
    "hostile",
    [
        'evil.com"; pass ip any any -> any any (sid:1;)',
        "a.com\nhttp_access allow all",
        "a.com;b",
        "a b.com",
        "a.com#x",
        "-a.com",
        "a-.com",
        "a..com",
        "x" * 64 + ".com",
        "a.com\x00",
        "$(reboot).com",
        "a'.com",
        "a`b`.com",
    ],
)
def test_normalize_rejects_hostile_names(hostile: str) -> None:
    """Quotes, semicolons, whitespace, control characters, comment markers and bad labels are refused."""
    with pytest.raises(ValueError):
        normalize_host(hostile)


@given(st.text(max_size=80))
def test_normalize_is_idempotent_and_safe(raw: str) -> None:
    """Whatever is accepted is LDH or an IP literal and normalises to itself."""
    try:
        host = normalize_host(raw)
    except ValueError:
        return
    assert normalize_host(host) == host
    assert host == host.strip().lower()
    assert all(ch.isalnum() or ch in ".-:" for ch in host)
    assert host.isascii()


def test_drop_and_private() -> None:
    """IMDS, loopback and localhost are dropped; private ranges are kept and flagged internal."""
    assert drop_reason("169.254.169.254") is not None
    assert drop_reason("fd00:ec2::254") is not None
    assert drop_reason("127.0.0.1") == "loopback address"
    assert drop_reason("foo.localhost") == "localhost"
    assert drop_reason("10.0.0.1") is None and is_private_ip("10.0.0.1")
    assert (
        placeholder_reason("%{HTTP_HOST}")
        and placeholder_reason("${host}")
        and placeholder_reason("x._domain_")
    )


def test_split_host_port_rejects_bad_ports() -> None:
    """Ports outside 1..65535 or not numeric are errors."""
    for bad in ("a.com:0", "a.com:70000", "a.com:x", "[::1"):
        with pytest.raises(ValueError):
            split_host_port(bad)
