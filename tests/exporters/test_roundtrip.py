"""Every export egressmap can read back gives the same entries again (issue 14, finding 2).

``list`` is read by the list source (``build``) and by ``verify``; ``json`` (and the YAML policy file) by
``export``, ``proxy --enforce`` and ``verify``; ``dns-firewall --flavor text`` is a list of names (DNS has no
ports and no IP addresses, so only its names and match kinds come back). On the code before issue 14 the list
wrote ``2001:db8::10:443``, read back as the address ``2001:db8::10:443``: the list test fails there.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import pytest

from egressmap.aggregate import aggregate
from egressmap.exporters import EXPORTERS, ExportOptions
from egressmap.model import Classification, Entry, Match, Observation, Policy, Skipped
from egressmap.policy import build_policy
from egressmap.policy_file import dump_yaml, entry_to_dict, policy_from_dict
from egressmap.sources import build_sources
from egressmap.verify.targets import plan_targets

Allow = tuple[str, Match, int]


def _entry(pattern: str, ports: tuple[int, ...], match: Match = "exact") -> Entry:
    hosts = (pattern,) if match == "exact" else ()
    return Entry(
        pattern, hosts, ports, Classification(), "observed", 1, 0, ("observed: test",), (), match=match
    )


POLICY = Policy(
    (
        _entry("pypi.org", (443,)),
        _entry("deb.debian.org", (80, 443)),
        _entry("cyclecloud.example.net", (9443,)),
        _entry("10.0.0.5", (5672, 9443)),
        _entry("203.0.113.7", (443,)),
        _entry("2001:db8::10", (443, 8443)),
        _entry("2001:db8:0:1::443", (80,)),  # an address whose last group looks like a port
        _entry("fd12:3456::20", (5672,)),
        _entry("*.archive.ubuntu.com", (80,), "subdomains"),
        _entry("*.apex.example.org", (443, 8080), "apex-and-subdomains"),
    )
)
"""Names, IPv4 and IPv6 literals (public and private), and the wildcard kinds a list can express."""


def _allows(entries: Iterable[Entry]) -> set[Allow]:
    """What entries allow: apex+subdomains is the apex plus every name below it (a list says it in two lines)."""
    out: set[Allow] = set()
    for e in entries:
        for port in e.ports:
            if e.match == "apex-and-subdomains":
                out |= {(e.pattern[2:], "exact", port), (e.pattern, "subdomains", port)}
            else:
                out.add((e.pattern, e.match, port))
    return out


def _read_list(text: str) -> Policy:
    items = build_sources()["list"].read(iter(text.splitlines()), "export.txt")
    return build_policy(aggregate(i for i in items if isinstance(i, Observation)).values())


def _render(name: str, flavor: str | None = None) -> str:
    rendered = EXPORTERS[name]().render(POLICY, ExportOptions(scope="all", flavor=flavor))
    assert not rendered.rejected
    return rendered.text


def test_list_round_trips_through_build() -> None:
    """``list`` (IPv6 as ``[addr]:port``) read back by ``build`` allows exactly what the policy allows."""
    text = _render("list")
    assert (
        "[2001:db8::10]:443" in text and "[2001:db8:0:1::443]:80" in text and "2001:db8::10:443" not in text
    )
    assert _allows(_read_list(text).entries) == _allows(POLICY.entries)


def test_list_round_trips_through_verify() -> None:
    """``verify`` reads the ``list`` export to the same names, addresses, ports and wildcards."""
    plan = plan_targets(list(enumerate(_render("list").splitlines(), 1)), "export.txt", canary=False)
    assert not plan.problems
    exact = {(t.host, "exact", t.port) for t in plan.targets if not t.pattern.startswith(("*", "."))}
    wild = {(p, m) for p, m in plan.allows if m != "exact"}
    want = _allows(POLICY.entries)
    assert exact == {a for a in want if a[1] == "exact"}
    assert wild == {(p, m) for p, m, _ in want if m != "exact"}


@pytest.mark.parametrize("how", ["json", "yaml"])
def test_policy_formats_round_trip_field_for_field(how: str) -> None:
    """The JSON export and the YAML policy file read back to the same entries, every field."""
    if how == "json":
        data = json.loads(_render("json"))
    else:
        import yaml

        data = yaml.safe_load(dump_yaml(POLICY))
    again = policy_from_dict(data, how)
    assert [entry_to_dict(e) for e in again.entries] == [entry_to_dict(e) for e in POLICY.entries]


def test_dns_firewall_names_round_trip() -> None:
    """The DNS Firewall import file reads back to the policy's names and match kinds (no ports, no addresses)."""
    back = {(p, m) for p, m, _ in _allows(_read_list(_render("dns-firewall", "text")).entries)}
    names = {(p, m) for p, m, _ in _allows(POLICY.entries) if not p[0].isdigit() and ":" not in p}
    assert back == names


def test_a_bare_ipv6_line_ending_like_a_port_is_read_as_one_address_with_a_warning() -> None:
    """``2001:db8::10:443`` (what the list wrote before) stays one address, and the reader says how it read it."""
    items = list(build_sources()["list"].read(iter(["2001:db8::10:443", "2001:db8::10"]), "old.txt"))
    hosts = [(i.host, i.port) for i in items if isinstance(i, Observation)]
    assert hosts == [("2001:db8::10:443", 443), ("2001:db8::10", 443)]
    warnings = [i for i in items if isinstance(i, Skipped)]
    assert len(warnings) == 1 and "[2001:db8::10]:443" in warnings[0].reason
