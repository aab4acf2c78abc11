"""Azure Network Security Group outbound rules, as an ARM template or ``az`` commands.

Service tags for the policy's Azure service endpoints, the CycleCloud node ports, and a final deny of the
``Internet`` tag.

An NSG cannot name a host, only addresses and service tags (https://learn.microsoft.com/azure/
virtual-network/service-tags-overview). So:

- Azure cloud-scope entries become one rule per service tag (the tag the classifier noted for the host), on
  the entries' ports. Priorities follow the CycleCloud locked-down network guide (seed 003,
  https://learn.microsoft.com/azure/cyclecloud/how-to/running-in-locked-down-network): Storage 100,
  AzureActiveDirectory 101, AzureMonitor 102, AzureResourceManager 103; other tags from 104 in name order.
- IP literals with the CycleCloud node ports become ``amqp_5672`` (110) and ``https_9443`` (111) to those
  addresses; other IP literals follow from 120.
- ``BlockOutbound`` denies the ``Internet`` tag at 4000.
- Regional tags: when ``--param region=eastus,...`` (else ``--region`` or the policy's ``regions``) names
  Azure regions (``eastus``, the
  ``location`` form, no hyphen), a tag that Azure defines in regional form is written per region
  (``Storage.eastus``), one rule each, since a rule takes one service tag (augmented security rules take
  several addresses, not several tags). Which tags have regional forms: the "Can be regional?" column of
  https://learn.microsoft.com/azure/virtual-network/service-tags-overview (``REGIONAL_TAGS``). A tag with no
  regional form (AzureActiveDirectory, AzureMonitor, AzureResourceManager) stays global, with a note; so does
  a regional one when no Azure region is known, with a note asking for ``--region``. Azure's own list spells
  the regional names ``Storage.EastUS``; deployments write the ``location`` form (``Storage.${location}``)
  and the export does the same.
- Internet host names and other clouds' endpoints cannot be expressed; they are reported, and an FQDN
  target (azure-firewall, a proxy) has to carry them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, ClassVar

from ..errors import ConfigError
from ..model import Policy
from .azure_firewall import _SOURCE, _words
from .interface import Exporter, ExportOptions, Param, Rendered
from .rules import Rule

API_VERSION = "2023-09-01"
TAG_PRIORITY = {"Storage": 100, "AzureActiveDirectory": 101, "AzureMonitor": 102, "AzureResourceManager": 103}
TAG_NAMES = {
    "Storage": "AllowAzureStorage",
    "AzureActiveDirectory": "AllowActiveDirectory",
    "AzureMonitor": "AllowAzureMonitor",
    "AzureResourceManager": "AllowAzureRM",
}
NODE_PORTS = {5672: ("amqp_5672", 110), 9443: ("https_9443", 111)}
DENY_PRIORITY = 4000
REGIONAL_TAGS = frozenset(
    {
        "ApiManagement",
        "AppService",
        "AutonomousDevelopmentPlatform",
        "AzureCloud",
        "AzureConnectors",
        "AzureContainerAppsService",
        "AzureContainerRegistry",
        "AzureCosmosDB",
        "AzureDevOps",
        "AzureIoTHub",
        "AzureKeyVault",
        "AzureWebPubSub",
        "BatchNodeManagement",
        "DataFactory",
        "EventHub",
        "HDInsight",
        "MicrosoftContainerRegistry",
        "PowerPlatformInfra",
        "ServiceBus",
        "Sql",
        "Storage",
    }
)
"""Tags the service tags overview marks "Can be regional? Yes" (outbound-relevant ones)."""
_AZURE_REGION = re.compile(r"[a-z]+[a-z0-9]*")
_TAG_NOTE = "Azure service tag: "

_PARAMS = {
    "source": Param("*", "source address prefix of the outbound rules (*, VirtualNetwork or a CIDR)"),
    "region": Param("", "Azure regions for regional service tags, comma-separated (eastus,westeurope)"),
}


class NsgExport(Exporter):
    """NSG outbound rules with service tags (ARM JSON, or az CLI with --flavor cli)."""

    name = "nsg"
    description = "Azure NSG outbound rules with service tags and a final deny of Internet"
    flavors = ("arm", "cli")
    params: ClassVar[Mapping[str, Param]] = MappingProxyType(_PARAMS)

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """The rules in priority order, as an ARM template or az commands."""
        flavor = self.flavor(options)
        source = str(self.param(options, "source"))
        if not (_SOURCE.match(source) or source == "VirtualNetwork"):
            raise ConfigError(f"nsg: --param source={source!r} is not *, VirtualNetwork or a CIDR")
        ruleset = self.rules(policy, options)
        tags: dict[str, set[int]] = {}
        ips: dict[int, list[str]] = {}
        left_out: list[str] = []
        for rule in ruleset.rules:
            tag = _tag(rule)
            if tag:
                tags.setdefault(tag, set()).update(rule.ports)
            elif rule.is_ip:
                for port in rule.ports:
                    ips.setdefault(port, []).append(rule.name)
            else:
                left_out.append(("*." if rule.wildcard else "") + rule.name)
        regions = self._regions(policy, options)
        used: set[int] = set(TAG_PRIORITY.values())
        rules = _tag_rules(tags, source, regions, used) + _ip_rules(ips, source, used)
        rules.append(_rule("BlockOutbound", DENY_PRIORITY, "*", source, "Internet", ["*"], "Deny"))
        notes = _region_notes(sorted(tags), regions)
        if left_out:
            shown = ", ".join(left_out[:5]) + (f" and {len(left_out) - 5} more" if len(left_out) > 5 else "")
            notes.append(
                f"{len(left_out)} destinations have no service tag and cannot be in an NSG ({shown}); "
                "allow them with azure-firewall or a proxy"
            )
        text = _cli(rules) if flavor == "cli" else json.dumps(_arm(rules), indent=2) + "\n"
        return Rendered(text, tuple(notes), ruleset.rejected)

    def _regions(self, policy: Policy, options: ExportOptions) -> list[str]:
        """``--param region``, else the Azure names among ``--region`` or the policy's ``regions``."""
        raw = [r.strip() for r in str(self.param(options, "region")).split(",") if r.strip()]
        bad = [r for r in raw if not _AZURE_REGION.fullmatch(r.lower())]
        if bad:
            raise ConfigError(
                f"nsg: --param region={','.join(bad)!r}: use Azure region names such as eastus or westeurope"
            )
        return azure_regions(raw or options.regions or policy.regions)


