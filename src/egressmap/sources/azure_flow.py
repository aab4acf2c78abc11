"""Azure NSG flow logs (version 1 and 2) and VNet flow logs: outbound flows as IP destinations.

NSG flow logs (category ``NetworkSecurityGroupFlowEvent``) nest ``records[].properties.flows[].flows[].flowTuples``;
a tuple is ``epoch seconds,src,dst,sport,dport,T|U,I|O,A|D`` and, in version 2, ``,state,packets and bytes...``.
VNet flow logs (``FlowLogFlowEvent``) nest ``records[].flowRecords.flows[].flowGroups[].flowTuples``; a tuple is
``epoch milliseconds,src,dst,sport,dport,IANA protocol number,I|O,B|C|E|D,encryption,...`` where state ``D`` is a
denied flow. Only outbound tuples are destinations; the source address is the client. Within one record the tuples
of one flow (begin, continuing, end) count once: an observation's count is the number of distinct source ports.
Flow logs name no host: every destination is an IP address, "unattributed IP" until a DNS source names it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..hostnames import is_ip
from ..model import Observation, Outcome, Skipped
from .azure_json import records
from .interface import Item, Source

_MARKS = ('"flowTuples"', "NetworkSecurityGroupFlowEvent", "FlowLogFlowEvent")
MILLISECONDS = 10**11
"""A tuple time above this is in milliseconds (VNet flow logs; some documented samples use seconds)."""
_PROTOCOLS = {"T": "TCP", "U": "UDP", "6": "TCP", "17": "UDP", "1": "ICMP", "58": "ICMPv6"}


class AzureFlow(Source):
    """NSG and VNet flow logs from Network Watcher."""

    name = "azure-flow"
    role = "network"
    description = "Azure NSG flow logs (v1, v2) and VNet flow logs (JSON flow tuples)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "flow logs name IP addresses only: names come from DNS evidence",
        "traffic to the Azure platform (168.63.129.16 DNS, instance metadata) is not logged",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """JSON with a flow-log category or ``flowTuples`` key in the first lines."""
        first = next((line.strip() for line in head if line.strip()), "")
        text = "\n".join(head)
        return 1.0 if first.startswith(("{", "[")) and any(mark in text for mark in _MARKS) else -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """One observation per (client, destination, port, protocol, outcome) in each record."""
        for found in records(lines, origin):
            if isinstance(found, Skipped):
                yield found
                continue
            lineno, record = found
            yield from _record(record, origin, lineno)


@dataclass
class _Flows:
    """The outbound flows of one record to one destination."""

    first: float
    last: float
    ports: set[str] = field(default_factory=set)


def _record(record: dict[str, Any], origin: str, lineno: int) -> Iterator[Item]:
    tuples, vnet = _tuples(record)
    if tuples is None:
        what = record.get("category") or "record"
        yield Skipped(
            origin, lineno, f"flow log {what} without flow tuples (properties.flows or flowRecords.flows)"
        )
        return
    grouped: dict[tuple[str, str, int, str, str, Outcome], _Flows] = {}
    bad: list[str] = []
    inbound = 0
    for rule, text in tuples:
        parsed = _tuple(str(text), vnet)
        if isinstance(parsed, str):
            bad.append(parsed)
            continue
        if parsed is None:
            inbound += 1
            continue
        when, client, dst, sport, port, proto, outcome = parsed
        key = (client, dst, port, proto, rule, outcome)
        flows = grouped.setdefault(key, _Flows(when, when))
        flows.first, flows.last = min(flows.first, when), max(flows.last, when)
        flows.ports.add(sport)
    kind = "VNet flow log" if vnet else "NSG flow log"
    for (client, dst, port, proto, rule, outcome), flows in grouped.items():
        denied = ", denied" if outcome == "denied" else ""
        yield Observation(
            host=dst,
            port=port,
            kind="connect",
            tier="observed",
            reason=f"outbound {proto} flow in an Azure {kind} (rule {rule or 'unnamed'}{denied}; unattributed IP)",
            source=f"{origin}:{lineno}",
            outcome=outcome,
            clients=(client,),
            time=flows.first,
            last_time=flows.last if flows.last != flows.first else None,
            count=len(flows.ports),
        )
    if bad:
        yield Skipped(origin, lineno, f"bad flow tuple: {bad[0]}", count=len(bad))
    if inbound:
        yield Skipped(origin, lineno, "inbound flow tuple or one without a port: not egress", kind="dropped",
                      count=inbound)  # fmt: skip


def _tuples(record: dict[str, Any]) -> tuple[list[tuple[str, object]] | None, bool]:
    """``(rule, tuple text)`` pairs and whether the record is a VNet flow log."""
    out: list[tuple[str, object]] = []
    vnet_flows = (
        (record.get("flowRecords") or {}).get("flows")
        if isinstance(record.get("flowRecords"), dict)
        else None
    )
    if isinstance(vnet_flows, list):
        for acl in vnet_flows:
            for group in acl.get("flowGroups") or [] if isinstance(acl, dict) else []:
                if isinstance(group, dict):
                    out.extend((str(group.get("rule") or ""), t) for t in group.get("flowTuples") or [])
        return out, True
    props = record.get("properties")
    nsg_flows = props.get("flows") if isinstance(props, dict) else None
    if not isinstance(nsg_flows, list):
        return None, False
    for by_rule in nsg_flows:
        if not isinstance(by_rule, dict):
            continue
        for by_mac in by_rule.get("flows") or []:
            if isinstance(by_mac, dict):
                out.extend((str(by_rule.get("rule") or ""), t) for t in by_mac.get("flowTuples") or [])
    return out, False


def _tuple(text: str, vnet: bool) -> tuple[float, str, str, str, int, str, Outcome] | str | None:
    """The parts of an outbound tuple; None for inbound (or portless) ones; a reason string when it is bad."""
    parts = text.split(",")
    if len(parts) < 8:
        return f"{text[:80]!r} has {len(parts)} fields, not 8 or more"
    stamp, src, dst, sport, dport, proto, direction, flag = parts[:8]
    if direction not in ("I", "O") or not stamp.isdigit() or not dport.isdigit():
        return f"{text[:80]!r} is not time,src,dst,sport,dport,protocol,direction,..."
    if not is_ip(src) or not is_ip(dst):
        return f"{text[:80]!r} has no IP addresses"
    port = int(dport)
    if direction == "I" or not 0 < port < 65536:
        return None
    when = int(stamp) / 1000.0 if int(stamp) > MILLISECONDS else float(stamp)
    if vnet:  # state D: denied; NX_NOT_ACCEPTED: dropped for want of encryption
        dropped = flag == "D" or (len(parts) > 8 and parts[8] == "NX_NOT_ACCEPTED")
        outcome: Outcome = "denied" if dropped else "allowed"
    elif flag in ("A", "D"):
        outcome = "denied" if flag == "D" else "allowed"
    else:
        return f"{text[:80]!r} has decision {flag!r}, not A or D"
    return when, src, dst.lower(), sport, port, _PROTOCOLS.get(proto, f"protocol {proto}"), outcome
