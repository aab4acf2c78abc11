from __future__ import annotations

import pytest

from egressmap.classify import classify
from egressmap.classify.azure import classify_azure
from egressmap.model import Classification

# Seed 003: the CycleCloud VM's outbound hosts -> (service, category, private_endpoint, notes).
SEED_003 = {
    "management.azure.com": (
        "resource-manager",
        "cloud-api",
        "none",
        ("Azure service tag: AzureResourceManager",),
    ),
    "login.microsoftonline.com": (
        "entra-id",
        "cloud-api",
        "none",
        ("Azure service tag: AzureActiveDirectory",),
    ),
    "watson.telemetry.microsoft.com": ("telemetry", "telemetry", "none", ()),
    "dc.applicationinsights.azure.com": (
        "application-insights",
        "cloud-api",
        "interface",
        ("Azure service tag: AzureMonitor",),
    ),
    "dc.applicationinsights.microsoft.com": (
        "application-insights",
        "cloud-api",
        "interface",
        ("Azure service tag: AzureMonitor",),
    ),
    "dc.services.visualstudio.com": (
        "application-insights",
        "cloud-api",
        "interface",
        ("Azure service tag: AzureMonitor",),
    ),
    "ratecard.azure-api.net": ("ratecard", "cloud-api", "none", ("Azure price data API",)),
}


@pytest.mark.parametrize(("host", "expected"), sorted(SEED_003.items()))
def test_seed_003_cyclecloud_hosts(host: str, expected: tuple[str, str, str, tuple[str, ...]]) -> None:
    """Every host seed 003 lists is an Azure service endpoint with its service tag."""
    c = classify(host)
    assert (c.scope, c.provider, c.region, c.partition, c.shared_hosting) == (
        "cloud",
        "azure",
        None,
        None,
        False,
    )
    assert (c.service, c.category, c.private_endpoint, c.notes) == expected


def test_blob_storage_account() -> None:
    """A blob endpoint names its storage account and the service endpoint alternative."""
    assert classify("cyclecloudstore.blob.core.windows.net") == Classification(
        scope="cloud",
        provider="azure",
        service="storage",
        private_endpoint="interface",
        category="cloud-api",
        public_suffix="net",
        registrable_domain="windows.net",
        shared_hosting=True,
        notes=(
            "Azure service tag: Storage",
            "storage account: cyclecloudstore",
            "storage endpoint: blob",
            "a VNet service endpoint for Microsoft.Storage also carries it (seed 003)",
        ),
    )


@pytest.mark.parametrize("kind", ["file", "queue", "table", "dfs"])
def test_other_storage_endpoints(kind: str) -> None:
    """File, queue, table and Data Lake endpoints are storage too."""
    c = classify(f"acct.{kind}.core.windows.net")
    assert (c.service, c.private_endpoint, c.notes[1:3]) == (
        "storage",
        "interface",
        ("storage account: acct", f"storage endpoint: {kind}"),
    )


def test_sovereign_storage() -> None:
    """China-cloud storage names are recognised and say which cloud."""
    c = classify("acct.blob.core.chinacloudapi.cn")
    assert (c.service, c.notes[-1]) == ("storage", "sovereign cloud: AzureChinaCloud")


@pytest.mark.parametrize(
    ("host", "service", "notes"),
    [
        ("myvault.vault.azure.net", "key-vault", ("Azure service tag: AzureKeyVault", "key vault: myvault")),
        ("ns1.servicebus.windows.net", "service-bus", ("Azure service tag: ServiceBus", "namespace: ns1")),
        (
            "eastus-8.in.applicationinsights.azure.com",
            "application-insights",
            ("Azure service tag: AzureMonitor",),
        ),
        (
            "0123-abcd.ods.opinsights.azure.com",
            "log-analytics",
            ("Azure service tag: AzureMonitor", "workspace: 0123-abcd"),
        ),
    ],
)
def test_private_link_services(host: str, service: str, notes: tuple[str, ...]) -> None:
    """Key Vault, Service Bus and Azure Monitor names are carried by Private Link."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.private_endpoint, c.notes) == (
        "cloud",
        "azure",
        service,
        "interface",
        notes,
    )


@pytest.mark.parametrize(
    "host", ["packages.microsoft.com", "learn.microsoft.com", "core.windows.net", "azure.com"]
)
def test_not_azure_service_endpoints(host: str) -> None:
    """Microsoft web and package hosts are not Azure service endpoints."""
    assert classify_azure(host) is None


def test_packages_microsoft_com_is_os_packages() -> None:
    """packages.microsoft.com is an internet OS package repository."""
    c = classify("packages.microsoft.com")
    assert (c.scope, c.provider, c.category) == ("internet", None, "os-packages")
