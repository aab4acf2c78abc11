"""Follow the connections of a capture: reassemble each client's first bytes, name the flow, report it once.

A TCP flow is named by its TLS ClientHello SNI or its HTTP ``Host``; when neither is visible (TLS without SNI,
QUIC, another protocol, no data before the capture ended) by the DNS answer for its address seen earlier in the
same capture; else it stays an IP destination with the reason "unattributed IP". Buffers are bounded: a flow
keeps at most ``MAX_FLOW_BYTES`` of its client's bytes, and at most ``MAX_FLOWS`` flows are followed at once.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from ..hostnames import drop_reason, normalize_host, split_host_port
from ..model import Observation, Outcome, Skipped
from .interface import Item
from .pcap_decode import MORE, client_hello_sni, http_host

MAX_FLOW_BYTES = 16 * 1024
"""Client bytes kept per flow while its first message is incomplete (a ClientHello with post-quantum keys
is about 2 KiB)."""
MAX_FLOWS = 65536
"""Flows followed at once; the oldest is reported (by its DNS name or address) when a new one needs room."""
MAX_PENDING_SEGMENTS = 64
"""Out-of-order segments kept per flow."""

FlowKey = tuple[str, int, str, int]

NO_SNI = (
    "name not visible: TLS ClientHello without SNI (encrypted ClientHello, or a client connecting by address)"
)
QUIC = "name not visible: QUIC (UDP 443) encrypts its ClientHello"


@dataclass
class Flow:
    """One connection, from the client's side."""

    client: str
    server: str
    port: int
    time: float | None
    number: int
    dns_name: str | None
    """The name a DNS answer seen before the connection gave its address."""
    next_seq: int | None = None
    data: bytearray = field(default_factory=bytearray)
    pending: dict[int, bytes] = field(default_factory=dict)
    done: bool = False
    what: str = "connection"
    outcome: Outcome = "unknown"
    """``allowed`` once the server answered (SYN-ACK); ``failed`` when it reset the connection before that."""


