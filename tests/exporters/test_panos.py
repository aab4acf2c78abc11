"""PAN-OS EDLs: each policy kind written with the token wildcards PAN-OS documents, and their meaning."""

from __future__ import annotations

import re

import pytest

from egressmap.exporters import ExportOptions
from egressmap.exporters.panos import PanEdlDomainExport, PanEdlIpExport, PanEdlUrlExport
from egressmap.model import Classification, Entry, Match, Policy, entry_covers


def _entry(pattern: str, match: Match = "exact", ports: tuple[int, ...] = (443,)) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern, (host,), ports, Classification(), "observed", 1, 0, ("observed: t",), (), match=match
    )


KINDS = Policy(
    (
        _entry("exact.com"),
        _entry("*.apex.com", "apex-and-subdomains"),
        _entry("*.subs.com", "subdomains"),
        _entry("*.one.com", "one-label"),
        _entry("10.0.0.5", ports=(8080,)),
    )
)


def _url_matches(entry: str, host: str) -> bool:
    """PAN-OS URL-list matching of a host (no path), per the URL category exception guidelines.

    Tokens are separated by '.' and '/'; '*' stands for one or more tokens, '^' for exactly one; an entry
    ending in '/' matches the host itself (and its paths).
    """
    assert entry.endswith("/")
    tokens = entry[:-1].split(".")
    parts = [r"[^./]+(?:\.[^./]+)*" if t == "*" else r"[^./]+" if t == "^" else re.escape(t) for t in tokens]
    return re.fullmatch(r"\.".join(parts), host) is not None


def test_domain_list_lines() -> None:
    """exact is ^name, apex+subdomains both forms, subdomains and one-label *.name, no IPs."""
    rendered = PanEdlDomainExport().render(KINDS, ExportOptions())
    assert rendered.text.splitlines() == ["^apex.com", "*.apex.com", "^exact.com", "*.one.com", "*.subs.com"]
    notes = " | ".join(rendered.approximations)
    assert "10.0.0.5: a domain list cannot hold an IP address" in notes
    assert "*.one.com: one label only is not expressible" in notes
    assert "restrict ports" not in notes  # issue 14: PAN-OS cannot use a domain list in a Security rule


def test_url_list_lines_all_end_with_slash() -> None:
    """Every URL entry ends in '/', so x.com cannot also match x.com.au (IP literals go to pan-edl-ip)."""
    lines = PanEdlUrlExport().render(KINDS, ExportOptions()).text.splitlines()
    assert lines == ["apex.com/", "*.apex.com/", "exact.com/", "^.one.com/", "*.subs.com/"]


@pytest.mark.parametrize(
    "host",
    [
        "exact.com",
        "a.exact.com",
        "exact.com.au",
        "apex.com",
        "a.apex.com",
        "a.b.apex.com",
        "subs.com",
        "a.subs.com",
        "a.b.subs.com",
        "one.com",
        "a.one.com",
        "a.b.one.com",
    ],
)
def test_url_list_means_what_the_policy_means(host: str) -> None:
    """Read with PAN-OS token rules, the URL list allows exactly the hosts the policy allows."""
    lines = PanEdlUrlExport().render(KINDS, ExportOptions()).text.splitlines()
    allowed = any(_url_matches(line, host) for line in lines)
    assert allowed == any(entry_covers(e.pattern, e.match, host) for e in KINDS.entries)


def test_domain_list_is_for_dns_security_only() -> None:
    """Fails before issue 14: the domain list says it is for DNS Security and points to pan-edl-url for egress."""
    rendered = PanEdlDomainExport().render(KINDS, ExportOptions())
    usage = rendered.approximations[0]
    assert "Anti-Spyware" in usage and "DNS Security" in usage and "--to pan-edl-url" in usage
    assert not any("security rule that uses the list" in n for n in rendered.approximations)


def test_url_list_says_how_it_is_deployed() -> None:
    """Fails before issue 14: the URL list's usage names the URL Category of a Security rule and its Service."""
    policy = Policy((_entry("pypi.org"), _entry("*.ubuntu.com", "apex-and-subdomains", (80, 443))))
    (usage,) = PanEdlUrlExport().render(policy, ExportOptions()).approximations[:1]
    assert usage.startswith("use: an External Dynamic List of type URL List, selected as the URL Category")
    assert "Security policy rule" in usage and "Service tcp/80,443" in usage
    assert "Application ssl, web-browsing" in usage


def test_ip_literals_go_to_an_ip_list_with_ipv6_as_is() -> None:
    """Fails before issue 14 (no pan-edl-ip; IPs were written into the URL list, which PAN-OS skips)."""
    policy = Policy((_entry("pypi.org"), _entry("10.1.0.4", ports=(5672, 9443)), _entry("2001:db8::10")))
    url = PanEdlUrlExport().render(policy, ExportOptions())
    assert url.text == "pypi.org/\n"
    assert any(n.startswith("2001:db8::10, 10.1.0.4: PAN-OS skips IP addresses") for n in url.approximations)
    ip = PanEdlIpExport().render(policy, ExportOptions())
    assert sorted(ip.text.splitlines()) == ["10.1.0.4 # tcp 5672,9443", "2001:db8::10 # tcp 443"]
    assert "host names left out (1)" in " | ".join(ip.approximations)
    only = PanEdlIpExport().render(policy, ExportOptions(params={"port": "9443"}))
    assert only.text == "10.1.0.4 # tcp 9443\n"


PORTS = Policy(
    (
        _entry("pypi.org"),
        _entry("archive.ubuntu.com", ports=(80,)),
        _entry("*.ubuntu.com", "apex-and-subdomains", (80, 443)),
        _entry("vendor.example.com", ports=(8443,)),
    )
)


def test_one_list_per_port_is_port_exact() -> None:
    """Fails before issue 14 (no --param port): one list and rule per port allow exactly the policy's pairs."""
    hosts = ["pypi.org", "archive.ubuntu.com", "ubuntu.com", "a.ubuntu.com", "vendor.example.com"]
    allowed = set()
    for port in (80, 443, 8443):
        rendered = PanEdlUrlExport().render(PORTS, ExportOptions(params={"port": str(port)}))
        assert f"Service tcp/{port};" in rendered.approximations[0]
        lines = rendered.text.splitlines()
        allowed |= {(h, port) for h in hosts if any(_url_matches(line, h) for line in lines)}
    expected = {
        (h, p)
        for h in hosts
        for p in (80, 443, 8443)
        for e in PORTS.entries
        if p in e.ports and entry_covers(e.pattern, e.match, h)
    }
    assert allowed == expected


def test_one_list_for_every_port_names_each_widened_entry() -> None:
    """Without --param port, each entry a rule over the whole list would allow on other ports is named."""
    notes = PanEdlUrlExport().render(PORTS, ExportOptions()).approximations
    widened = {n.split(" ", 1)[0]: n for n in notes if "also allows it on" in n}
    assert set(widened) == {"pypi.org", "archive.ubuntu.com", "*.ubuntu.com", "vendor.example.com"}
    assert widened["pypi.org"].startswith(
        "pypi.org (policy: port 443): one rule with this list as URL Category and Service tcp/80,443,8443 "
        "also allows it on 80, 8443"
    )