def _tag(rule: Rule) -> str | None:
    c = rule.entry.classification
    if c.provider != "azure":
        return None
    for note in c.notes:
        if note.startswith(_TAG_NOTE):
            tag = note[len(_TAG_NOTE) :].strip()
            if tag.replace(".", "").isalnum():
                return tag
    return None


def azure_regions(regions: Sequence[str]) -> list[str]:
    """The Azure region names among ``regions`` (``eastus``, ``westeurope``; AWS's ``us-east-1`` is not one).

    >>> azure_regions(["us-east-1", "eastus", "WestEurope"])
    ['eastus', 'westeurope']
    """
    return list(dict.fromkeys(r.lower() for r in regions if _AZURE_REGION.fullmatch(r.lower())))


def _region_notes(tags: list[str], regions: list[str]) -> list[str]:
    """Where a tag allows every region: no regional form exists, or no Azure region is known."""
    notes = []
    global_only = [t for t in tags if t not in REGIONAL_TAGS]
    regional = [t for t in tags if t in REGIONAL_TAGS]
    if global_only:
        notes.append(
            f"{', '.join(global_only)}: Azure defines no regional form of this service tag; the global tag "
            "allows the service's addresses in every region"
        )
    if regional and not regions:
        notes.append(
            f"{', '.join(regional)}: no Azure region given, so the global tag allows every region (for "
            f"Storage: every storage account anywhere); give --param region=eastus (or the policy's regions) "
            f"for {regional[0]}.<region>"
        )
    return notes


def _next_free(start: int, used: set[int]) -> int:
    """The first priority from ``start`` that no rule has and the CycleCloud node-port rules do not reserve."""
    reserved = {p for _, p in NODE_PORTS.values()}
    while start in used or start in reserved:
        start += 1
    used.add(start)
    return start


