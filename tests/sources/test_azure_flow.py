"""Azure NSG flow logs (v1, v2) and VNet flow logs: outbound tuples as IP destinations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from egressmap.cli import main
from egressmap.model import Observation, Skipped
from egressmap.sources import build_sources, choose
from egressmap.sources.azure_flow import AzureFlow
from egressmap.sources.interface import Item

NSG_ID = (
    "/SUBSCRIPTIONS/0000/RESOURCEGROUPS/RG-HPC/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/NSG-COMPUTE"
)


def _nsg(version: int, rules: dict[str, list[str]]) -> dict[str, Any]:
    """One NSG flow log record (as in a PT1H.json blob) with tuples grouped by rule."""
    flows = [
        {"rule": rule, "flows": [{"mac": "000D3A1B2C3D", "flowTuples": tuples}]}
        for rule, tuples in rules.items()
    ]
    return {"time": "2026-11-20T08:00:00.1234567Z", "systemId": "5f1e0000-0000-0000-0000-000000000001",
            "macAddress": "000D3A1B2C3D", "category": "NetworkSecurityGroupFlowEvent", "resourceId": NSG_ID,
            "operationName": "NetworkSecurityGroupFlowEvents", "properties": {"Version": version, "flows": flows}}  # fmt: skip


def _vnet(tuples: list[str], rule: str = "DefaultRule_AllowInternetOutBound") -> dict[str, Any]:
    """One VNet flow log record (flowLogVersion 4)."""
    return {"time": "2026-11-20T08:01:00.0000000Z", "flowLogVersion": 4, "flowLogGUID": "66aa0000-0000-0000-0000-0000000000aa",
            "macAddress": "000D3A1B2C3E", "category": "FlowLogFlowEvent", "flowLogResourceID": "/SUBSCRIPTIONS/0000/FLOWLOGS/VNETFLOWLOG",
            "targetResourceID": "/subscriptions/0000/virtualNetworks/vnet-hpc", "operationName": "FlowLogFlowEvent",
            "flowRecords": {"flows": [{"aclID": "11bb0000-0000-0000-0000-0000000000bb",
                                       "flowGroups": [{"rule": rule, "flowTuples": tuples}]}]}}  # fmt: skip


def _obs(items: list[Item]) -> list[Observation]:
    return [i for i in items if isinstance(i, Observation)]


def _skips(items: list[Item]) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped)]


NSG_V2 = _nsg(2, {
    "DefaultRule_AllowInternetOutBound": [
        "1795161600,10.1.0.4,20.60.40.4,49982,443,T,O,A,B,,,,",
        "1795161630,10.1.0.4,20.60.40.4,49982,443,T,O,A,E,7,1158,12,8143",
        "1795161640,10.1.0.4,20.60.40.4,49990,443,T,O,A,B,,,,",
        "1795161605,10.1.0.5,52.239.184.180,50100,123,U,O,A,C,1,76,1,76",
        "1795161606,203.0.113.9,10.1.0.4,61000,22,T,I,A,B,,,,",
    ],
    "UserRule_DenyInternet": ["1795161610,10.1.0.6,198.51.100.7,40000,8443,T,O,D,B,,,,"],
})  # fmt: skip


def test_nsg_v2_outbound_tuples_map_every_field() -> None:
    """Destination IP and port, protocol, allow/deny, client, seconds; one flow's B and E tuples count once."""
    items = list(AzureFlow().read([json.dumps({"records": [NSG_V2]})], "PT1H.json"))
    found = {(o.host, o.port, o.outcome, o.clients, o.count, o.time, o.last_time) for o in _obs(items)}
    assert found == {
        ("20.60.40.4", 443, "allowed", ("10.1.0.4",), 2, 1795161600.0, 1795161640.0),
        ("52.239.184.180", 123, "allowed", ("10.1.0.5",), 1, 1795161605.0, None),
        ("198.51.100.7", 8443, "denied", ("10.1.0.6",), 1, 1795161610.0, None),
    }
    by_host = {o.host: o for o in _obs(items)}
    assert by_host["20.60.40.4"].reason == (
        "outbound TCP flow in an Azure NSG flow log (rule DefaultRule_AllowInternetOutBound; unattributed IP)"
    )
    assert "UDP" in by_host["52.239.184.180"].reason
    assert by_host["198.51.100.7"].reason.endswith("(rule UserRule_DenyInternet, denied; unattributed IP)")
    assert all(
        (o.kind, o.tier, o.source, o.scheme) == ("connect", "observed", "PT1H.json:1", None)
        for o in _obs(items)
    )
    (inbound,) = _skips(items)
    assert (inbound.kind, inbound.count, inbound.lineno) == ("dropped", 1, 1) and "inbound" in inbound.reason


def test_nsg_v1_tuples_have_eight_fields() -> None:
    """Version 1 tuples stop at the decision."""
    record = _nsg(1, {"r": ["1795161600,10.1.0.4,20.60.40.4,49982,443,T,O,D"]})
    (obs,) = _obs(list(AzureFlow().read([json.dumps({"records": [record]})], "v1.json")))
    assert (obs.host, obs.port, obs.outcome) == ("20.60.40.4", 443, "denied")


