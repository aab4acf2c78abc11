"""One validation for build and render: what must never be allowed, and what stays allowed (issue 14, finding 5)."""

from __future__ import annotations

import pytest

from egressmap.hostnames import drop_reason
from egressmap.model import Match
from egressmap.validation import entry_refusal, host_refusal, refusal, wildcard_refusal

from .exporters.test_refused import REFUSED_ENTRIES


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("localhost", "localhost"),
        ("api.localhost", "localhost"),
        ("169.254.169.254", "instance metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fd00:ec2::254", "instance metadata"),
        ("fd00:ec2::253", "DNS resolver"),
        ("metadata.google.internal", "metadata"),
        ("instance-data.ec2.internal", "metadata"),
        ("0.0.0.0", "unspecified"),
        ("0.1.2.3", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "reserved"),
        ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
        ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
        ("64:ff9b::a9fe:a9fe", "NAT64 link-local"),
    ],
)
def test_never_allowed_hosts_are_refused_with_their_reason(host: str, why: str) -> None:
    """Loopback, link-local (IMDS v4 and v6), metadata names, unspecified and multicast: refused, saying why."""
    reason = host_refusal(host)
    assert reason is not None and why in reason
    message = refusal(host)
    assert message is not None and f"'{host}'" in message
    assert drop_reason(host) == reason  # build drops the same destinations for the same reason


@pytest.mark.parametrize(
    "host",
    [
        "10.0.0.5",
        "172.31.87.105",
        "192.168.1.10",
        "100.64.0.1",
        "fd12:3456::10",
        "fd00:ec2::1",
        "2001:db8::10",
        "8.8.8.8",
        "pypi.org",
        "cyclecloud.internal.example",
    ],
)
def test_private_and_public_addresses_stay_allowed(host: str) -> None:
    """Private ranges (CycleCloud nodes reach the CycleCloud server), unique-local and public addresses pass."""
    assert host_refusal(host) is None and refusal(host) is None


@pytest.mark.parametrize(
    ("suffix", "match", "why"),
    [
        ("com", "subdomains", "public suffix com"),
        ("co.uk", "apex-and-subdomains", "public suffix co.uk"),
        ("internal", "subdomains", "public suffix internal"),
        ("localhost", "subdomains", "localhost"),
        ("x.localhost", "one-label", "localhost"),
        ("ec2.internal", "subdomains", "instance-data.ec2.internal"),
        ("google.internal", "one-label", "metadata.google.internal"),
    ],
)
def test_wildcards_over_public_suffixes_and_local_names_are_refused(
    suffix: str, match: Match, why: str
) -> None:
    """A wildcard over a public suffix or reaching a local or metadata name is refused; the entry is named."""
    reason = wildcard_refusal(suffix, match)
    assert reason is not None and why in reason
    assert f"'*.{suffix}'" in (refusal(f"*.{suffix}", match) or "")


def test_ordinary_wildcards_pass() -> None:
    """A wildcard under a registrable domain, or one that does not reach a metadata name, passes."""
    assert wildcard_refusal("archive.ubuntu.com") is None
    assert wildcard_refusal("internal.example.com", "apex-and-subdomains") is None
    assert (
        wildcard_refusal("a.google.internal", "subdomains") is None
    )  # metadata.google.internal is not below it


def test_an_entry_is_refused_for_any_of_its_hosts() -> None:
    """A hand-edited entry whose pattern is fine but whose hosts carry a refused address is refused by name."""
    for entry in REFUSED_ENTRIES:
        message = entry_refusal(entry)
        assert message is not None and repr(entry.pattern) in message, entry.pattern


def test_build_drops_the_same_destinations_from_a_list() -> None:
    """``build`` reading a list refuses each of them with its line number, and keeps the private address."""
    from egressmap.model import Observation, Skipped
    from egressmap.sources import build_sources

    lines = [
        "169.254.169.254:80",
        "[fd00:ec2::254]:80",
        "127.0.0.1:8080",
        "[::1]:443",
        "0.0.0.0:80",
        "224.0.0.1",
        "*.com",
        ".co.uk:443",
        "*.ec2.internal",
        "localhost:3128",
        "10.0.0.5:5672",
        "[2001:db8::10]:443",
    ]
    items = list(build_sources()["list"].read(iter(lines), "allow.txt"))
    kept = [(i.host, i.port) for i in items if isinstance(i, Observation)]
    assert kept == [("10.0.0.5", 5672), ("2001:db8::10", 443)]
    assert [i.lineno for i in items if isinstance(i, Skipped)] == list(range(1, 11))


def test_build_refuses_a_wildcard_flag_that_reaches_a_metadata_name() -> None:
    """``--wildcard ec2.internal`` would reach instance-data.ec2.internal: refused like a public suffix."""
    from egressmap.errors import ConfigError
    from egressmap.generalize import apply_wildcards

    with pytest.raises(ConfigError, match="instance-data.ec2.internal"):
        apply_wildcards([], ["ec2.internal"], lambda s: False, lambda s: False)
