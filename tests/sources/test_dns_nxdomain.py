"""Every DNS reader marks an NXDOMAIN answer the same way (outcome ``nxdomain``); SERVFAIL stays ``failed``.

The records are the vendor-documented shapes the readers' own tests use, changed only in their response code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import pytest

from egressmap.model import NXDOMAIN, Observation, is_dns_reason
from egressmap.sources import build_sources
from egressmap.sources.interface import Item
from egressmap.sources.pcap import PcapCapture

from .pcap_build import dns_answer, dns_query, pcap_bytes, udp
from .test_azure_firewall import DNS_NX, _legacy
from .test_network_firewall import wrap
from .test_route53_resolver import record
from .test_suricata_eve import event

ZEEK_HEAD = [
    "#separator \\x09\n",
    "#path\tdns\n",
    "#fields\tts\tid.orig_h\tid.resp_p\tquery\tqtype_name\trcode_name\n",
    "#types\ttime\taddr\tport\tstring\tstring\tstring\n",
]
HOST, RESOLVER = "10.0.0.5", "10.0.0.2"


def _text(source: str, *lines: str) -> list[Item]:
    return list(build_sources()[source].read(list(lines), "dns.log"))


def _route53(rcode: str) -> list[Item]:
    return _text("route53-resolver", record("nope.example.org.", rcode=rcode, answers=[]))


def _eve(rcode: str) -> list[Item]:
    dns = {"version": 2, "type": "answer", "rrname": "nope.example.org", "rcode": rcode}
    return _text("suricata-eve", event("dns", dest_port=53, proto="UDP", dns=dns))


def _network_firewall(rcode: str) -> list[Item]:
    dns = {"version": 2, "type": "answer", "rrname": "nope.example.org", "rcode": rcode}
    shape = {"timestamp": "2026-11-03T09:14:21.402117+0000", "event_type": "dns", "src_ip": "10.40.7.19",
             "src_port": 40112, "dest_ip": "10.40.0.2", "dest_port": 53, "proto": "UDP", "dns": dns}  # fmt: skip
    return _text("aws-network-firewall", wrap(shape))


def _zeek(rcode: str) -> list[Item]:
    return _text("zeek", *ZEEK_HEAD, f"1793696043.557001\t10.0.12.35\t53\tnope.example.org\tA\t{rcode}\n")


def _pcap(rcode: str) -> list[Item]:
    code = {"NXDOMAIN": 3, "SERVFAIL": 2}[rcode]
    packets = [
        (1.0, udp(HOST, RESOLVER, 40001, 53, dns_query("nope.example.org", 1))),
        (1.1, udp(RESOLVER, HOST, 53, 40001, dns_answer("nope.example.org", 1, [], rcode=code))),
    ]
    return list(PcapCapture().read_binary(io.BytesIO(pcap_bytes(packets)), "cap.pcap"))


def _azure_structured(rcode: str) -> list[Item]:
    fields = json.loads(DNS_NX)
    fields["properties"].update(QueryName="nope.example.org.", ResponseCode=rcode)
    return _text("azure-firewall", json.dumps(fields))


def _azure_msg(rcode: str) -> list[Item]:
    msg = f"DNS Request: 10.1.0.4:60137 - 46023 A IN nope.example.org. udp 63 false 512 {rcode} qr,rd,ra 63 0.01s"
    return _text("azure-firewall", _legacy("AzureFirewallDnsProxy", msg))


READERS: dict[str, Callable[[str], list[Item]]] = {
    "route53-resolver": _route53,
    "suricata-eve": _eve,
    "aws-network-firewall": _network_firewall,
    "zeek": _zeek,
    "pcap": _pcap,
    "azure-firewall AZFWDnsQuery": _azure_structured,
    "azure-firewall msg": _azure_msg,
}


def _one(items: list[Item]) -> Observation:
    (obs,) = [i for i in items if isinstance(i, Observation)]
    return obs


@pytest.mark.parametrize("reader", sorted(READERS))
def test_nxdomain_is_marked_the_same_way_by_every_dns_reader(reader: str) -> None:
    """NXDOMAIN: outcome nxdomain, kind dns, tier observed, port 443, a reason naming DNS and the answer."""
    obs = _one(READERS[reader]("NXDOMAIN"))
    assert (obs.host, obs.port, obs.kind, obs.tier, obs.outcome) == (
        "nope.example.org",
        443,
        "dns",
        "observed",
        NXDOMAIN,
    )
    assert is_dns_reason(f"{obs.tier}: {obs.reason}") and "NXDOMAIN" in obs.reason


@pytest.mark.parametrize("reader", sorted(READERS))
def test_servfail_is_failed_not_nxdomain(reader: str) -> None:
    """SERVFAIL says the resolver could not answer, not that the name does not exist: plain failed."""
    obs = _one(READERS[reader]("SERVFAIL"))
    assert (obs.host, obs.outcome) == ("nope.example.org", "failed") and "SERVFAIL" in obs.reason
