"""Azure Firewall logs: structured AZFW* records, legacy msg lines, the containers Azure exports them in."""

from __future__ import annotations

import gzip
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from egressmap.cli import main
from egressmap.model import Observation, Skipped
from egressmap.sources import build_sources, choose
from egressmap.sources.azure_firewall import DNS_PORT, AzureFirewall
from egressmap.sources.interface import Item

FW = "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG-HUB/PROVIDERS/MICROSOFT.NETWORK/AZUREFIREWALLS/FW-HUB"


def _storage(category: str, when: str, **props: Any) -> str:
    """One record as a storage account's PT1H.json holds it (one JSON object a line)."""
    return json.dumps({"category": category, "time": when, "resourceId": FW, "operationName": category,
                       "properties": props})  # fmt: skip


APP = _storage(
    "AZFWApplicationRule", "2026-11-20T08:15:02.1234567Z", Protocol="HTTP", SourceIp="10.20.1.7",
    SourcePort=51234, DestinationPort=8080, Fqdn="Mirror.Example.NET", TargetUrl="http://mirror.example.net:8080/"
    "pool/a.deb?token=s3cret", Action="Allow", Policy="hpc-policy", RuleCollectionGroup="rcg-egress",
    RuleCollection="allow-mirrors", Rule="debian", ActionReason="", IsTlsInspected=False, WebCategory="",
    IsExplicitProxyRequest=False,
)  # fmt: skip
APP_DENY = _storage(
    "AZFWApplicationRule", "2026-11-20T08:15:03.5Z", Protocol="HTTPS", SourceIp="10.20.1.8", SourcePort=40000,
    DestinationPort=443, Fqdn="pypi.org", TargetUrl="", Action="Deny", Policy="", RuleCollectionGroup="",
    RuleCollection="", Rule="", ActionReason="Default Action",
)  # fmt: skip
NET = _storage(
    "AZFWNetworkRule", "2026-11-20T08:16:00.0000000Z", Protocol="TCP", SourceIp="10.20.1.9", SourcePort=33000,
    DestinationIp="52.239.184.180", DestinationPort=443, Action="Deny", Policy="hpc-policy",
    RuleCollectionGroup="rcg-egress", RuleCollection="block-all", Rule="any", ActionReason="",
)  # fmt: skip
DNS = _storage(
    "AZFWDnsQuery", "2026-11-20T08:14:59.9000000Z", SourceIp="10.20.1.7", SourcePort=50111, QueryId=1201,
    QueryType="A", QueryClass="IN", QueryName="login.microsoftonline.com.", Protocol="udp", RequestSize=45,
    DnssecOkBit=False, EDNS0BufferSize=512, ResponseCode="NOERROR", ResponseFlags="qr,rd,ra", ResponseSize=300,
    RequestDurationSecs=0.004, ErrorNumber=0, ErrorMessage="",
)  # fmt: skip
DNS_NX = _storage(
    "AZFWDnsQuery", "2026-11-20T08:15:10Z", SourceIp="10.20.1.9", SourcePort=50112, QueryId=7, QueryType="AAAA",
    QueryClass="IN", QueryName="nosuch.example.org.", Protocol="udp", ResponseCode="NXDOMAIN", ErrorNumber=0,
    ErrorMessage="",
)  # fmt: skip


def _legacy(category: str, msg: str) -> str:
    """A legacy AzureDiagnostics record as a storage account holds it."""
    operation = category + "Log"
    return json.dumps({"category": category, "time": "2026-11-20T09:00:00.0000000Z", "resourceId": FW,
                       "operationName": operation, "properties": {"msg": msg}})  # fmt: skip


def _observations(items: list[Item]) -> list[Observation]:
    return [i for i in items if isinstance(i, Observation)]


def _skipped(items: list[Item]) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


