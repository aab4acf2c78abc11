"""The dns-firewall exporter: the import file, the CloudFormation allowlist, and what DNS cannot say."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from egressmap.exporters import ExportOptions
from egressmap.exporters.dns_firewall import DnsFirewallExport
from egressmap.model import Classification, Entry, Match, Policy

from .cfnlint import cfn_lint

DNS = DnsFirewallExport()

DOMAIN_SPEC = re.compile(r"\*?[A-Za-z0-9.-]{1,254}")
"""ImportFirewallDomains: an optional leading ``*``, then letters, digits and hyphens (and dots, which the
API text leaves out), 1-255 characters."""


def _entry(pattern: str, match: Match = "exact", ports: tuple[int, ...] = (443,)) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern, (host,), ports, Classification(), "observed", 1, 0, ("observed: t",), (), match=match
    )


def _lines(*entries: Entry) -> list[str]:
    return DNS.render(Policy(entries), ExportOptions()).text.splitlines()


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ("exact", ["x.example.com"]),
        ("apex-and-subdomains", ["x.example.com", "*.x.example.com"]),
        ("subdomains", ["*.x.example.com"]),
        ("one-label", ["*.x.example.com"]),
    ],
)
def test_each_match_kind_becomes_these_lines(match: Match, expected: list[str]) -> None:
    """exact -> x; apex+subdomains -> x and *.x; subdomains and one-label -> *.x."""
    pattern = "x.example.com" if match == "exact" else "*.x.example.com"
    assert _lines(_entry(pattern, match)) == expected


def test_text_is_one_spec_valid_domain_per_line_without_comments_or_dots(shared_policy: Policy) -> None:
    """The import file holds only domain specifications: no comments, no blank lines, no trailing dots."""
    text = DNS.render(shared_policy, ExportOptions()).text
    lines = text.splitlines()
    assert text.endswith("\n") and lines
    assert all(DOMAIN_SPEC.fullmatch(line) and not line.endswith(".") for line in lines), lines
    assert len(lines) == len(set(lines))
    assert "10.0.0.5" not in text and "10.1.0.4" not in text


def test_approximation_notes_name_each_loss(shared_policy: Policy) -> None:
    """IP literals, subdomains-only apex behaviour, one-label widening and ports: one note each."""
    assert DNS.render(shared_policy, ExportOptions()).approximations == (
        "10.1.0.4: an IP address is not a DNS name; left out of the domain list",
        "10.0.0.5: an IP address is not a DNS name; left out of the domain list",
        "*.snapcraftcontent.com (subdomains only): written as *.snapcraftcontent.com; "
        "whether DNS Firewall also matches snapcraftcontent.com with it is unverified",
        "*.blob.core.windows.net (one label): DNS Firewall has no one-label wildcard; "
        "widened to *.blob.core.windows.net (subdomains at any depth)",
        "DNS has no ports: names are allowed whatever the port (policy ports: 80, 443, 8443)",
    )


def test_exact_names_only_need_just_the_ports_note() -> None:
    """Exact and apex entries are expressed exactly; only the missing ports are noted."""
    rendered = DNS.render(Policy((_entry("pypi.org"),)), ExportOptions())
    assert rendered.approximations == (
        "DNS has no ports: names are allowed whatever the port (policy ports: 443)",
    )
    assert DNS.render(Policy(()), ExportOptions()).approximations == ()


def test_cloudformation_passes_cfn_lint(shared_policy: Policy, tmp_path: Path) -> None:
    """Enforce and audit templates, and the template for an empty policy, lint clean."""
    templates = {
        mode: DNS.render(shared_policy, ExportOptions(flavor="cloudformation", mode=mode)).text
        for mode in ("enforce", "audit")
    }
    templates["empty"] = DNS.render(Policy(()), ExportOptions(flavor="cloudformation")).text
    cfn_lint(templates, tmp_path)


def _template(policy: Policy, mode: Literal["audit", "enforce"] = "enforce") -> dict[str, Any]:
    options = ExportOptions(flavor="cloudformation", mode=mode)
    loaded: dict[str, Any] = yaml.safe_load(DNS.render(policy, options).text)
    return loaded


def test_cloudformation_allows_the_list_then_blocks_the_rest_with_nodata(shared_policy: Policy) -> None:
    """ALLOW at 100 trusting CNAME chains, then BLOCK NODATA for the ``*`` catch-all at 200."""
    resources = _template(shared_policy)["Resources"]
    text_lines = DNS.render(shared_policy, ExportOptions()).text.splitlines()
    assert resources["AllowlistDomains"]["Properties"]["Domains"] == text_lines
    assert resources["CatchAllDomains"]["Properties"]["Domains"] == ["*"]
    allow, block = resources["AllowlistRuleGroup"]["Properties"]["FirewallRules"]
    assert allow == {
        "Priority": 100,
        "FirewallDomainListId": {"Fn::GetAtt": ["AllowlistDomains", "Id"]},
        "Action": "ALLOW",
        "FirewallDomainRedirectionAction": "TRUST_REDIRECTION_DOMAIN",
    }
    assert block == {
        "Priority": 200,
        "FirewallDomainListId": {"Fn::GetAtt": ["CatchAllDomains", "Id"]},
        "Action": "BLOCK",
        "BlockResponse": "NODATA",
    }
    assert not any(r["Type"].endswith("Association") for r in resources.values())


def test_audit_mode_only_alerts_on_the_catch_all(shared_policy: Policy) -> None:
    """``--mode audit`` turns the catch-all into ALERT, so nothing is blocked while the list is checked."""
    rules = _template(shared_policy, "audit")["Resources"]["AllowlistRuleGroup"]["Properties"][
        "FirewallRules"
    ]
    assert rules[1]["Action"] == "ALERT" and "BlockResponse" not in rules[1]