def _tag_rules(
    tags: dict[str, set[int]], source: str, regions: list[str], used: set[int]
) -> list[dict[str, Any]]:
    out = []
    for tag in sorted(tags, key=lambda t: (TAG_PRIORITY.get(t, 10_000), t)):
        ports = [str(p) for p in sorted(tags[tag])]
        name = TAG_NAMES.get(tag, f"Allow{tag.replace('.', '')}")
        scoped = [(f"{tag}.{r}", f"{name}_{r}") for r in regions] if tag in REGIONAL_TAGS else []
        if len(scoped) == 1:
            scoped = [(scoped[0][0], name)]
        for i, (dest, rule_name) in enumerate(scoped or [(tag, name)]):
            if i == 0 and tag in TAG_PRIORITY:
                priority = TAG_PRIORITY[tag]
                used.add(priority)
            else:
                priority = _next_free(104, used)
            out.append(_rule(rule_name, priority, "Tcp", source, dest, ports))
    return out


def _ip_rules(ips: dict[int, list[str]], source: str, used: set[int]) -> list[dict[str, Any]]:
    out = []
    for port in sorted(ips, key=lambda p: (p not in NODE_PORTS, p)):
        if port in NODE_PORTS:
            name, priority = NODE_PORTS[port]
        else:
            name, priority = f"AllowInternal_{port}", _next_free(120, used)
        out.append(_rule(name, priority, "Tcp", source, sorted(ips[port]), [str(port)]))
    return out


def _rule(
    name: str,
    priority: int,
    protocol: str,
    source: str,
    dest: str | list[str],
    ports: list[str],
    access: str = "Allow",
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "priority": priority,
        "direction": "Outbound",
        "access": access,
        "protocol": protocol,
        "sourceAddressPrefix": source,
        "sourcePortRange": "*",
    }
    if isinstance(dest, list) and len(dest) > 1:
        props["destinationAddressPrefixes"] = dest
    else:
        props["destinationAddressPrefix"] = dest[0] if isinstance(dest, list) else dest
    if len(ports) > 1:
        props["destinationPortRanges"] = ports
    else:
        props["destinationPortRange"] = ports[0]
    return {"name": name, "properties": props}


def _arm(rules: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "metadata": {
            "description": "egressmap allowlist as NSG outbound rules (service tags, deny Internet)"
        },
        "parameters": {
            "nsgName": {"type": "string", "metadata": {"description": "The existing NSG to add the rules to"}}
        },
        "resources": [
            {
                "type": "Microsoft.Network/networkSecurityGroups/securityRules",
                "apiVersion": API_VERSION,
                "name": f"[concat(parameters('nsgName'), '/{rule['name']}')]",
                "properties": rule["properties"],
            }
            for rule in rules
        ],
    }


def _cli(rules: list[dict[str, Any]]) -> str:
    lines = [
        "#!/usr/bin/env bash",
        "# egressmap allowlist as NSG outbound rules (az CLI).",
        "# Usage: RESOURCE_GROUP=rg NSG=name bash this-file",
        "set -euo pipefail",
        ': "${RESOURCE_GROUP:?set RESOURCE_GROUP}" "${NSG:?set NSG}"',
    ]
    for rule in rules:
        p = rule["properties"]
        dest = p.get("destinationAddressPrefixes") or [p["destinationAddressPrefix"]]
        ports = p.get("destinationPortRanges") or [p["destinationPortRange"]]
        lines.append(
            f'az network nsg rule create --resource-group "$RESOURCE_GROUP" --nsg-name "$NSG" '
            f"--name {rule['name']} --priority {p['priority']} --direction Outbound --access {p['access']} "
            f"--protocol {_words([p['protocol']])} --source-address-prefixes {_words([p['sourceAddressPrefix']])} "
            f"--source-port-ranges '*' --destination-address-prefixes {_words(dest)} "
            f"--destination-port-ranges {_words(ports)}"
        )
    return "\n".join(lines) + "\n"