class Flows:
    """The flows of one capture; :meth:`segment` and :meth:`finish` return what they learned."""

    def __init__(self, origin: str, dns_names: dict[tuple[str, str], str]) -> None:
        self.origin = origin
        self.dns_names = dns_names
        """(client, address) -> name, and ("", address) -> the name last answered to any client."""
        self.flows: OrderedDict[FlowKey, Flow] = OrderedDict()

    def syn(self, key: FlowKey, seq: int, time: float | None, number: int) -> list[Item]:
        """A client opened a connection (SYN without ACK)."""
        out = self._room()
        self.flows[key] = Flow(key[0], key[2], key[3], time, number, self._name(key), seq + 1)
        return out

    def quic(self, key: FlowKey, time: float | None, number: int) -> list[Item]:
        """A UDP datagram to port 443: named only by DNS, reported once per flow."""
        if key in self.flows:
            return []
        out = self._room()
        flow = Flow(key[0], key[2], key[3], time, number, self._name(key), done=True, what="QUIC flow")
        self.flows[key] = flow
        out.append(Skipped(self.origin, number, QUIC, kind="warning"))
        out.append(self._unnamed(flow))
        return out

    def segment(self, key: FlowKey, seq: int, payload: bytes, time: float | None, number: int) -> list[Item]:
        """Client bytes of a connection (a flow first seen mid-way starts at this segment)."""
        flow = self.flows.get(key)
        out: list[Item] = []
        if flow is None:
            out = self._room()
            flow = Flow(key[0], key[2], key[3], time, number, self._name(key), seq)
            self.flows[key] = flow
        if flow.done or not payload:
            return out
        if flow.next_seq is None:
            flow.next_seq = seq
        offset = (seq - flow.next_seq) % (1 << 32)
        if offset >= 1 << 31:  # before the next expected byte: a retransmission, maybe with new bytes
            skip = (1 << 32) - offset
            payload, seq = payload[skip:], (seq + skip) % (1 << 32)
            offset = 0
        if offset:
            if len(flow.pending) < MAX_PENDING_SEGMENTS:
                flow.pending[seq] = payload
            return out
        self._append(flow, payload)
        while flow.next_seq in flow.pending:
            self._append(flow, flow.pending.pop(flow.next_seq))
        return out + self._decide(flow)

    def _name(self, key: FlowKey) -> str | None:
        """The name of the flow's address in a DNS answer to the same client, else to any client, else None."""
        return self.dns_names.get((key[0], key[2])) or self.dns_names.get(("", key[2]))

    def answered(self, key: FlowKey) -> None:
        """The server answered the client's SYN: the connection was allowed through."""
        flow = self.flows.get(key)
        if flow is not None:
            flow.outcome = "allowed"

    def closed(self, key: FlowKey, reset_by_server: bool = False) -> list[Item]:
        """The connection ended (FIN or RST): an undecided flow is reported now."""
        flow = self.flows.get(key)
        if flow is None or flow.done:
            return []
        if reset_by_server and flow.outcome == "unknown":
            flow.outcome = "failed"
        flow.done = True
        return [self._unnamed(flow)]

    def finish(self) -> list[Item]:
        """The capture ended: report every undecided flow."""
        out = [self._unnamed(f) for f in self.flows.values() if not f.done]
        self.flows.clear()
        return out

    def _room(self) -> list[Item]:
        out: list[Item] = []
        while len(self.flows) >= MAX_FLOWS:
            _, old = self.flows.popitem(last=False)
            if not old.done:
                out.append(self._unnamed(old))
        return out

    @staticmethod
    def _append(flow: Flow, payload: bytes) -> None:
        assert flow.next_seq is not None
        flow.data += payload[: max(0, MAX_FLOW_BYTES - len(flow.data))]
        flow.next_seq = (flow.next_seq + len(payload)) % (1 << 32)

    def _decide(self, flow: Flow) -> list[Item]:
        buf = bytes(flow.data)
        full = len(buf) >= MAX_FLOW_BYTES
        sni = client_hello_sni(buf)
        if sni == MORE and not full:
            return []
        found: list[Item] = []
        if isinstance(sni, str) and sni not in (MORE, "not-tls"):
            found = [self._named(flow, sni, flow.port, "https", "TLS ClientHello SNI")]
        elif sni is None:
            found = [Skipped(self.origin, flow.number, NO_SNI, kind="warning"), self._unnamed(flow)]
        elif sni == MORE:
            found = [
                Skipped(
                    self.origin, flow.number, f"TLS ClientHello longer than {MAX_FLOW_BYTES} bytes not read"
                ),
                self._unnamed(flow),
            ]
        else:
            host = http_host(buf, MAX_FLOW_BYTES)
            if host == MORE and not full:
                return []
            if isinstance(host, str) and host not in (MORE, "not-http"):
                found = [self._named_http(flow, host)]
            else:
                found = [self._unnamed(flow)]
        flow.done = True
        flow.data = bytearray()
        flow.pending.clear()
        return found

    def _named_http(self, flow: Flow, value: str) -> Item:
        try:
            raw, port = split_host_port(value, flow.port)
        except ValueError as exc:
            return Skipped(self.origin, flow.number, f"HTTP Host header not read ({exc}): {value[:80]!r}")
        return self._named(flow, raw, port, "http", "HTTP Host header")

    def _named(self, flow: Flow, raw: str, port: int, scheme: str, how: str) -> Item:
        try:
            host = normalize_host(raw)
        except ValueError as exc:
            return Skipped(self.origin, flow.number, f"{how} not read ({exc}): {raw[:80]!r}")
        why = drop_reason(host)
        if why:
            return Skipped(self.origin, flow.number, f"{why}: {host}", kind="dropped")
        return Observation(
            host=host,
            port=port,
            kind="connect",
            tier="observed",
            reason=f"{how} in a packet capture",
            source=f"{self.origin}:{flow.number}",
            scheme=scheme,
            outcome=flow.outcome,
            clients=(flow.client,),
            time=flow.time,
        )

    def _unnamed(self, flow: Flow) -> Item:
        scheme = "https" if flow.port == 443 else "http" if flow.port == 80 else None
        where = f"{self.origin}:{flow.number}"
        if flow.dns_name is not None:
            return Observation(
                host=flow.dns_name,
                port=flow.port,
                kind="connect",
                tier="observed",
                reason=f"{flow.what} in a packet capture to {flow.server}, an address a DNS answer before it "
                f"gave for {flow.dns_name}",
                source=where,
                scheme=scheme,
                outcome=flow.outcome,
                clients=(flow.client,),
                time=flow.time,
            )
        host = normalize_host(flow.server)
        why = drop_reason(host)
        if why:
            return Skipped(self.origin, flow.number, f"{why}: {host}", kind="dropped")
        return Observation(
            host=host,
            port=flow.port,
            kind="connect",
            tier="observed",
            reason=f"unattributed IP: {flow.what} in a packet capture, no name visible and no DNS answer "
            "before it gave this address",
            source=where,
            scheme=scheme,
            outcome=flow.outcome,
            clients=(flow.client,),
            time=flow.time,
        )
