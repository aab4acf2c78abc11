"""The aws-network-firewall exporter: cfn-lint on every shape, Terraform JSON, rules-source choice, notes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from egressmap.errors import ConfigError
from egressmap.exporters import ExportOptions
from egressmap.exporters.aws_network_firewall import AwsNetworkFirewallExport, _tf_literal
from egressmap.exporters.suricata import SuricataExport
from egressmap.exporters.suricata_rules import name_options
from egressmap.model import Classification, Entry, Match, Policy

from .cfnlint import cfn_lint
from .test_suricata import ParsedRule, buffer_matches, parse_rule

NFW = AwsNetworkFirewallExport()

EXACT_AND_APEX = Policy(
    (
        Entry("pypi.org", ("pypi.org",), (443,), Classification(), "observed", 1, 0, ("observed: t",), ()),
        Entry(
            "*.ubuntu.com",
            ("ubuntu.com",),
            (80, 443),
            Classification(),
            "observed",
            1,
            0,
            ("observed: t",),
            (),
            match="apex-and-subdomains",
        ),
    )
)
"""Only the two kinds a domain list expresses."""


def _entry(pattern: str, match: Match = "exact", ports: tuple[int, ...] = (443,)) -> Entry:
    host = pattern.removeprefix("*.")
    return Entry(
        pattern, (host,), ports, Classification(), "observed", 1, 0, ("observed: t",), (), match=match
    )


def _cfn(policy: Policy, **params: str) -> dict[str, Any]:
    text = NFW.render(policy, ExportOptions(flavor="cloudformation", params=params)).text
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def _group(template: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"]["AllowlistRuleGroup"]["Properties"]
    return props


def test_cloudformation_passes_cfn_lint(shared_policy: Policy, tmp_path: Path) -> None:
    """Rules string, forced domain list, automatic domain list and an empty policy all lint clean."""
    templates = {
        "suricata": NFW.render(shared_policy, ExportOptions()).text,
        "forced-list": NFW.render(
            shared_policy,
            ExportOptions(params={"rules": "domain-list", "home_net": "10.0.0.0/16,10.1.0.0/16"}),
        ).text,
        "auto-list": NFW.render(EXACT_AND_APEX, ExportOptions(params={"rules": "domain-list"})).text,
        "auto-exact": NFW.render(EXACT_AND_APEX, ExportOptions()).text,
        "empty": NFW.render(Policy(()), ExportOptions()).text,
    }
    cfn_lint(templates, tmp_path)


def test_rule_group_is_stateful_strict_order_with_home_net(shared_policy: Policy) -> None:
    """STATEFUL, STRICT_ORDER, HOME_NET from a parameter, and the drop-established note in the description."""
    template = _cfn(shared_policy)
    props = _group(template)
    assert template["Resources"]["AllowlistRuleGroup"]["Type"] == "AWS::NetworkFirewall::RuleGroup"
    assert props["Type"] == "STATEFUL"
    assert props["RuleGroup"]["StatefulRuleOptions"] == {"RuleOrder": "STRICT_ORDER"}
    assert props["RuleGroup"]["RuleVariables"] == {"IPSets": {"HOME_NET": {"Definition": {"Ref": "HomeNet"}}}}
    assert template["Parameters"]["HomeNet"]["Type"] == "CommaDelimitedList"
    assert "Default" not in template["Parameters"]["HomeNet"]
    assert "aws:drop_established" in props["Description"] and len(props["Description"]) <= 512


def test_forced_domain_list_of_exact_and_apex_names() -> None:
    """rules=domain-list (``auto`` before issue 14): x.com, .x.com, ALLOWLIST for TLS_SNI and HTTP_HOST."""
    source = _group(_cfn(EXACT_AND_APEX, rules="domain-list"))["RuleGroup"]["RulesSource"]
    assert source == {
        "RulesSourceList": {
            "GeneratedRulesType": "ALLOWLIST",
            "TargetTypes": ["TLS_SNI", "HTTP_HOST"],
            "Targets": [".ubuntu.com", "pypi.org"],
        }
    }
    rendered = NFW.render(EXACT_AND_APEX, ExportOptions(params={"rules": "domain-list"}))
    assert rendered.approximations == (
        "*.ubuntu.com (policy: port 80, 443): the domain list allows it over TLS (SNI) and HTTP (Host) on any port",
        "pypi.org (policy: port 443): the domain list allows it over TLS (SNI) and HTTP (Host) on any port",
        "domain lists carry no ports: each name is allowed for TLS_SNI and HTTP_HOST on any port "
        "(policy ports: 80, 443)",
    )


def test_auto_writes_the_suricata_rules_even_for_exact_and_apex_names() -> None:
    """Fails before issue 14 (auto wrote a domain list): the default is the port-exact rules string."""
    rendered = NFW.render(EXACT_AND_APEX, ExportOptions())
    rules_string = _group(yaml.safe_load(rendered.text))["RuleGroup"]["RulesSource"]["RulesString"]
    suricata = SuricataExport().render(EXACT_AND_APEX, ExportOptions()).text
    assert rules_string.splitlines() == [line for line in suricata.splitlines() if not line.startswith("#")]
    assert rendered.approximations == ()
    assert "port-exact" in rendered.text


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ((_entry("*.x.com", "subdomains"),), "subdomains only"),
        ((_entry("*.x.com", "one-label"),), "one label"),
        ((_entry("10.0.0.5", ports=(8080,)), _entry("pypi.org")), "IP literal"),
    ],
)
def test_auto_falls_back_to_the_suricata_rules_when_a_list_would_widen(
    entries: tuple[Entry, ...], reason: str
) -> None:
    """Subdomains-only, one-label and IP entries make ``auto`` write the suricata exporter's rules verbatim."""
    policy = Policy(entries)
    rules_string = _group(_cfn(policy))["RuleGroup"]["RulesSource"]["RulesString"]
    suricata = SuricataExport().render(policy, ExportOptions()).text
    assert rules_string.splitlines() == [
        line for line in suricata.splitlines() if not line.startswith("#")
    ], reason