def test_structured_storage_records_map_every_field() -> None:
    """AZFWApplicationRule, AZFWNetworkRule and AZFWDnsQuery: host, port, scheme, URL, outcome, client, time."""
    items = list(AzureFirewall().read([DNS, APP, APP_DENY, NET, DNS_NX], "PT1H.json"))
    assert not _skipped(items)
    dns, app, deny, net, nx = _observations(items)
    assert (app.host, app.port, app.kind, app.tier, app.scheme, app.outcome) == (
        "mirror.example.net",
        8080,
        "connect",
        "observed",
        "http",
        "allowed",
    )
    assert app.url == "http://mirror.example.net:8080/pool/a.deb" and app.clients == ("10.20.1.7",)
    assert app.source == "PT1H.json:2" and app.time == pytest.approx(1795162502.123456)
    assert app.reason == (
        "HTTP request seen by Azure Firewall (application rule: Allow, hpc-policy / rcg-egress / allow-mirrors / "
        "debian)"
    )
    assert (deny.host, deny.port, deny.scheme, deny.outcome, deny.url) == (
        "pypi.org",
        443,
        "https",
        "denied",
        None,
    )
    assert deny.reason.endswith("(application rule: Deny, Default Action)")
    assert (net.host, net.port, net.outcome, net.scheme, net.clients) == (
        "52.239.184.180",
        443,
        "denied",
        None,
        ("10.20.1.9",),
    )
    assert "network rule: Deny, hpc-policy / rcg-egress / block-all / any; unattributed IP" in net.reason
    assert (dns.host, dns.port, dns.kind, dns.tier, dns.outcome, dns.clients) == (
        "login.microsoftonline.com",
        DNS_PORT,
        "dns",
        "observed",
        "unknown",
        ("10.20.1.7",),
    )
    assert dns.reason.startswith("DNS A IN query through the Azure Firewall DNS proxy (NOERROR")
    assert dns.time == pytest.approx(1795162499.9)
    assert (nx.host, nx.outcome) == ("nosuch.example.org", "nxdomain") and "NXDOMAIN" in nx.reason


def test_dns_servfail_and_errors_are_failed() -> None:
    """SERVFAIL, and a record with an error number but no response code, are failed lookups."""
    servfail = _storage("AZFWDnsQuery", "2026-11-20T08:15:10Z", SourceIp="10.0.0.1", QueryName="a.example.com.",
                        ResponseCode="SERVFAIL")  # fmt: skip
    error = _storage("AZFWDnsQuery", "2026-11-20T08:15:10Z", SourceIp="10.0.0.1", QueryName="b.example.com.",
                     ResponseCode="", ErrorNumber=2, ErrorMessage="upstream i/o timeout")  # fmt: skip
    a, b = _observations(list(AzureFirewall().read([servfail, error], "f")))
    assert (a.outcome, b.outcome) == ("failed", "failed") and "upstream i/o timeout" in b.reason


LEGACY = [
    _legacy("AzureFirewallApplicationRule", "HTTPS request from 10.1.0.5:55640 to repo.example.com:443. Action: "
            "Allow. Rule Collection: hpc-out. Rule: repos"),
    _legacy("AzureFirewallApplicationRule", "HTTP  request from 10.1.0.6:40111 to deb.debian.org:80. Url: "
            "deb.debian.org/debian/dists/bookworm/InRelease. Action: Deny. No rule matched. Proceeding with default "
            "action"),
    _legacy("AzureFirewallApplicationRule", "HTTPS request from 10.1.0.5:55641 to github.com:443. Action: Deny. "
            "Policy: hpc-policy. Rule Collection Group: rcg. Rule Collection: block. Rule: no-git"),
    _legacy("AzureFirewallNetworkRule", "TCP request from 10.1.0.7:12518 to 13.78.143.217:2323. Action: Deny"),
    _legacy("AzureFirewallNetworkRule", "UDP request from 10.1.0.7:123 to 40.119.6.228:123. Action: Allow. "
            "Rule Collection: ntp. Rule: time"),
    _legacy("AzureFirewallNatRule", "TCP request from 198.51.100.9:61563 to 20.31.19.13:3389 was DNAT'ed to "
            "10.1.0.4:3389"),
    _legacy("AzureFirewallNetworkRule", "ICMP Type=8 request from 10.1.0.7:0 to 13.107.4.50:0. Action: Allow.."),
    _legacy("AzureFirewallDnsProxy", "DNS Request: 10.1.0.4:60137 - 46023 A IN acct.blob.core.windows.net. udp 63 "
            "false 512 NOERROR qr,rd,ra 313 0.009424664s"),
    _legacy("AzureFirewallDnsProxy", " Error: 2 time.windows.com. A: read udp 10.1.0.100:49126->168.63.129.16:53: "
            "i/o timeout"),
    _legacy("AzureFirewallNetworkRule", "Flow dropped for unknown reasons"),
    _legacy("AzureFirewallApplicationRule", "HTTPS request from 10.1.0.5:1 to example.com:443. Rule: x"),
]  # fmt: skip


