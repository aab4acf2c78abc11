"""``aws-network-firewall``: a stateful rule group for AWS Network Firewall, as CloudFormation or Terraform.

Sources:
- Domain lists (``RulesSourceList``: ``x.com`` exact, ``.x.com`` the name and every subdomain; ``TLS_SNI``,
  ``HTTP_HOST``): https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_RulesSourceList.html
- CloudFormation: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-networkfirewall-rulegroup.html
- Terraform: https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/networkfirewall_rule_group
  and JSON syntax (``"//"`` comments): https://developer.hashicorp.com/terraform/language/syntax/json
- Capacity (a stateful group needs at least as much as the rules it holds; fixed at creation):
  https://docs.aws.amazon.com/network-firewall/latest/developerguide/nwfw-rule-group-capacity.html
- ``HOME_NET`` defaults to the firewall's own VPC:
  https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_PolicyVariables.html
- Strict order needs the "drop established" default action for domain rules:
  https://docs.aws.amazon.com/network-firewall/latest/developerguide/suricata-examples.html

Rules source (``--param rules=auto|domain-list|suricata``, default ``auto``):
- ``auto`` (and ``suricata``): the Suricata rules of :mod:`.suricata_rules` as a ``RulesString``: each name on
  its own ports, port 80 as HTTP (Host), 443 as TLS (SNI), other ports both (noted). Port-exact.
- ``domain-list``: only when asked. The rules AWS generates from a domain list match the destination port
  ``any`` (suricata-examples page above), and the list has no port field (``RulesSourceList`` API page), so it
  allows each name over TLS (SNI) and HTTP (Host) on every port: each name is named on stderr with its policy
  ports and what the list allows instead. Subdomain-only and one-label names widen to ``.x.com``, IP literals
  are left out (notes). Its target types are ``TLS_SNI`` unless every port is 80 and ``HTTP_HOST`` unless every
  port is 443.

Capacity: the rules the group holds (a domain list generates one rule per target and target type plus one
drop rule per target type), doubled for growth and rounded up to a multiple of 100, at least 100;
``--param capacity=N`` sets it.
"""

from __future__ import annotations

import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from ..errors import ConfigError
from ..model import Policy
from .cfn import FORMAT_VERSION, template_yaml
from .interface import Exporter, ExportOptions, Param, Rendered
from .rules import Rule, RuleSet
from .suricata import DEFAULT_SID_START
from .suricata_rules import allowlist

Source = Literal["domain-list", "suricata"]

_NAME = re.compile(r"[a-zA-Z0-9-]{1,128}")
_RESOURCE = "egressmap_allowlist"
_ORDER_NOTE = (
    "Use it in a firewall policy with stateful rule order STRICT_ORDER and the stateful default action "
    "aws:drop_established: domain rules need an established connection to see the SNI or Host."
)
_TYPE_TEXT = {"TLS_SNI": "TLS (SNI)", "HTTP_HOST": "HTTP (Host)"}
_HOME_NOTE = "HOME_NET: the CIDRs whose egress is inspected; without it only the firewall's own VPC is."


@dataclass(frozen=True)
class RuleGroup:
    """What goes into the rule group: a domain list or Suricata rule lines, and what they lose."""

    source: Source
    targets: tuple[str, ...] = ()
    target_types: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    approximations: tuple[str, ...] = ()
    reason: str = ""
    """Why Suricata rules rather than a domain list."""

    @property
    def rule_count(self) -> int:
        """How many Suricata rules the group holds (a domain list's as AWS generates them)."""
        if self.source == "suricata":
            return len(self.lines)
        return (len(self.targets) + 1) * len(self.target_types)


def domain_list(rules: list[Rule]) -> RuleGroup:
    """The domain-list form of ``rules``: exact names and ``.suffix`` targets, widened where it must be."""
    targets: dict[str, None] = {}
    notes: list[str] = []
    for r in rules:
        if r.is_ip:
            notes.append(
                f"{r.name}: an IP address cannot be in a domain list; left out (--param rules=suricata)"
            )
        elif r.match == "exact":
            targets[r.name] = None
        else:
            targets["." + r.name] = None
            if r.match == "subdomains":
                notes.append(
                    f"*.{r.name} (subdomains only): a domain list cannot leave out the apex; "
                    f"widened to .{r.name} ({r.name} too)"
                )
            elif r.match == "one-label":
                notes.append(
                    f"*.{r.name} (one label): a domain list cannot limit the depth; "
                    f"widened to .{r.name} ({r.name} and subdomains at any depth)"
                )
    names = [r for r in rules if not r.is_ip]
    ports = sorted({p for r in names for p in r.ports})
    types = tuple(t for t, only in (("TLS_SNI", 80), ("HTTP_HOST", 443)) if any(p != only for p in ports))
    allowed = " and ".join(_TYPE_TEXT[t] for t in types)
    for r in names:
        shown = ("*." if r.wildcard else "") + r.name
        notes.append(
            f"{shown} (policy: port {', '.join(map(str, r.ports))}): the domain list allows it over {allowed} "
            "on any port"
        )
    if names:
        notes.append(
            f"domain lists carry no ports: each name is allowed for {' and '.join(types)} on any port "
            f"(policy ports: {', '.join(map(str, ports))})"
        )
    return RuleGroup("domain-list", tuple(targets), types, (), tuple(notes))


