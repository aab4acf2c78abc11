"""Suricata EVE JSON: dns, tls, http and flow events through the mapping shared with Network Firewall."""

from __future__ import annotations

import json
from typing import Any

from egressmap.model import Observation, Skipped
from egressmap.sources import build_sources, choose
from egressmap.sources.interface import Item
from egressmap.sources.suricata_eve import SuricataEve


def event(event_type: str, **fields: Any) -> str:
    """One EVE line: the common five-tuple fields, then the event's own object."""
    data: dict[str, Any] = {
        "timestamp": "2026-11-03T09:14:21.402117+0000",
        "flow_id": 1650340293840115,
        "in_iface": "ens5",
        "event_type": event_type,
        "src_ip": "10.40.7.19",
        "src_port": 44120,
        "dest_ip": "151.101.0.223",
        "dest_port": 443,
        "proto": "TCP",
    }
    data.update(fields)
    return json.dumps(data, separators=(",", ":"))


def read(*lines: str) -> list[Item]:
    """Everything the reader yields for these lines."""
    return list(SuricataEve().read(lines, "eve.json"))


def test_tls_http_dns_and_flow_events() -> None:
    """tls.sni, http.hostname, dns rrname (v2 and v3 layouts) and a flow's dest_ip are each mapped."""
    tls, http, dns2, dns3, flow = read(
        event("tls", tls={"sni": "files.pythonhosted.org", "version": "TLS 1.3"}),
        event("http", dest_port=80, http={"hostname": "deb.debian.org", "url": "/debian/"}),
        event("dns", dest_port=53, proto="UDP", dns={"version": 2, "type": "answer", "rrname": "pypi.org"}),
        event("dns", dest_port=53, proto="UDP", dns={"version": 3, "queries": [{"rrname": "github.com"}]}),
        event("flow", flow={"pkts_toserver": 8, "bytes_toserver": 1024, "state": "closed"}),
    )
    assert isinstance(tls, Observation) and (tls.host, tls.port, tls.scheme) == (
        "files.pythonhosted.org",
        443,
        "https",
    )
    assert tls.time == 1793697261.402117 and tls.clients == ("10.40.7.19",)
    assert tls.reason == "TLS SNI seen by Suricata EVE (tls record)"
    assert isinstance(http, Observation) and (http.host, http.port, http.scheme) == (
        "deb.debian.org",
        80,
        "http",
    )
    assert isinstance(dns2, Observation) and (dns2.host, dns2.port, dns2.kind) == ("pypi.org", 443, "dns")
    assert isinstance(dns3, Observation) and dns3.host == "github.com"
    assert isinstance(flow, Observation) and (flow.host, flow.kind) == ("151.101.0.223", "connect")
    assert flow.reason == "connection to an IP address seen by Suricata EVE (flow record; no name seen)"


def test_nxdomain_is_marked_and_stats_are_passed_over() -> None:
    """A DNS answer NXDOMAIN has outcome nxdomain; stats events yield nothing."""
    nx = event("dns", dns={"type": "answer", "rrname": "nope.example.org", "rcode": "NXDOMAIN"})
    stats = json.dumps(
        {"timestamp": "2026-11-03T09:14:21.0+0000", "event_type": "stats", "stats": {"uptime": 9}}
    )
    (obs,) = read(stats, nx)
    assert isinstance(obs, Observation) and obs.outcome == "nxdomain" and "answered NXDOMAIN" in obs.reason
    assert obs.source == "eve.json:2"


def test_bad_events_are_counted_and_eve_is_sniffed() -> None:
    """An event without event_type and a cut line are malformed; sniffing picks suricata-eve."""
    good = event("tls", tls={"sni": "pypi.org"})
    items = read(json.dumps({"timestamp": "x"}), good[:50], good)
    assert [(i.lineno, i.kind) for i in items if isinstance(i, Skipped)] == [
        (1, "malformed"),
        (2, "malformed"),
    ]
    assert [o.host for o in items if isinstance(o, Observation)] == ["pypi.org"]
    assert choose([good, event("flow")], build_sources()).name == "suricata-eve"
