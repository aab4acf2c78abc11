from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap import hostnames
from egressmap.hostnames import (
    drop_reason,
    is_private_ip,
    normalize_host,
    placeholder_reason,
    split_host_port,
)
from egressmap.validation import LOCAL_NAMES


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


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("100.64.0.1", True),  # shared address space (RFC 6598, CGNAT; EKS pod ranges use it)
        ("100.127.255.255", True),
        ("100.128.0.1", False),
        ("198.18.0.1", True),  # benchmarking (RFC 2544)
        ("192.0.2.10", True),  # documentation (RFC 5737)
        ("fd12:3456::1", True),
        ("8.8.8.8", False),
        ("2600:1f18::1", False),
        ("127.0.0.1", False),  # dropped, not private
        ("169.254.169.254", False),
        ("pypi.org", False),
    ],
)
def test_private_is_what_the_internet_does_not_route(address: str, private: bool) -> None:
    """One definition: classification (internal), the bypass finding and EVE's direction all read it."""
    from egressmap.classify import classify
    from egressmap.hostnames import is_global_ip

    assert is_private_ip(address) is private
    if private:
        assert classify(address).category == "internal" and not is_global_ip(address)
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


_HOSTY = st.text(alphabet="abcxyz019-.:AZ_ ", max_size=24) | st.from_regex(
    r"([a-z0-9-]{1,5}\.){1,3}[a-z0-9-]{1,5}", fullmatch=True
)


def _answer(function: Callable[[str], object], raw: str) -> object:
    try:
        return function(raw)
    except ValueError as exc:
        return f"ValueError: {exc}"


@settings(max_examples=500)
@given(raw=_HOSTY)
def test_the_canonical_name_shortcut_changes_no_answer(raw: str) -> None:
    """normalize_host with its one-regex shortcut for canonical names answers as the full checks do."""
    fast = _answer(hostnames.normalize_host.__wrapped__, raw)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hostnames, "_PLAIN_NAME", re.compile(r"(?!)"))
        assert _answer(hostnames.normalize_host.__wrapped__, raw) == fast


@settings(max_examples=500)
@given(
    raw=_HOSTY | st.ip_addresses().map(str) | st.sampled_from(["localhost", "a.localhost", "instance-data"])
)
def test_ip_checks_skip_parsing_only_what_cannot_be_an_address(raw: str) -> None:
    """is_ip and drop_reason answer as parsing every name as an address would."""
    fast = (hostnames.is_ip(raw), hostnames.drop_reason.__wrapped__(raw))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(hostnames, "_maybe_ip", lambda host: True)
        assert (hostnames.is_ip(raw), hostnames.drop_reason.__wrapped__(raw)) == fast


def _full_checks(authority: str, default: int) -> object:
    """What split_host_port, normalize_host and drop_reason say of an authority, one after the other."""
    try:
        raw, port = split_host_port(authority, default)
        host = normalize_host.__wrapped__(raw)
    except ValueError as exc:
        return f"ValueError: {exc}"
    return drop_reason.__wrapped__(host) or (host, port)


_AUTHORITIES = st.tuples(
    _HOSTY
    | st.sampled_from(["localhost", "a.localhost", "metadata.google.internal", "x.y", "a-.b", "xn--a.b"]),
    st.sampled_from(["", ":443", ":8080", ":0", ":65535", ":65536", ":99999", ":00080", ":", ":x", ":1:2"]),
).map("".join)


@settings(max_examples=1000)
@given(authority=_AUTHORITIES | st.text(max_size=20), default=st.sampled_from([80, 443]))
def test_the_plain_destination_shortcut_agrees_with_the_full_checks(authority: str, default: int) -> None:
    """Whenever plain_destination answers, the three full checks give that (host, port), unchanged and kept."""
    fast = hostnames.plain_destination(authority, default)
    if fast is not None:
        assert _full_checks(authority, default) == fast
    elif re.fullmatch(r"[a-z][a-z0-9]{0,9}\.[a-z]{2,5}(:[1-9][0-9]{0,3})?", authority) and (
        authority.split(":")[0] not in LOCAL_NAMES  # metadata.goog and friends are refused, never plain
    ):
        raise AssertionError(f"{authority!r} is plain and should take the shortcut")


_LABELISH = st.text(alphabet="abz09-.:xnA_\u00e9 ", max_size=24)


@settings(max_examples=3000)
@given(
    authority=_AUTHORITIES
    | _LABELISH
    | st.sampled_from(["a" * 63 + ".com", "a" * 64 + ".com", "x." + "a" * 63, ("a" * 9 + ".") * 25 + "com"])
    | st.tuples(_LABELISH, st.sampled_from([".localhost", ".xn--p1ai", "", ":443"])).map("".join),
    default=st.sampled_from([80, 443]),
)
def test_the_c_plain_destination_answers_as_the_python_one(authority: str, default: int) -> None:
    """The compiled twin (built by the test install) gives the same answer for any authority."""
    assert hostnames.fast_plain_destination is not hostnames.plain_destination, (
        "the C module is built at install (gcc): pip install -e '.[test]'"
    )
    assert hostnames.fast_plain_destination(authority, default) == hostnames.plain_destination(
        authority, default
    )


def test_the_c_plain_destination_shares_port_objects() -> None:
    """Like the Python one, each port is one int object however many names use it."""
    first = hostnames.fast_plain_destination("a.example:8443", 443)
    second = hostnames.fast_plain_destination("b.example:8443", 443)
    assert first is not None and second is not None
    assert first[1] is second[1] == 8443
    assert hostnames.fast_plain_destination("a.example", 80) == ("a.example", 80)


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("0x7f000001", "127.0.0.1"),
        ("127.0.0.0x1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x0a.1.2.3", "10.1.2.3"),
        ("169.254.43518", "169.254.169.254"),
    ],
)
def test_numeric_ipv4_forms_are_the_address_inet_aton_reads(raw: str, address: str) -> None:
    """Issue 14 finding 13: a numeric form is the address it connects to, never a name (build made 127.0.0.0x1 one)."""
    assert hostnames.normalize_host(raw) == address
    assert hostnames.drop_reason(address) is not None or address == "10.1.2.3"


def test_a_name_that_only_starts_with_digits_stays_a_name() -> None:
    """Names such as 123.example.com or 1e100.net are not numeric forms."""
    assert hostnames.normalize_host("123.example.com") == "123.example.com"
    assert hostnames.normalize_host("1e100.net") == "1e100.net"
    assert hostnames.numeric_ipv4("08") is None


@pytest.mark.parametrize("raw", ["0177.0.0.1", "010.1.2.3", "0177.1"])
def test_octal_parts_are_refused_as_ambiguous(raw: str) -> None:
    """A leading zero is octal to inet_aton and decimal to other readers: an error naming it, never a name."""
    with pytest.raises(ValueError, match="invalid IPv4 literal"):
        hostnames.normalize_host(raw)
