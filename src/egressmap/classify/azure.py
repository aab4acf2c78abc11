"""Classify Azure host names: the CycleCloud control-plane hosts, storage accounts, key vaults, Service Bus.

Sources:

- CycleCloud's outbound host list and the NSG service tags that allow it (Storage, AzureActiveDirectory,
  AzureMonitor, AzureResourceManager): https://learn.microsoft.com/en-us/azure/cyclecloud/how-to/running-in-locked-down-network
  (seed 003; docs/reference/cyclecloud-ssm-os.md §1.1, §1.2).
- Service tag names: https://learn.microsoft.com/en-us/azure/virtual-network/service-tags-overview
- Which names a Private Link private endpoint answers for (``privatelink.blob.core.windows.net``,
  ``privatelink.vaultcore.azure.net``, ``privatelink.servicebus.windows.net``, the Azure Monitor zones
  ``privatelink.monitor.azure.com``, ``privatelink.ods.opinsights.azure.com``...):
  https://learn.microsoft.com/en-us/azure/private-link/private-endpoint-dns

Resource Manager, Entra ID login, Watson telemetry and the rate card API are treated as having no private
endpoint (``none``): the CycleCloud page reaches them over HTTPS egress or by service tag.

>>> c = classify_azure("mystore.blob.core.windows.net")
>>> c.service, c.private_endpoint, c.notes[:2]
('storage', 'interface', ('Azure service tag: Storage', 'storage account: mystore'))
>>> classify_azure("packages.microsoft.com") is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from egressmap.classify.suffixes import NO_SUFFIX, SuffixFields
from egressmap.model import Classification, PrivateEndpoint

__all__ = ["classify_azure", "domains"]


@dataclass(frozen=True, slots=True)
class _Service:
    """What a known Azure name is."""

    service: str
    tag: str | None
    private_endpoint: PrivateEndpoint
    category: str = "cloud-api"
    resource: str | None = None
    """For per-resource names (``{name}.blob.core.windows.net``): what the first label names."""
    extra: tuple[str, ...] = ()


_MONITOR = _Service("application-insights", "AzureMonitor", "interface")
_STORAGE_NOTE = "a VNet service endpoint for Microsoft.Storage also carries it (seed 003)"

#: Exact host names (seed 003 lists all of these).
_EXACT: dict[str, _Service] = {
    "management.azure.com": _Service("resource-manager", "AzureResourceManager", "none"),
    "login.microsoftonline.com": _Service("entra-id", "AzureActiveDirectory", "none"),
    "watson.telemetry.microsoft.com": _Service("telemetry", None, "none", category="telemetry"),
    "dc.applicationinsights.azure.com": _MONITOR,
    "dc.applicationinsights.microsoft.com": _MONITOR,
    "dc.services.visualstudio.com": _MONITOR,
    "ratecard.azure-api.net": _Service("ratecard", None, "none", extra=("Azure price data API",)),
}

#: Domains whose every name is the same service (regional ingestion hosts such as
#: ``eastus-8.in.applicationinsights.azure.com``).
_DOMAINS: dict[str, _Service] = {
    "applicationinsights.azure.com": _MONITOR,
}

#: Per-cloud DNS zones: public cloud, then the sovereign clouds.
_CLOUDS: tuple[tuple[str, str, str, str | None], ...] = (
    # storage zone, key vault zone, service bus zone, sovereign cloud name
    ("core.windows.net", "vault.azure.net", "servicebus.windows.net", None),
    ("core.chinacloudapi.cn", "vault.azure.cn", "servicebus.chinacloudapi.cn", "AzureChinaCloud"),
    (
        "core.usgovcloudapi.net",
        "vault.usgovcloudapi.net",
        "servicebus.usgovcloudapi.net",
        "AzureUSGovernment",
    ),
)
_STORAGE_KINDS = ("blob", "file", "queue", "table", "dfs", "web")


def _per_resource() -> dict[str, tuple[_Service, str | None]]:
    """``{zone: (service, sovereign cloud)}`` for names of the form ``{resource}.{zone}``."""
    table: dict[str, tuple[_Service, str | None]] = {}
    for storage, vault, servicebus, cloud in _CLOUDS:
        for kind in _STORAGE_KINDS:
            service = _Service(
                "storage",
                "Storage",
                "interface",
                resource="storage account",
                extra=(f"storage endpoint: {kind}",),
            )
            table[f"{kind}.{storage}"] = (service, cloud)
        table[vault] = (_Service("key-vault", "AzureKeyVault", "interface", resource="key vault"), cloud)
        table[servicebus] = (_Service("service-bus", "ServiceBus", "interface", resource="namespace"), cloud)
    for zone in ("ods.opinsights.azure.com", "oms.opinsights.azure.com"):
        table[zone] = (_Service("log-analytics", "AzureMonitor", "interface", resource="workspace"), None)
    return table


_PER_RESOURCE = _per_resource()


def _build(found: _Service, resource: str | None, cloud: str | None, psl: SuffixFields) -> Classification:
    notes: list[str] = []
    if found.tag:
        notes.append(f"Azure service tag: {found.tag}")
    if resource and found.resource:
        notes.append(f"{found.resource}: {resource}")
    notes.extend(found.extra)
    if found.service == "storage":
        notes.append(_STORAGE_NOTE)
    if cloud:
        notes.append(f"sovereign cloud: {cloud}")
    return Classification(
        scope="cloud",
        provider="azure",
        service=found.service,
        private_endpoint=found.private_endpoint,
        category=found.category,
        shared_hosting=resource is not None,
        notes=tuple(notes),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def domains() -> frozenset[str]:
    """The domains :func:`classify_azure` answers for (names equal to or under them); None for all others."""
    return frozenset({*_EXACT, *_DOMAINS, *_PER_RESOURCE})


def classify_azure(host: str, psl: SuffixFields = NO_SUFFIX) -> Classification | None:
    """Classify a normalised host if it is a known Azure service name, else return None (PSL fields: ``psl``).

    >>> classify_azure("management.azure.com").notes
    ('Azure service tag: AzureResourceManager',)
    """
    exact = _EXACT.get(host)
    if exact is not None:
        return _build(exact, None, None, psl)
    first, _, zone = host.partition(".")
    per_resource = _PER_RESOURCE.get(zone)
    if per_resource is not None:
        return _build(per_resource[0], first, per_resource[1], psl)
    labels = host.split(".")
    for start in range(1, len(labels)):
        found = _DOMAINS.get(".".join(labels[start:]))
        if found is not None:
            return _build(found, None, None, psl)
    return None
