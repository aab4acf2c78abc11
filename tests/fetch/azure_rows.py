"""Azure Firewall rows as a Log Analytics workspace holds them (resource-specific tables and AzureDiagnostics).

Column names from the table references (learn.microsoft.com/azure/azure-monitor/reference/tables/azfwapplicationrule,
azfwnetworkrule, azfwdnsquery, azurediagnostics); values from the Azure Firewall log examples. Times carry seven
fraction digits, as the service writes them.
"""

from __future__ import annotations

from typing import Any

FW = "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG-HUB/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-HUB"
DAY = "2026-11-20"


def _row(table: str, when: str, **columns: Any) -> dict[str, Any]:
    return {"TenantId": "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee", "TimeGenerated": f"{DAY}T{when}Z", **columns,
            "SourceSystem": "Azure", "Type": table, "_ResourceId": FW.lower()}  # fmt: skip


APPLICATION = [
    _row("AZFWApplicationRule", "08:15:02.1234567", Protocol="HTTPS", SourceIp="10.20.1.7", SourcePort=51234,
         DestinationPort=443, Fqdn="files.pythonhosted.org", TargetUrl="", Action="Allow", Policy="hpc-policy",
         RuleCollectionGroup="rcg-egress", RuleCollection="allow-pypi", Rule="pypi", ActionReason="",
         IsTlsInspected=False, WebCategory="", IsExplicitProxyRequest=False),
    _row("AZFWApplicationRule", "14:40:00.0000000", Protocol="HTTP", SourceIp="10.20.1.8", SourcePort=40000,
         DestinationPort=80, Fqdn="deb.debian.org", TargetUrl="http://deb.debian.org/debian/dists/bookworm/InRelease",
         Action="Deny", Policy="", RuleCollectionGroup="", RuleCollection="", Rule="",
         ActionReason="Default Action", IsTlsInspected=False, WebCategory="", IsExplicitProxyRequest=False),
]  # fmt: skip
NETWORK = [
    _row("AZFWNetworkRule", "09:00:00.5000000", Protocol="TCP", SourceIp="10.20.1.9", SourcePort=33000,
         DestinationIp="52.239.184.180", DestinationPort=443, Action="Deny", Policy="hpc-policy",
         RuleCollectionGroup="rcg-egress", RuleCollection="block-all", Rule="any", ActionReason=""),
    _row("AZFWNetworkRule", "23:59:59.9999999", Protocol="UDP", SourceIp="10.20.1.9", SourcePort=123,
         DestinationIp="40.119.6.228", DestinationPort=123, Action="Allow", Policy="hpc-policy",
         RuleCollectionGroup="rcg-egress", RuleCollection="ntp", Rule="time", ActionReason=""),
]  # fmt: skip
DNS = [
    _row("AZFWDnsQuery", "00:00:00.0000000", SourceIp="10.20.1.7", SourcePort=50111, QueryId=1201, QueryType="A",
         QueryClass="IN", QueryName="login.microsoftonline.com.", Protocol="udp", RequestSize=45,
         DnssecOkBit=False, EDNS0BufferSize=512, ResponseCode="NOERROR", ResponseFlags="qr,rd,ra",
         ResponseSize=300, RequestDurationSecs=0.004, ErrorNumber=0, ErrorMessage=""),
    _row("AZFWDnsQuery", "12:00:00.0000001", SourceIp="10.20.1.9", SourcePort=50112, QueryId=7, QueryType="AAAA",
         QueryClass="IN", QueryName="nosuch.example.org.", Protocol="udp", RequestSize=40, DnssecOkBit=False,
         EDNS0BufferSize=512, ResponseCode="NXDOMAIN", ResponseFlags="qr,rd,ra", ResponseSize=100,
         RequestDurationSecs=0.01, ErrorNumber=0, ErrorMessage=""),
]  # fmt: skip
DIAGNOSTICS = [
    {"TimeGenerated": f"{DAY}T07:00:00.0000000Z", "Type": "AzureDiagnostics", "Category": "AzureFirewallApplicationRule",
     "Resource": "FW-HUB", "msg_s": "HTTPS request from 10.1.0.5:55640 to management.azure.com:443. Action: Allow. "
     "Rule Collection: arm. Rule: arm"},
    {"TimeGenerated": f"{DAY}T07:00:01.0000000Z", "Type": "AzureDiagnostics", "Category": "AzureFirewallNetworkRule",
     "Resource": "FW-HUB", "msg_s": "TCP request from 10.1.0.7:44444 to 13.78.143.217:2323. Action: Deny"},
    {"TimeGenerated": f"{DAY}T07:00:02.0000000Z", "Type": "AzureDiagnostics", "Category": "AzureFirewallDnsProxy",
     "Resource": "FW-HUB", "msg_s": "DNS Request: 10.1.0.4:53042 - 46722 A IN acct.blob.core.windows.net. udp 55 "
     "false 512 NOERROR qr,rd,ra 251 0.001s"},
]  # fmt: skip
ROWS = {"AZFWApplicationRule": APPLICATION, "AZFWNetworkRule": NETWORK, "AZFWDnsQuery": DNS,
        "AzureDiagnostics": DIAGNOSTICS}  # fmt: skip
