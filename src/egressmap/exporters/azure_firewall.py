"""Azure Firewall: a Firewall Policy rule collection group, as an ARM template or ``az`` CLI commands.

Application rules carry the host names; network rules carry IP literals.

Wildcard meaning from the Azure Firewall FAQ (MicrosoftDocs/azure-docs ``articles/firewall/firewall-faq.yml``;
``docs/reference/formats-and-anchors.md`` A4, B2): ``*.x.com`` matches any depth below ``x.com`` but not
``x.com`` itself; ``*x.com`` would also match ``anyx.com`` and is never written.

- exact -> ``x.com``; apex+subdomains -> ``x.com`` and ``*.x.com``; subdomains -> ``*.x.com``;
  one-label -> ``*.x.com`` (widened: no one-label wildcard exists).
- IP literals go to a network rule (TCP, their ports), not to application rules; IPv6 addresses to network
  rules of their own (``allow-ipv6-PORTS``), with a note: Azure Firewall matches IPv6 only in network rules and
  only when deployed dual stack (https://learn.microsoft.com/en-us/azure/firewall/deploy-dual-stack-firewall,
  in preview); an IPv4-only firewall never passes them.
- Application rule protocols: port 80 is ``Http``, every other port ``Https`` (TLS assumed), at most 64000.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, ClassVar

from ..errors import ConfigError
from ..model import Policy
from .interface import Exporter, ExportOptions, Param, Rendered
from .rules import Rule, RuleSet

API_VERSION = "2023-09-01"
MAX_APP_PORT = 64000

_PARAMS = {
    "priority": Param("200", "rule collection group priority (100-65000)", int),
    "name": Param("egressmap-allowlist", "rule collection group name"),
    "sources": Param("*", "source addresses/CIDRs the rules apply to (space-separated, or *)"),
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")
_SOURCE = re.compile(r"^(\*|[0-9a-fA-F.:]+(/\d{1,3})?)$")


class AzureFirewallExport(Exporter):
    """Azure Firewall Policy application (and network) rules for the allowlist."""

    name = "azure-firewall"
    description = "Azure Firewall policy rule collection group (ARM JSON, or az CLI with --flavor cli)"
    flavors = ("arm", "cli")
    params: ClassVar[Mapping[str, Param]] = MappingProxyType(_PARAMS)

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The ARM template or the az commands."""
        flavor = self.flavor(options)
        priority = int(self.param(options, "priority"))
        group = str(self.param(options, "name"))
        sources = str(self.param(options, "sources")).split()
        if (
            not 100 <= priority <= 65000
            or not _NAME.match(group)
            or not all(_SOURCE.match(s) for s in sources)
        ):
            raise ConfigError(
                "azure-firewall: --param priority 100-65000, name [A-Za-z0-9_.-], sources CIDRs or *"
            )
        ruleset = self.rules(policy, options)
        app, net, notes = _rules(ruleset, sources)
        collections = []
        if app:
            collections.append(_collection("egressmap-fqdns", priority, app))
        if net:
            collections.append(_collection("egressmap-addresses", priority + 1, net))
        if flavor == "cli":
            text = _cli(group, priority, collections)
        else:
            text = json.dumps(_arm(group, priority, collections), indent=2) + "\n"
        return Rendered(text, tuple(notes), ruleset.rejected)


def _targets(rule: Rule, notes: list[str]) -> list[str]:
    if rule.match == "exact":
        return [rule.name]
    if rule.match == "apex-and-subdomains":
        return [rule.name, f"*.{rule.name}"]
    if rule.match == "one-label":
        notes.append(
            f"*.{rule.name}: Azure Firewall has no one-label wildcard; widened to every depth below it"
        )
    return [f"*.{rule.name}"]


