"""PAN-OS EDLs: each policy kind written with the token wildcards PAN-OS documents, and their meaning."""

from __future__ import annotations

import re

import pytest

from egressmap.exporters import ExportOptions
from egressmap.exporters.panos import PanEdlDomainExport, PanEdlUrlExport
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
    assert "EDL entries carry no ports" in notes


def test_url_list_lines_all_end_with_slash() -> None:
    """Every URL entry ends in '/', so x.com cannot also match x.com.au."""
    lines = PanEdlUrlExport().render(KINDS, ExportOptions()).text.splitlines()
    assert lines == ["10.0.0.5/", "apex.com/", "*.apex.com/", "exact.com/", "^.one.com/", "*.subs.com/"]


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