def test_legacy_msg_lines_map_every_field() -> None:
    """The msg wordings: application (with Url, rule names, default action), network, DNS proxy and its errors."""
    items = list(AzureFirewall().read(LEGACY, "diag.json"))
    found = {(o.host, o.port, o.kind, o.outcome, o.scheme, o.clients) for o in _observations(items)}
    assert found == {
        ("repo.example.com", 443, "connect", "allowed", "https", ("10.1.0.5",)),
        ("deb.debian.org", 80, "connect", "denied", "http", ("10.1.0.6",)),
        ("github.com", 443, "connect", "denied", "https", ("10.1.0.5",)),
        ("13.78.143.217", 2323, "connect", "denied", None, ("10.1.0.7",)),
        ("40.119.6.228", 123, "connect", "allowed", None, ("10.1.0.7",)),
        ("acct.blob.core.windows.net", DNS_PORT, "dns", "unknown", None, ("10.1.0.4",)),
        ("time.windows.com", DNS_PORT, "dns", "failed", None, ()),
    }
    by_host = {o.host: o for o in _observations(items)}
    assert by_host["deb.debian.org"].url == "http://deb.debian.org/debian/dists/bookworm/InRelease"
    assert "no rule matched (default action)" in by_host["deb.debian.org"].reason
    assert by_host["repo.example.com"].reason.endswith("(application rule: Allow, hpc-out / repos)")
    assert "hpc-policy / rcg / block / no-git" in by_host["github.com"].reason
    assert by_host["repo.example.com"].time == pytest.approx(1795165200.0)
    assert "i/o timeout" in by_host["time.windows.com"].reason
    skipped = [(s.lineno, s.kind, s.reason) for s in _skipped(items)]
    assert skipped[:2] == [
        (6, "dropped", "inbound DNAT or ICMP (no destination port): not egress"),
        (7, "dropped", "inbound DNAT or ICMP (no destination port): not egress"),
    ]
    assert skipped[2][:2] == (10, "malformed") and "unknown Azure Firewall msg wording" in skipped[2][2]
    assert skipped[3][:2] == (11, "malformed") and "without an Action" in skipped[3][2]


def test_log_analytics_query_response_rows_are_records() -> None:
    """The query API's tables[].columns/rows (pretty-printed): each row is a record, numbered by its line."""
    names = ("TimeGenerated", "SourceIp", "Fqdn", "DestinationPort", "Protocol", "Action", "Type")
    columns = [{"name": n, "type": "int" if n == "DestinationPort" else "string"} for n in names]
    rows: list[list[object]] = [
        ["2026-11-20T08:15:02Z", "10.0.0.5", "files.pythonhosted.org", 443, "HTTPS", "Allow", "AZFWApplicationRule"],
        ["2026-11-20T08:15:03Z", "10.0.0.5", "blocked.example.com", 443, "HTTPS", "Deny", "AZFWApplicationRule"],
    ]  # fmt: skip
    response = {"tables": [{"name": "PrimaryResult", "columns": columns, "rows": rows}]}
    lines = json.dumps(response, indent=2).splitlines()
    items = list(AzureFirewall().read(lines, "q.json"))
    assert not _skipped(items)
    first, second = _observations(items)
    assert (first.host, first.outcome, second.host, second.outcome) == (
        "files.pythonhosted.org",
        "allowed",
        "blocked.example.com",
        "denied",
    )
    assert lines[int(first.source.rsplit(":", 1)[1]) - 1].strip() == "["  # the row opens on its own line
    assert first.source != second.source and first.time == pytest.approx(1795162502.0)
    one_line = list(AzureFirewall().read([json.dumps(response)], "q1.json"))
    assert [o.host for o in _observations(one_line)] == ["files.pythonhosted.org", "blocked.example.com"]


