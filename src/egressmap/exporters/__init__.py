"""Export formats: an explicit, read-only registry."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .aws_network_firewall import AwsNetworkFirewallExport
from .azure_firewall import AzureFirewallExport
from .dns_firewall import DnsFirewallExport
from .html import HtmlExport
from .interface import Exporter, ExportOptions, Rendered
from .jsonfmt import JsonExport
from .listing import ListExport
from .nsg import NsgExport
from .panos import PanEdlDomainExport, PanEdlUrlExport
from .proxy_config import ProxyConfigExport
from .squid import SquidExport
from .suricata import SuricataExport
from .table import CsvExport, MarkdownExport
from .vpc_endpoints import VpcEndpointsExport

EXPORTERS: Mapping[str, type[Exporter]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (
            ListExport,
            JsonExport,
            CsvExport,
            MarkdownExport,
            SquidExport,
            HtmlExport,
            PanEdlDomainExport,
            PanEdlUrlExport,
            AzureFirewallExport,
            NsgExport,
            VpcEndpointsExport,
            AwsNetworkFirewallExport,
            SuricataExport,
            DnsFirewallExport,
            ProxyConfigExport,
        )
    }
)

__all__ = ["EXPORTERS", "ExportOptions", "Exporter", "Rendered"]