class AwsNetworkFirewallExport(Exporter):
    """A stateful, strict-order rule group: port-exact Suricata rules, or a domain list when asked for."""

    name = "aws-network-firewall"
    description = "AWS Network Firewall stateful rule group (CloudFormation YAML or Terraform JSON)"
    default_scope = "all"
    flavors = ("cloudformation", "terraform")
    params = {
        "rules": Param(
            "auto",
            "auto or suricata (port-exact Suricata rules string), domain-list (any port, widened entries named)",
        ),
        "sid_start": Param(str(DEFAULT_SID_START), "first sid of the Suricata rules", int),
        "capacity": Param("0", "rule group capacity; 0 computes it from the rules with room to grow", int),
        "home_net": Param("", "default CIDRs for HOME_NET, comma-separated (empty: asked at deploy time)"),
        "name": Param("egressmap-allowlist", "default rule group name"),
    }

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The rule group as a CloudFormation template or a Terraform JSON file."""
        flavor = self.flavor(options)
        ruleset = self.rules(policy, options)
        group = self.rule_group(ruleset, options)
        settings = self._settings(options, group.rule_count)
        text = _cloudformation(group, settings) if flavor == "cloudformation" else _terraform(group, settings)
        return Rendered(text, group.approximations, ruleset.rejected)

    def rule_group(self, ruleset: RuleSet, options: ExportOptions) -> RuleGroup:
        """The rules source ``--param rules`` asks for (``auto``: a domain list only where it is exact)."""
        wanted = str(self.param(options, "rules"))
        if wanted not in ("auto", "domain-list", "suricata"):
            raise ConfigError(f"{self.name}: --param rules={wanted!r}; choose auto, domain-list or suricata")
        rules = list(ruleset.rules)
        if wanted == "domain-list":
            if not ruleset.names():
                raise ConfigError(f"{self.name}: no host names to put in a domain list")
            return domain_list(rules)
        lines = allowlist(rules, int(self.param(options, "sid_start")))
        return RuleGroup(
            "suricata", lines=lines.lines, approximations=lines.approximations, reason=_why_not(rules, wanted)
        )

    def _settings(self, options: ExportOptions, needed: int) -> _Settings:
        """Name, HOME_NET default and capacity, checked."""
        name, raw = str(self.param(options, "name")), str(self.param(options, "home_net"))
        if not _NAME.fullmatch(name):
            raise ConfigError(f"{self.name}: --param name={name!r}: use 1-128 letters, digits and hyphens")
        try:
            cidrs = tuple(
                str(ipaddress.ip_network(c.strip(), strict=False)) for c in raw.split(",") if c.strip()
            )
        except ValueError as exc:
            raise ConfigError(f"{self.name}: --param home_net={raw!r}: {exc}") from None
        capacity = int(self.param(options, "capacity")) or max(100, -(-2 * needed // 100) * 100)
        if capacity < needed:
            raise ConfigError(f"{self.name}: --param capacity={capacity} is below the {needed} rules")
        return _Settings(name, cidrs, capacity)


class _Settings(NamedTuple):
    name: str
    home_net: tuple[str, ...]
    capacity: int


def _description(group: RuleGroup) -> str:
    what = (
        f"domain list of {len(group.targets)} names"
        if group.source == "domain-list"
        else f"{len(group.lines)} Suricata rules"
    )
    return f"egressmap allowlist, {what}, STRICT_ORDER. {_ORDER_NOTE}"


def _why_not(rules: list[Rule], wanted: str) -> str:
    """Why Suricata rules: asked for, or ``auto`` keeping each entry's ports and protocols."""
    if not rules:
        return "the policy has no entries"
    if wanted == "suricata":
        return "asked for with --param rules=suricata"
    return (
        "port-exact (a domain list would allow every name over TLS and HTTP on any port); "
        "--param rules=domain-list writes one anyway and names each widened entry"
    )