def test_vnet_flow_log_milliseconds_iana_protocol_and_deny_state() -> None:
    """VNet tuples: milliseconds, protocol 6/17 by number, state D is a denied flow."""
    record = _vnet([
        "1795161600599,10.2.0.6,52.239.184.180,23956,443,6,O,B,NX,0,0,0,0",
        "1795161600606,10.2.0.6,52.239.184.180,23956,443,6,O,E,NX,3,767,2,1580",
        "1795161601000,10.2.0.6,8.8.8.8,5353,53,17,O,D,NX,0,0,0,0",
    ])  # fmt: skip
    lines = json.dumps({"records": [record]}, indent=2).splitlines()
    items = list(AzureFlow().read(lines, "vnet.json"))
    storage, dns = _obs(items)
    assert (storage.host, storage.port, storage.outcome, storage.count) == (
        "52.239.184.180",
        443,
        "allowed",
        1,
    )
    assert storage.time == pytest.approx(1795161600.599) and storage.last_time == pytest.approx(
        1795161600.606
    )
    assert "outbound TCP flow in an Azure VNet flow log" in storage.reason
    assert (dns.host, dns.port, dns.outcome) == ("8.8.8.8", 53, "denied") and "UDP" in dns.reason
    assert storage.source == "vnet.json:3" and lines[2].strip() == "{"


def test_bad_tuples_records_and_a_cut_document_are_counted() -> None:
    """A short tuple, a record without tuples, a document cut mid-record: named with lines, good records kept."""
    good = _nsg(
        2, {"r": ["1795161600,10.1.0.4,20.60.40.4,1,443,T,O,A,B,,,,", "1795161600,10.1.0.4,nope", ""]}
    )
    empty = {"time": "2026-11-20T08:00:00Z", "category": "NetworkSecurityGroupFlowEvent", "properties": {}}
    last = _nsg(2, {"r": ["1795161600,10.1.0.4,20.60.40.5,1,443,T,O,A,B,,,,"]})
    lines = json.dumps({"records": [good, empty, last]}, indent=1).splitlines()
    cut = next(i for i, line in enumerate(lines) if "20.60.40.5" in line)
    items = list(AzureFlow().read(lines[:cut], "cut.json"))
    assert [o.host for o in _obs(items)] == ["20.60.40.4"]
    bad, no_tuples, broken = _skips(items)
    assert bad.count == 2 and bad.reason.startswith("bad flow tuple: '1795161600,10.1.0.4,nope' has 3 fields")
    assert "without flow tuples" in no_tuples.reason and lines[no_tuples.lineno - 1].strip() == "{"
    assert broken.reason.startswith("JSON record cut or broken") and broken.lineno > no_tuples.lineno


def test_sniffing_picks_azure_flow() -> None:
    """Flow logs are azure-flow, compact or pretty-printed; firewall logs stay azure-firewall."""
    sources = build_sources()
    assert choose([json.dumps({"records": [NSG_V2]})], sources).name == "azure-flow"
    pretty = json.dumps(
        {"records": [_vnet(["1795161600599,10.2.0.6,1.2.3.4,1,443,6,O,B,NX,0,0,0,0"])]}, indent=2
    )
    assert choose(pretty.splitlines()[:25], sources).name == "azure-flow"
    firewall = '{"category":"AZFWNetworkRule","properties":{"SourceIp":"10.0.0.1","DestinationIp":"1.2.3.4"}}'
    assert choose([firewall], sources).name == "azure-firewall"


def test_scan_reads_a_vnet_flow_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``scan --json`` on a PT1H.json blob: read as azure-flow, the IP destinations listed."""
    blob = tmp_path / "PT1H.json"
    record = _vnet(["1795161600599,10.2.0.6,52.239.184.180,23956,443,6,O,B,NX,0,0,0,0"])
    blob.write_text(json.dumps({"records": [record]}, indent=2))
    code = main(["scan", str(blob), "--json"])
    out, err = capsys.readouterr()
    report = json.loads(out)
    assert code == 0, err
    assert report["inputs"][0]["format"] == "azure-flow"
    assert {(d["host"], d["port"]) for d in report["destinations"]} == {("52.239.184.180", 443)}


def test_vnet_seconds_stamp_and_encryption_drop() -> None:
    """A VNet tuple in seconds is read as seconds; NX_NOT_ACCEPTED (dropped, not encrypted) is denied."""
    record = _vnet([
        "1795161600,10.2.0.6,52.239.184.181,23956,443,6,O,B,NX,,,,",
        "1795161600123,10.2.0.6,52.239.184.182,23957,443,6,O,B,NX_NOT_ACCEPTED,0,0,0,0",
    ])  # fmt: skip
    plain, dropped = _obs(list(AzureFlow().read([json.dumps(record)], "v.json")))
    assert (plain.time, plain.outcome) == (1795161600.0, "allowed")
    assert dropped.time == pytest.approx(1795161600.123) and dropped.outcome == "denied"
