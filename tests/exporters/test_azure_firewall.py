"""Azure Firewall rules: FQDN wildcards as the FAQ defines them, IP literals as network rules, az CLI."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from egressmap.errors import ConfigError
from egressmap.exporters import ExportOptions
from egressmap.exporters.azure_firewall import AzureFirewallExport
from egressmap.model import Classification, Entry, Match, Policy, entry_covers


def _entry(pattern: str, match: Match = "exact", ports: tuple[int, ...] = (443,)) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern, (host,), ports, Classification(), "observed", 1, 0, ("observed: t",), (), match=match
    )


KINDS = Policy(
    (
        _entry("exact.com", ports=(80, 443)),
        _entry("*.apex.com", "apex-and-subdomains"),
        _entry("*.subs.com", "subdomains"),
        _entry("*.one.com", "one-label"),
        _entry("vendor.com", ports=(8443,)),
        _entry("10.0.0.5", ports=(8080,)),
    )
)


def _fqdn_matches(target: str, host: str) -> bool:
    """Azure Firewall TargetFQDN matching from the FAQ: '*.x' is any depth below x, never x itself."""
    if target.startswith("*."):
        return host.endswith(target[1:])
    return host == target


def _rules(text: str) -> list[dict[str, Any]]:
    (resource,) = json.loads(text)["resources"]
    assert resource["type"] == "Microsoft.Network/firewallPolicies/ruleCollectionGroups"
    return [r for c in resource["properties"]["ruleCollections"] for r in c["rules"]]


def test_arm_rules_by_port_set() -> None:
    """Application rules are grouped by port set with Http for 80 and Https otherwise; IPs in a network rule."""
    rendered = AzureFirewallExport().render(KINDS, ExportOptions())
    rules = {r["name"]: r for r in _rules(rendered.text)}
    assert rules["allow-80-443"]["protocols"] == [
        {"protocolType": "Http", "port": 80},
        {"protocolType": "Https", "port": 443},
    ]
    assert rules["allow-80-443"]["targetFqdns"] == ["exact.com"]
    assert rules["allow-443"]["targetFqdns"] == ["apex.com", "*.apex.com", "*.one.com", "*.subs.com"]
    assert rules["allow-8443"]["protocols"] == [{"protocolType": "Https", "port": 8443}]
    assert rules["allow-ip-8080"]["destinationAddresses"] == ["10.0.0.5"]
    assert rules["allow-ip-8080"]["destinationPorts"] == ["8080"]
    assert not any(
        t.startswith("*") and not t.startswith("*.") for r in rules.values() for t in r.get("targetFqdns", [])
    )
    assert any("*.one.com: Azure Firewall has no one-label wildcard" in n for n in rendered.approximations)


@pytest.mark.parametrize(
    ("host", "widened"),
    [
        ("exact.com", False),
        ("a.exact.com", False),
        ("apex.com", False),
        ("a.b.apex.com", False),
        ("subs.com", False),
        ("a.b.subs.com", False),
        ("a.one.com", False),
        ("a.b.one.com", True),
        ("one.com", False),
    ],
)
def test_targets_mean_what_the_policy_means(host: str, widened: bool) -> None:
    """Read with the FAQ's rules, targets allow the policy's hosts; only the one-label entry is wider."""
    targets = [
        t
        for r in _rules(AzureFirewallExport().render(KINDS, ExportOptions()).text)
        for t in r.get("targetFqdns", [])
    ]
    allowed = any(_fqdn_matches(t, host) for t in targets)
    policy = any(entry_covers(e.pattern, e.match, host) for e in KINDS.entries)
    assert (allowed, policy) == ((True, False) if widened else (policy, policy))


def test_cli_flavor_is_valid_bash_with_quoted_wildcards() -> None:
    """The az script parses with bash -n and quotes *.names so the shell never globs them."""
    text = AzureFirewallExport().render(KINDS, ExportOptions(flavor="cli")).text
    assert subprocess.run(["bash", "-n"], input=text, text=True, check=False).returncode == 0
    assert "'*.apex.com'" in text and " *.apex.com" not in text
    assert "--rule-type NetworkRule --ip-protocols TCP" in text


@pytest.mark.parametrize(("key", "value"), [("priority", "5"), ("name", "a b"), ("sources", "0.0.0.0/0;x")])
def test_params_are_checked(key: str, value: str) -> None:
    """Settings are validated before they reach the template."""
    with pytest.raises(ConfigError):
        AzureFirewallExport().render(KINDS, ExportOptions(params={key: value}))


def test_ipv6_addresses_get_a_network_rule_of_their_own_and_a_note() -> None:
    """IPv6 literals go to an ``allow-ipv6-*`` network rule, never an application rule, with the dual-stack note."""
    policy = Policy((_entry("2001:db8::10", ports=(443, 9443)), _entry("10.0.0.5", ports=(443, 9443))))
    rendered = AzureFirewallExport().render(policy, ExportOptions())
    rules = [r for c in _collections(rendered.text) for r in c["rules"]]
    v6 = [r for r in rules if r["name"] == "allow-ipv6-443-9443"]
    assert (
        len(v6) == 1
        and v6[0]["ruleType"] == "NetworkRule"
        and v6[0]["destinationAddresses"] == ["2001:db8::10"]
    )
    assert all("2001:db8::10" not in r.get("targetFqdns", []) for r in rules)
    assert any("dual stack" in n and "2001:db8::10" in n for n in rendered.approximations)


def _collections(text: str) -> list[dict[str, Any]]:
    doc = json.loads(text)
    group = next(r for r in doc["resources"] if "ruleCollectionGroups" in r["type"])
    collections: list[dict[str, Any]] = group["properties"]["ruleCollections"]
    return collections