def _source_note(group: RuleGroup) -> str:
    if group.source == "domain-list":
        return (
            "Rules: a domain list (x.com exact, .x.com the name and every subdomain); it carries no ports: "
            "each name is allowed on any port."
        )
    return f"Rules: Suricata rules as in the suricata export (ports kept): {group.reason}."


def _cloudformation(group: RuleGroup, s: _Settings) -> str:
    home: dict[str, Any] = {
        "Type": "CommaDelimitedList",
        "Description": "CIDRs whose egress this rule group inspects (Suricata HOME_NET)",
    }
    if s.home_net:
        home["Default"] = ",".join(s.home_net)
    template = {
        "AWSTemplateFormatVersion": FORMAT_VERSION,
        "Description": "egressmap: AWS Network Firewall stateful rule group for the reviewed egress allowlist",
        "Parameters": {
            "RuleGroupName": {
                "Type": "String",
                "Default": s.name,
                "AllowedPattern": "^[a-zA-Z0-9-]+$",
                "MaxLength": 128,
                "Description": "Name of the rule group",
            },
            "HomeNet": home,
        },
        "Resources": {
            "AllowlistRuleGroup": {
                "Type": "AWS::NetworkFirewall::RuleGroup",
                "Properties": {
                    "RuleGroupName": {"Ref": "RuleGroupName"},
                    "Type": "STATEFUL",
                    "Capacity": s.capacity,
                    "Description": _description(group),
                    "RuleGroup": {
                        "RuleVariables": {"IPSets": {"HOME_NET": {"Definition": {"Ref": "HomeNet"}}}},
                        "RulesSource": _rules_source(group, terraform=False),
                        "StatefulRuleOptions": {"RuleOrder": "STRICT_ORDER"},
                    },
                },
            }
        },
        "Outputs": {
            "RuleGroupArn": {
                "Description": "Reference this ARN from a STRICT_ORDER firewall policy",
                "Value": {"Fn::GetAtt": ["AllowlistRuleGroup", "RuleGroupArn"]},
            }
        },
    }
    comments = (
        "egressmap aws-network-firewall (CloudFormation): a stateful rule group, rules in STRICT_ORDER.",
        _ORDER_NOTE,
        f"Parameter HomeNet sets {_HOME_NOTE}",
        _source_note(group),
    )
    return template_yaml(template, comments)


def _terraform(group: RuleGroup, s: _Settings) -> str:
    home: dict[str, Any] = {
        "type": "list(string)",
        "description": "CIDRs whose egress this rule group inspects (Suricata HOME_NET)",
    }
    if s.home_net:
        home["default"] = list(s.home_net)
    doc = {
        "//": " ".join(
            ("egressmap aws-network-firewall (Terraform).", _ORDER_NOTE, _HOME_NOTE, _source_note(group))
        ),
        "variable": {
            "home_net": home,
            "rule_group_name": {"type": "string", "default": s.name, "description": "Name of the rule group"},
        },
        "resource": {
            "aws_networkfirewall_rule_group": {
                _RESOURCE: {
                    "name": "${var.rule_group_name}",
                    "type": "STATEFUL",
                    "capacity": s.capacity,
                    "description": _description(group),
                    "rule_group": {
                        "rule_variables": {
                            "ip_sets": [{"key": "HOME_NET", "ip_set": {"definition": "${var.home_net}"}}]
                        },
                        "rules_source": _rules_source(group, terraform=True),
                        "stateful_rule_options": {"rule_order": "STRICT_ORDER"},
                    },
                }
            }
        },
        "output": {
            "rule_group_arn": {"value": f"${{aws_networkfirewall_rule_group.{_RESOURCE}.arn}}"},
        },
    }
    return json.dumps(doc, indent=2) + "\n"


def _rules_source(group: RuleGroup, *, terraform: bool) -> dict[str, Any]:
    """The rules source in CloudFormation's or Terraform's spelling."""
    if group.source == "suricata":
        text = "\n".join(group.lines) + "\n"
        return {"rules_string": _tf_literal(text)} if terraform else {"RulesString": text}
    keys = (
        ("rules_source_list", "generated_rules_type", "target_types", "targets")
        if terraform
        else ("RulesSourceList", "GeneratedRulesType", "TargetTypes", "Targets")
    )
    return {keys[0]: {keys[1]: "ALLOWLIST", keys[2]: list(group.target_types), keys[3]: list(group.targets)}}


def _tf_literal(text: str) -> str:
    """Terraform reads ``${`` and ``%{`` in JSON strings as templates; double them to keep them literal."""
    return text.replace("${", "$${").replace("%{", "%%{")
