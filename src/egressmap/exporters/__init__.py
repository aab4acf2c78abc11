"""Export formats: an explicit, read-only registry.

Each format's module is imported the first time its class is looked up, so that commands which never export
(``scan``) do not pay for the template, YAML and catalog machinery of a dozen targets at start-up.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from .interface import Exporter, ExportOptions, Rendered

_WHERE: dict[str, tuple[str, str]] = {
    "list": ("listing", "ListExport"),
    "json": ("jsonfmt", "JsonExport"),
    "csv": ("table", "CsvExport"),
    "markdown": ("table", "MarkdownExport"),
    "html": ("html", "HtmlExport"),
    "squid": ("squid", "SquidExport"),
    "pan-edl-domain": ("panos", "PanEdlDomainExport"),
    "pan-edl-url": ("panos", "PanEdlUrlExport"),
    "pan-edl-ip": ("panos", "PanEdlIpExport"),
    "aws-network-firewall": ("aws_network_firewall", "AwsNetworkFirewallExport"),
    "suricata": ("suricata", "SuricataExport"),
    "dns-firewall": ("dns_firewall", "DnsFirewallExport"),
    "azure-firewall": ("azure_firewall", "AzureFirewallExport"),
    "nsg": ("nsg", "NsgExport"),
    "vpc-endpoints": ("vpc_endpoints", "VpcEndpointsExport"),
    "proxy-config": ("proxy_config", "ProxyConfigExport"),
}


class _Registry(Mapping[str, type[Exporter]]):
    """Format name -> exporter class, importing the class's module on first use."""

    def __init__(self, where: Mapping[str, tuple[str, str]]) -> None:
        self._where = dict(where)
        self._loaded: dict[str, type[Exporter]] = {}

    def __getitem__(self, name: str) -> type[Exporter]:
        if name not in self._loaded:
            module, attr = self._where[name]
            cls: type[Exporter] = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
            self._loaded[name] = cls
        return self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)


EXPORTERS: Mapping[str, type[Exporter]] = _Registry(_WHERE)

__all__ = ["EXPORTERS", "ExportOptions", "Exporter", "Rendered"]