def test_forced_domain_list_widens_and_says_so(shared_policy: Policy) -> None:
    """Subdomains-only and one-label widen, IPs are left out, ports dropped: one note each, and one per name."""
    rendered = NFW.render(shared_policy, ExportOptions(params={"rules": "domain-list"}))
    targets = _group(yaml.safe_load(rendered.text))["RuleGroup"]["RulesSource"]["RulesSourceList"]["Targets"]
    assert {".snapcraftcontent.com", ".blob.core.windows.net", ".ubuntu.com", "pypi.org"} <= set(targets)
    assert not any(t[0].isdigit() for t in targets)
    per_name = [n for n in rendered.approximations if "(policy: port" in n]
    assert len(per_name) == len(targets)
    assert any(n.startswith("pypi.org (policy: port 443)") for n in per_name)
    assert tuple(n for n in rendered.approximations if n not in per_name) == (
        "10.1.0.4: an IP address cannot be in a domain list; left out (--param rules=suricata)",
        "10.0.0.5: an IP address cannot be in a domain list; left out (--param rules=suricata)",
        "*.snapcraftcontent.com (subdomains only): a domain list cannot leave out the apex; "
        "widened to .snapcraftcontent.com (snapcraftcontent.com too)",
        "*.blob.core.windows.net (one label): a domain list cannot limit the depth; "
        "widened to .blob.core.windows.net (blob.core.windows.net and subdomains at any depth)",
        "domain lists carry no ports: each name is allowed for TLS_SNI and HTTP_HOST on any port "
        "(policy ports: 80, 443, 8443)",
    )


@pytest.mark.parametrize(
    ("ports", "types"), [((443,), ["TLS_SNI"]), ((80,), ["HTTP_HOST"]), ((8080,), ["TLS_SNI", "HTTP_HOST"])]
)
def test_target_types_follow_the_ports(ports: tuple[int, ...], types: list[str]) -> None:
    """HTTPS-only policies get no HTTP_HOST targets and HTTP-only ones no TLS_SNI targets."""
    source = _group(_cfn(Policy((_entry("pypi.org", ports=ports),)), rules="domain-list"))["RuleGroup"][
        "RulesSource"
    ]
    assert source["RulesSourceList"]["TargetTypes"] == types