def _rules(
    ruleset: RuleSet, sources: list[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Application rules grouped by identical port sets; one network rule per port set of IP literals."""
    notes: list[str] = []
    by_ports: dict[tuple[int, ...], list[str]] = {}
    ips: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    for rule in ruleset.rules:
        if rule.is_ip:
            v6 = ":" in rule.name
            ips.setdefault(("ipv6" if v6 else "ip", rule.ports), []).append(rule.name)
            if v6:
                notes.append(
                    f"{rule.name}: an IPv6 address; Azure Firewall matches it in a network rule only when "
                    "deployed dual stack (IPv6 support is in preview); an IPv4-only firewall never passes it"
                )
            continue
        ports = tuple(p for p in rule.ports if p <= MAX_APP_PORT)
        if len(ports) < len(rule.ports):
            notes.append(
                f"{rule.name}: ports above {MAX_APP_PORT} cannot be in an application rule; left out"
            )
        if ports:
            by_ports.setdefault(ports, []).extend(_targets(rule, notes))
    tls_other = sorted({p for ports in by_ports for p in ports if p not in (80, 443)})
    if tls_other:
        notes.append(f"ports {', '.join(map(str, tls_other))}: written as Https (TLS assumed)")
    app = [
        {
            "ruleType": "ApplicationRule",
            "name": "allow-" + "-".join(str(p) for p in ports),
            "protocols": [{"protocolType": "Http" if p == 80 else "Https", "port": p} for p in ports],
            "targetFqdns": list(dict.fromkeys(targets)),
            "sourceAddresses": sources,
        }
        for ports, targets in sorted(by_ports.items())
    ]
    net = [
        {
            "ruleType": "NetworkRule",
            "name": f"allow-{family}-" + "-".join(str(p) for p in ports),
            "ipProtocols": ["TCP"],
            "destinationAddresses": addresses,
            "destinationPorts": [str(p) for p in ports],
            "sourceAddresses": sources,
        }
        for (family, ports), addresses in sorted(ips.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    return app, net, notes


def _collection(name: str, priority: int, rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "ruleCollectionType": "FirewallPolicyFilterRuleCollection",
        "name": name,
        "priority": priority,
        "action": {"type": "Allow"},
        "rules": rules,
    }


def _arm(group: str, priority: int, collections: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {"description": "egressmap allowlist as an Azure Firewall Policy rule collection group"},
        "parameters": {
            "firewallPolicyName": {
                "type": "string",
                "metadata": {"description": "The existing Firewall Policy to add the rules to"},
            }
        },
        "resources": [
            {
                "type": "Microsoft.Network/firewallPolicies/ruleCollectionGroups",
                "apiVersion": API_VERSION,
                "name": f"[concat(parameters('firewallPolicyName'), '/{group}')]",
                "properties": {"priority": priority, "ruleCollections": collections},
            }
        ],
    }


def _cli(group: str, priority: int, collections: list[dict[str, Any]]) -> str:
    lines = [
        "#!/usr/bin/env bash",
        "# egressmap allowlist as an Azure Firewall Policy rule collection group (az CLI).",
        "# Usage: RESOURCE_GROUP=rg FIREWALL_POLICY=policy bash this-file",
        "set -euo pipefail",
        ': "${RESOURCE_GROUP:?set RESOURCE_GROUP}" "${FIREWALL_POLICY:?set FIREWALL_POLICY}"',
        'base=(--resource-group "$RESOURCE_GROUP" --policy-name "$FIREWALL_POLICY" --rcg-name ' + group + ")",
        f'az network firewall policy rule-collection-group create --resource-group "$RESOURCE_GROUP" '
        f'--policy-name "$FIREWALL_POLICY" --name {group} --priority {priority}',
    ]
    for col in collections:
        for i, rule in enumerate(col["rules"]):
            if i == 0:
                head = (
                    "az network firewall policy rule-collection-group collection add-filter-collection "
                    f'"${{base[@]}}" --name {col["name"]} --collection-priority {col["priority"]} --action Allow'
                )
            else:
                head = (
                    "az network firewall policy rule-collection-group collection rule add "
                    f'"${{base[@]}}" --collection-name {col["name"]}'
                )
            lines.append(f"{head} \\\n    {_cli_rule(rule)}")
    return "\n".join(lines) + "\n"


def _cli_rule(rule: dict[str, Any]) -> str:
    sources = _words(rule["sourceAddresses"])
    if rule["ruleType"] == "ApplicationRule":
        protocols = " ".join(f"{p['protocolType']}={p['port']}" for p in rule["protocols"])
        return (
            f"--rule-name {rule['name']} --rule-type ApplicationRule --protocols {protocols} \\\n"
            f"    --source-addresses {sources} --target-fqdns {_words(rule['targetFqdns'])}"
        )
    return (
        f"--rule-name {rule['name']} --rule-type NetworkRule --ip-protocols TCP \\\n"
        f"    --source-addresses {sources} --destination-addresses {_words(rule['destinationAddresses'])} "
        f"--destination-ports {' '.join(rule['destinationPorts'])}"
    )


def _words(values: list[str]) -> str:
    """Shell words, quoted so that ``*.x.com`` is never a glob."""
    return " ".join(shlex.quote(v) for v in values)