def test_az_cli_array_of_rows_and_azure_diagnostics_msg_s() -> None:
    """``az monitor log-analytics query`` output (an array of rows) of AZFW tables and of AzureDiagnostics."""
    rows = [
        {"TimeGenerated": "2026-11-20T08:00:00Z", "Type": "AZFWNetworkRule", "SourceIp": "10.0.0.9",
         "DestinationIp": "20.60.1.2", "DestinationPort": "443", "Protocol": "TCP", "Action": "Allow"},
        {"TimeGenerated": "2026-11-20T08:00:01Z", "Category": "AzureFirewallApplicationRule", "Type": "AzureDiagnostics",
         "msg_s": "HTTPS request from 10.0.0.9:5555 to management.azure.com:443. Action: Allow. Rule Collection: "
                  "arm. Rule: arm"},
        {"TimeGenerated": "2026-11-20T08:00:02Z", "Type": "AZFWIdpsSignature", "SourceIp": "10.0.0.9"},
    ]  # fmt: skip
    items = list(AzureFirewall().read(json.dumps(rows, indent=2).splitlines(), "rows.json"))
    net, arm = _observations(items)
    assert (net.host, net.port, net.outcome, net.time) == ("20.60.1.2", 443, "allowed", 1795161600.0)
    assert (arm.host, arm.port, arm.scheme, arm.clients) == (
        "management.azure.com",
        443,
        "https",
        ("10.0.0.9",),
    )
    (idps,) = _skipped(items)
    assert idps.kind == "dropped" and "AZFWIdpsSignature" in idps.reason and idps.lineno == 17


def test_missing_fields_and_json_cut_mid_record_are_counted_and_the_rest_kept() -> None:
    """No Fqdn, no QueryName, a bad port, a line cut mid-record, a non-JSON line: each named with its line."""
    no_fqdn = _storage(
        "AZFWApplicationRule", "2026-11-20T08:15:02Z", SourceIp="10.0.0.1", DestinationPort=443
    )
    no_name = _storage("AZFWDnsQuery", "2026-11-20T08:15:02Z", SourceIp="10.0.0.1", ResponseCode="NOERROR")
    bad_port = _storage(
        "AZFWNetworkRule", "2026-11-20T08:15:02Z", DestinationIp="1.2.3.4", DestinationPort="x"
    )
    lines = [APP, no_fqdn, no_name, APP_DENY[:70], bad_port, "", "not json at all", NET]
    items = list(AzureFirewall().read(lines, "bad.json"))
    assert [o.source for o in _observations(items)] == ["bad.json:1", "bad.json:8"]
    skipped = {s.lineno: s.reason for s in _skipped(items)}
    assert skipped[2] == "AZFWApplicationRule record without Fqdn"
    assert skipped[3] == "AZFWDnsQuery record without QueryName"
    assert skipped[4].startswith("JSON line cut mid-record")
    assert skipped[5] == "bad Azure Firewall record: bad DestinationPort 'x'"
    assert skipped[7].startswith("JSON line not JSON")
    assert set(skipped) == {2, 3, 4, 5, 7}


def test_a_document_cut_mid_record_keeps_the_records_before() -> None:
    """A ``{"records": [...]}`` document cut inside its third record: two kept, the cut named with its line."""
    records = [json.loads(line) for line in (APP, APP_DENY, NET)]
    lines = json.dumps({"records": records}, indent=1).splitlines()
    cut = next(i for i, line in enumerate(lines) if "52.239.184.180" in line)
    items = list(AzureFirewall().read(lines[: cut + 1], "PT1H.json"))
    assert [o.host for o in _observations(items)] == ["mirror.example.net", "pypi.org"]
    (broken,) = _skipped(items)
    assert broken.reason.startswith("JSON record cut or broken") and lines[broken.lineno - 1].strip() == "{"
    assert f"lines {broken.lineno}-{cut + 1} not read" in broken.reason