def test_capacity_is_twice_the_rules_rounded_up_to_a_hundred() -> None:
    """A domain list of 60 names for two target types: 122 rules, so capacity 300; a parameter overrides it."""
    policy = Policy(tuple(_entry(f"h{i}.example.com", ports=(80, 443)) for i in range(60)))
    assert _group(_cfn(policy))["Capacity"] == 300
    assert _group(_cfn(EXACT_AND_APEX))["Capacity"] == 100
    assert _group(_cfn(policy, capacity="1000"))["Capacity"] == 1000
    with pytest.raises(ConfigError, match="below the 122 rules"):
        _cfn(policy, capacity="100")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"rules": "bogus"}, "choose auto, domain-list or suricata"),
        ({"name": "bad name!"}, "letters, digits and hyphens"),
        ({"home_net": "10.0.0.0/33"}, "home_net"),
    ],
)
def test_bad_parameters_are_config_errors(params: dict[str, str], message: str) -> None:
    """Unknown rules sources, names the API refuses and malformed CIDRs name the parameter."""
    with pytest.raises(ConfigError, match=message):
        NFW.render(EXACT_AND_APEX, ExportOptions(params=params))


def test_domain_list_of_nothing_is_refused() -> None:
    """A forced domain list with no host names in the policy cannot be created, so it is an error."""
    with pytest.raises(ConfigError, match="no host names"):
        NFW.render(Policy((_entry("10.0.0.5"),)), ExportOptions(params={"rules": "domain-list"}))


def test_terraform_json_has_the_resource_and_its_fields(shared_policy: Policy) -> None:
    """aws_networkfirewall_rule_group with rules_string, HOME_NET ip set, strict order and variables."""
    text = NFW.render(
        shared_policy, ExportOptions(flavor="terraform", params={"home_net": "10.0.0.0/16"})
    ).text
    doc = json.loads(text)
    assert set(doc) == {"//", "variable", "resource", "output"}
    group = doc["resource"]["aws_networkfirewall_rule_group"]["egressmap_allowlist"]
    assert group["type"] == "STATEFUL" and group["capacity"] == 100
    assert group["name"] == "${var.rule_group_name}"
    body = group["rule_group"]
    assert body["stateful_rule_options"] == {"rule_order": "STRICT_ORDER"}
    assert body["rule_variables"]["ip_sets"] == [
        {"key": "HOME_NET", "ip_set": {"definition": "${var.home_net}"}}
    ]
    assert body["rules_source"]["rules_string"].startswith("pass tcp $HOME_NET any -> 10.1.0.4 ")
    assert doc["variable"]["home_net"] == {
        "type": "list(string)",
        "description": "CIDRs whose egress this rule group inspects (Suricata HOME_NET)",
        "default": ["10.0.0.0/16"],
    }
    assert (
        doc["output"]["rule_group_arn"]["value"]
        == "${aws_networkfirewall_rule_group.egressmap_allowlist.arn}"
    )


def test_terraform_domain_list_shape() -> None:
    """The domain list in Terraform's spelling: rules_source_list with generated_rules_type and targets."""
    options = ExportOptions(flavor="terraform", params={"rules": "domain-list"})
    doc = json.loads(NFW.render(EXACT_AND_APEX, options).text)
    source = doc["resource"]["aws_networkfirewall_rule_group"]["egressmap_allowlist"]["rule_group"][
        "rules_source"
    ]
    assert source == {
        "rules_source_list": {
            "generated_rules_type": "ALLOWLIST",
            "target_types": ["TLS_SNI", "HTTP_HOST"],
            "targets": [".ubuntu.com", "pypi.org"],
        }
    }
    assert "default" not in doc["variable"]["home_net"]


def test_terraform_template_sequences_stay_literal() -> None:
    """``${`` and ``%{`` in a rules string would be Terraform templates: they are doubled."""
    assert _tf_literal("a ${b} %{c} $HOME_NET") == "a $${b} %%{c} $HOME_NET"


