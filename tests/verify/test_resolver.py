"""Name resolution: --resolve parsing, /etc/hosts, and real DNS answers from the loopback server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egressmap.errors import ConfigError
from egressmap.verify.resolver import Resolver, parse_nameserver, parse_resolve

from .servers import Lab


def _resolve(
    resolver: Resolver, host: str, port: int = 443, timeout: float = 30
) -> tuple[bool, str, tuple[str, ...]]:
    got = asyncio.run(resolver.resolve(host, port, timeout))
    return got.result.ok, got.result.detail, got.addresses


def test_parse_resolve_accepts_both_forms_and_brackets() -> None:
    """HOST:ADDR, curl's HOST:PORT:ADDR[,ADDR] and bracketed IPv6; names are normalised."""
    assert parse_resolve(["Pypi.ORG.:127.0.0.1", "x.test:8443:[::1],127.0.0.2", "y.test:::1"]) == {
        ("pypi.org", None): ("127.0.0.1",),
        ("x.test", 8443): ("::1", "127.0.0.2"),
        ("y.test", None): ("::1",),
    }


@pytest.mark.parametrize(
    "bad", ["pypi.org", "pypi.org:", "pypi.org:not-an-ip", "bad host:127.0.0.1", "x:99999:1.2.3.4"]
)
def test_parse_resolve_rejects_with_a_message(bad: str) -> None:
    """A bad --resolve value is a ConfigError naming the value."""
    with pytest.raises(ConfigError, match="--resolve"):
        parse_resolve([bad])


@given(st.text(max_size=60))
def test_parse_resolve_never_crashes(raw: str) -> None:
    """Arbitrary text is parsed or refused with ConfigError, nothing else."""
    try:
        parse_resolve([raw])
    except ConfigError:
        pass


def test_parse_nameserver() -> None:
    """IP, IP:PORT and [IPv6]:PORT; anything else is refused."""
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    with pytest.raises(ConfigError, match="--dns-server"):
        parse_nameserver("dns.example:53")


def test_overrides_are_per_port_then_per_name() -> None:
    """A port-specific override wins over a name-wide one; IP literals need no lookup."""
    resolver = Resolver(overrides={("a.test", 443): ("127.0.0.2",), ("a.test", None): ("127.0.0.3",)})
    assert _resolve(resolver, "a.test", 443)[2] == ("127.0.0.2",)
    assert _resolve(resolver, "a.test", 80)[2] == ("127.0.0.3",)
    assert _resolve(resolver, "10.1.2.3") == (True, "1 A, 0 AAAA (IP literal)", ("10.1.2.3",))


def test_hosts_file_is_read_like_the_node_does(tmp_path: Path) -> None:
    """Entries in the hosts file answer before DNS; IPv4 addresses come first."""
    hosts = tmp_path / "hosts"
    hosts.write_text("# comment\n::1 Dual.test\n127.0.0.9 dual.test alias.test # trailing\nbogus line\n")
    resolver = Resolver(hosts_file=str(hosts), nameserver=("127.0.0.1", 9))
    assert _resolve(resolver, "dual.test") == (True, f"1 A, 1 AAAA (from {hosts})", ("127.0.0.9", "::1"))


def test_dns_answers_a_and_aaaa(lab: Lab) -> None:
    """A name with only an AAAA record resolves to it; the detail counts both families."""
    resolver = Resolver(nameserver=("127.0.0.1", lab.dns_port), hosts_file="/nonexistent")
    assert _resolve(resolver, "v6only.egressmap.test") == (True, "0 A, 1 AAAA", ("::1",))
    assert _resolve(resolver, "nothing.egressmap.test")[:2] == (False, "NXDOMAIN")


def test_dns_timeout_is_bounded(lab: Lab) -> None:
    """A server that never answers (it reads every query) ends in the stage timeout, not a hang."""
    resolver = Resolver(nameserver=("127.0.0.1", lab.mute_dns_port), hosts_file="/nonexistent")
    ok, detail, _ = _resolve(resolver, "allowed.egressmap.test", timeout=0.3)
    assert not ok and detail in ("timeout after 0.3s", "timeout (no answer from the DNS server)")


def test_system_resolver_uses_getaddrinfo(tmp_path: Path) -> None:
    """--resolver system asks the C library (here for localhost, answered from /etc/hosts)."""
    ok, _, addresses = _resolve(Resolver(system=True), "localhost")
    assert ok and set(addresses) <= {"127.0.0.1", "::1"}