def test_sniffing_picks_azure_firewall_first() -> None:
    """Storage lines, a query response, legacy lines and msg_s rows choose azure-firewall; other logs do not."""
    sources = build_sources()
    response = (
        '{"tables":[{"name":"PrimaryResult","columns":[{"name":"SourceIp"},{"name":"Fqdn"}],"rows":[]}]}'
    )
    for head in ([DNS, APP], [response], LEGACY[:3], ['[', '  {', '    "msg_s": "TCP request from 1.2.3.4:1 to '
                 '5.6.7.8:443. Action: Allow",', '    "SourceIp": "1.2.3.4"']):  # fmt: skip
        assert choose(head, sources).name == "azure-firewall", head
    squid = "1732186800.123    120 10.0.0.5 TCP_TUNNEL/200 5120 CONNECT pypi.org:443 - HIER_DIRECT/1.2.3.4 -"
    assert choose([squid], sources).name != "azure-firewall"
    resolver = '{"version":"1.100000","query_name":"pypi.org.","srcaddr":"10.0.0.5"}'
    assert choose([resolver], sources).name != "azure-firewall"


def test_scan_reads_a_gzipped_azure_firewall_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``scan --json`` on a .gz storage blob: read as azure-firewall, the destinations listed, the cut line counted."""
    blob = tmp_path / "PT1H.json.gz"
    blob.write_bytes(gzip.compress(("\n".join([DNS, APP, APP_DENY[:50], NET]) + "\n").encode()))
    code = main(["scan", str(blob), "--json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert {d["host"] for d in report["destinations"]} >= {"mirror.example.net", "52.239.184.180"}
    assert code == 0 and report["inputs"][0]["format"] == "azure-firewall", err
    (problem,) = report["inputs"][0]["problems"]
    assert (problem["kind"], problem["lines"]) == ("malformed", [3])
    assert problem["reason"].startswith(
        "JSON line cut mid-record (Unterminated string starting at, column 45)"
    )
    assert f"{blob}: 1 bad line (line 3): JSON line cut mid-record" in err


def test_msg_text_lines_one_a_line() -> None:
    """The msg texts copied out of a query result, one a line (quoted or not): read and sniffed as such."""
    lines = [
        '"HTTPS request from 10.1.0.5:55640 to repo.example.com:443. Action: Allow. Rule Collection: c. Rule: r"',
        "",
        "TCP request from 10.1.0.7:12518 to 13.78.143.217:2323. Action: Deny",
        "Flow dropped for unknown reasons",
    ]
    assert choose(lines, build_sources()).name == "azure-firewall"
    items = list(AzureFirewall().read(lines, "msgs.txt"))
    assert [(o.host, o.port, o.outcome, o.source) for o in _observations(items)] == [
        ("repo.example.com", 443, "allowed", "msgs.txt:1"),
        ("13.78.143.217", 2323, "denied", "msgs.txt:3"),
    ]
    (unknown,) = _skipped(items)
    assert unknown.lineno == 4 and unknown.reason.startswith("unknown Azure Firewall msg wording")


def test_text_that_only_mentions_the_tables_is_not_a_firewall_log() -> None:
    """A KQL query or notes naming AZFW tables are not JSON: left to the other readers."""
    notes = ["AZFWApplicationRule", '| where Action == "Deny"', "| project Fqdn, SourceIp, flowTuples"]
    assert AzureFirewall().sniff(notes) < 0
    assert choose(notes, build_sources()).name not in ("azure-firewall", "azure-flow")


def test_a_pretty_query_response_is_sniffed_from_its_column_names() -> None:
    """A pretty-printed query response whose first lines hold only columns (TenantId, ActionReason...) is sniffed."""
    names = ("TenantId", "TimeGenerated", "Action", "ActionReason", "DestinationPort", "Fqdn", "SourceIp")
    doc = {"tables": [{"name": "PrimaryResult", "columns": [{"name": n, "type": "string"} for n in names]}]}
    head = json.dumps(doc, indent=4).splitlines()[:25]
    assert '"Fqdn"' not in "\n".join(head) and choose(head, build_sources()).name == "azure-firewall"


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """``scan -`` reads Azure Firewall records from stdin."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(f"{APP}\n{NET}\n".encode())))
    code = main(["scan", "-", "--json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["inputs"][0]["format"] == "azure-firewall"
    assert {d["host"] for d in report["destinations"]} == {"mirror.example.net", "52.239.184.180"}