def _generated(source: dict[str, Any]) -> list[str]:
    """The Suricata rules a rule group runs: its rules string, or what AWS generates from its domain list.

    The generated shape (destination port ``any``, one drop rule per protocol) is the one on
    https://docs.aws.amazon.com/network-firewall/latest/developerguide/suricata-examples.html
    """
    if "RulesString" in source:
        return [line for line in source["RulesString"].splitlines() if line]
    listed = source["RulesSourceList"]
    lines = []
    for kind, proto in (("TLS_SNI", "tls"), ("HTTP_HOST", "http")):
        if kind not in listed["TargetTypes"]:
            continue
        state = "ssl_state:client_hello; " if proto == "tls" else ""
        for target in listed["Targets"]:
            match = "apex-and-subdomains" if target.startswith(".") else "exact"
            opts = name_options(proto, target.lstrip("."), match)  # type: ignore[arg-type]
            lines.append(f'pass {proto} $HOME_NET any -> $EXTERNAL_NET any ({state}{opts} msg:"m"; sid:1;)')
        lines.append(f'drop {proto} $HOME_NET any -> $EXTERNAL_NET any (msg:"d"; sid:2;)')
    return lines


def _port_matches(spec: str, port: int) -> bool:
    return spec == "any" or port in {int(p) for p in spec.strip("[]").split(",")}


def _verdict(rules: list[ParsedRule], proto: str, host: str, port: int) -> str:
    """Strict order: the first rule whose protocol, port and name match decides; none is aws:drop_established."""
    for rule in rules:
        if rule.proto not in (proto, "tcp") or not _port_matches(rule.dst_port, port):
            continue
        if rule.proto == "tcp":
            if rule.dst == host:
                return rule.action
            continue
        keys = [k for k, _ in rule.options]
        if ("tls.sni" in keys or "http.host" in keys) and not buffer_matches(rule, host):
            continue
        return rule.action
    return "drop"


PORT_CASES = Policy((_entry("pypi.org"), _entry("archive.ubuntu.com", ports=(80,))))
"""An HTTPS-only host and an HTTP-only host."""


@pytest.mark.parametrize(
    ("proto", "host", "port", "verdict"),
    [
        ("tls", "pypi.org", 443, "pass"),
        ("http", "pypi.org", 80, "drop"),
        ("http", "pypi.org", 443, "drop"),
        ("tls", "pypi.org", 8443, "drop"),
        ("http", "pypi.org", 8080, "drop"),
        ("http", "archive.ubuntu.com", 80, "pass"),
        ("tls", "archive.ubuntu.com", 443, "drop"),
        ("tls", "archive.ubuntu.com", 80, "drop"),
        ("tls", "evil.example.net", 443, "drop"),
    ],
)
def test_default_output_is_port_and_protocol_exact(proto: str, host: str, port: int, verdict: str) -> None:
    """Fails before issue 14 (auto wrote a domain list: pypi.org over HTTP on any port, port-80 hosts over TLS)."""
    source = _group(_cfn(PORT_CASES))["RuleGroup"]["RulesSource"]
    rules = [parse_rule(line) for line in _generated(source)]
    assert _verdict(rules, proto, host, port) == verdict


def test_forced_domain_list_widens_ports_and_names_each_entry() -> None:
    """rules=domain-list lets pypi.org over HTTP on any port and says so for pypi.org and archive.ubuntu.com."""
    rendered = NFW.render(PORT_CASES, ExportOptions(params={"rules": "domain-list"}))
    source = _group(yaml.safe_load(rendered.text))["RuleGroup"]["RulesSource"]
    rules = [parse_rule(line) for line in _generated(source)]
    assert _verdict(rules, "http", "pypi.org", 8080) == "pass"
    assert _verdict(rules, "tls", "archive.ubuntu.com", 443) == "pass"
    assert _verdict(rules, "tls", "evil.example.net", 443) == "drop"
    named = [n.split(" ", 1)[0] for n in rendered.approximations if "(policy: port" in n]
    assert sorted(named) == ["archive.ubuntu.com", "pypi.org"]
