"""NSG rules: seed 003's service-tag priorities, CycleCloud node ports, deny Internet at 4000."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from typing import Any

import pytest

from egressmap.classify import classify
from egressmap.errors import ConfigError
from egressmap.exporters import ExportOptions
from egressmap.exporters.nsg import NsgExport
from egressmap.model import Entry, Policy


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
    (note,) = [n for n in rendered.approximations if "have no service tag" in n]
    assert note.startswith("21 destinations have no service tag") and "azure-firewall" in note
    assert "pypi.org" not in rendered.text


def test_cli_flavor_is_valid_bash(shared_policy: Policy) -> None:
    """The az script parses with bash -n and quotes '*'."""
    text = NsgExport().render(shared_policy, ExportOptions(flavor="cli")).text
    assert subprocess.run(["bash", "-n"], input=text, text=True, check=False).returncode == 0
    assert "--protocol '*'" in text and text.count("az network nsg rule create") == 7


def _regional_policy() -> Policy:
    """Storage, Entra ID and Monitor names, plus the CycleCloud server's address."""
    entries = tuple(
        Entry(host, (host,), (443,), classify(host), "observed", 1, 0, ("observed: t",), ())
        for host in (
            "mystore.blob.core.windows.net",
            "login.microsoftonline.com",
            "dc.services.visualstudio.com",
        )
    )
    return Policy(entries)


def test_storage_tag_is_regional_when_the_policy_has_a_region() -> None:
    """Fails before issue 14 (the global Storage tag: every storage account in every region)."""
    rendered = NsgExport().render(_regional_policy(), ExportOptions(params={"region": "eastus"}))
    rules = _rules(rendered.text)
    assert rules["AllowAzureStorage"]["destinationAddressPrefix"] == "Storage.eastus"
    assert rules["AllowAzureStorage"]["priority"] == 100
    assert rules["AllowActiveDirectory"]["destinationAddressPrefix"] == "AzureActiveDirectory"
    assert rules["AllowAzureMonitor"]["destinationAddressPrefix"] == "AzureMonitor"
    assert "Storage" not in {p["destinationAddressPrefix"] for p in rules.values()}
    assert rendered.approximations == (
        "AzureActiveDirectory, AzureMonitor: Azure defines no regional form of this service tag; the global "
        "tag allows the service's addresses in every region",
    )


def test_several_regions_get_one_rule_each_with_unique_priorities() -> None:
    """A rule takes one service tag: Storage.eastus and Storage.westeurope are two rules, AWS regions ignored."""
    options = ExportOptions(regions=("us-east-1",))
    policy = replace(_regional_policy(), regions=("eastus", "us-east-1", "westeurope"))
    rules = _rules(NsgExport().render(policy, ExportOptions()).text)
    assert "Storage.eastus" not in NsgExport().render(_regional_policy(), options).text
    storage = {
        n: p["destinationAddressPrefix"] for n, p in rules.items() if n.startswith("AllowAzureStorage")
    }
    assert storage == {
        "AllowAzureStorage_eastus": "Storage.eastus",
        "AllowAzureStorage_westeurope": "Storage.westeurope",
    }
    priorities = [p["priority"] for p in rules.values()]
    assert len(priorities) == len(set(priorities))


def test_without_an_azure_region_the_global_storage_tag_is_named() -> None:
    """No Azure region: Storage stays global and a note asks for --region."""
    notes = NsgExport().render(_regional_policy(), ExportOptions()).approximations
    assert any(n.startswith("Storage: no Azure region given") for n in notes)


def test_region_parameter_is_checked() -> None:
    """An AWS-style or malformed region in --param region is a ConfigError naming the parameter."""
    with pytest.raises(ConfigError, match="--param region"):
        NsgExport().render(_regional_policy(), ExportOptions(params={"region": "us-east-1"}))
