"""NSG rules: seed 003's service-tag priorities, CycleCloud node ports, deny Internet at 4000."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from egressmap.exporters import ExportOptions
from egressmap.exporters.nsg import NsgExport
from egressmap.model import Policy


def _rules(text: str) -> dict[str, dict[str, Any]]:
    resources = json.loads(text)["resources"]
    assert {r["type"] for r in resources} == {"Microsoft.Network/networkSecurityGroups/securityRules"}
    return {r["name"].split("/")[-1].rstrip("')]"): r["properties"] for r in resources}


def test_seed_003_priorities_and_node_ports(shared_policy: Policy) -> None:
    """Storage 100, AAD 101, ARM 103 on 443; amqp_5672 110, https_9443 111 to the server; deny 4000."""
    rules = _rules(NsgExport().render(shared_policy, ExportOptions()).text)
    summary = {
        name: (p["priority"], p["access"], p.get("destinationAddressPrefix"), p.get("destinationPortRange"))
        for name, p in rules.items()
    }
    assert summary == {
        "AllowAzureStorage": (100, "Allow", "Storage", "443"),
        "AllowActiveDirectory": (101, "Allow", "AzureActiveDirectory", "443"),
        "AllowAzureRM": (103, "Allow", "AzureResourceManager", "443"),
        "amqp_5672": (110, "Allow", "10.1.0.4", "5672"),
        "https_9443": (111, "Allow", "10.1.0.4", "9443"),
        "AllowInternal_8080": (120, "Allow", "10.0.0.5", "8080"),
        "BlockOutbound": (4000, "Deny", "Internet", "*"),
    }
    assert all(p["direction"] == "Outbound" for p in rules.values())


def test_names_without_service_tags_are_reported(shared_policy: Policy) -> None:
    """Internet names and AWS endpoints cannot be in an NSG: one note says how many and where to go."""
    rendered = NsgExport().render(shared_policy, ExportOptions())
    (note,) = rendered.approximations
    assert note.startswith("21 destinations have no service tag") and "azure-firewall" in note
    assert "pypi.org" not in rendered.text


def test_cli_flavor_is_valid_bash(shared_policy: Policy) -> None:
    """The az script parses with bash -n and quotes '*'."""
    text = NsgExport().render(shared_policy, ExportOptions(flavor="cli")).text
    assert subprocess.run(["bash", "-n"], input=text, text=True, check=False).returncode == 0
    assert "--protocol '*'" in text and text.count("az network nsg rule create") == 7
