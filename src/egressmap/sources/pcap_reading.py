"""One pass over a packet capture: frames to observations (see :mod:`.pcap` for what is read)."""

from __future__ import annotations

import socket
import struct
from collections import Counter
from collections.abc import Iterator
from typing import BinaryIO

import dpkt

from ..hostnames import drop_reason, normalize_host
from ..model import NXDOMAIN, DnsAnswer, Observation, Outcome, Skipped
from .capture_file import CaptureFile, Frame
from .interface import Item
from .pcap_decode import LINK_NAMES, IpPacket, ip_layer
from .pcap_flows import Flows

MAX_NAMES = 1 << 20
"""Addresses remembered from DNS answers (the oldest are forgotten first)."""
MAX_QUESTIONS = 65536
"""DNS questions awaiting their answer."""
RCODES: dict[int, tuple[str, Outcome]] = {
    0: ("NOERROR", "allowed"),
    2: ("SERVFAIL", "failed"),
    3: ("NXDOMAIN", NXDOMAIN),
    5: ("REFUSED", "denied"),
}


class CaptureReading:
    """One pass over a capture: iterate it for items, then ``packets`` says how many were read."""

    def __init__(self, binary: BinaryIO, origin: str, answers: bool = False) -> None:
        self.file = CaptureFile(binary, origin)
        self.origin = origin
        self.answers = answers
        """Yield each A/AAAA answer too (another input's connections may need it for a name)."""
        self.names: dict[tuple[str, str], str] = {}
        self.flows = Flows(origin, self.names)
        self.questions: dict[tuple[str, str, int], tuple[str, float | None, int]] = {}
        self.streams: dict[tuple[str, int, str, int], bytearray] = {}
        self.links: Counter[int] = Counter()
        self.first_link: dict[int, int] = {}

    @property
    def records(self) -> int:
        """Packets read so far."""
        return self.file.frames

    def __iter__(self) -> Iterator[Item]:
        """Every observation and problem, in capture order; unanswered questions and open flows at the end."""
        for frame in self.file:
            yield from self._frame(frame)
        yield from self.file.problems
        yield from self.flows.finish()
        for (client, _, _), (name, time, number) in self.questions.items():
            yield self._dns(
                name,
                client,
                time,
                number,
                "unknown",
                "DNS question seen in a packet capture, no answer in it",
            )
        for linktype, count in self.links.items():
            yield Skipped(
                self.origin,
                self.first_link[linktype],
                f"link type {linktype} is not read (only {', '.join(sorted(set(LINK_NAMES.values())))}); "
                "capture on an Ethernet interface or with 'tcpdump -i any'",
                count=count,
            )

    def _frame(self, frame: Frame) -> list[Item]:
        if frame.linktype not in LINK_NAMES:
            self.links[frame.linktype] += 1
            self.first_link.setdefault(frame.linktype, frame.number)
            return []
        try:
            packet = ip_layer(frame.linktype, frame.data)
            if packet is None:
                return []  # ARP, LLDP...: no destination in them
            return self._ip(packet, frame)
        except (dpkt.UnpackError, struct.error, IndexError, ValueError) as exc:
            return [Skipped(self.origin, frame.number, f"packet not decoded ({type(exc).__name__})")]

    def _ip(self, packet: IpPacket, frame: Frame) -> list[Item]:
        family = socket.AF_INET if isinstance(packet, dpkt.ip.IP) else socket.AF_INET6
        src, dst = socket.inet_ntop(family, packet.src), socket.inet_ntop(family, packet.dst)
        inner = packet.data
        if isinstance(inner, dpkt.udp.UDP):
            if 53 in (inner.sport, inner.dport):
                return self._dns_message(bytes(inner.data), src, dst, frame)
            if inner.dport == 443:
                return self.flows.quic((src, inner.sport, dst, inner.dport), frame.time, frame.number)
        elif isinstance(inner, dpkt.tcp.TCP):
            key = (src, inner.sport, dst, inner.dport)
            if 53 in (inner.sport, inner.dport):
                return self._dns_stream(key, bytes(inner.data), src, dst, frame)
            flags = inner.flags
            if flags & dpkt.tcp.TH_SYN and not flags & dpkt.tcp.TH_ACK:
                return self.flows.syn(key, inner.seq, frame.time, frame.number)
            back = (dst, inner.dport, src, inner.sport)
            if flags & dpkt.tcp.TH_SYN:
                self.flows.answered(back)
            out: list[Item] = []
            if inner.data and (key in self.flows.flows or inner.dport < inner.sport):
                out = self.flows.segment(key, inner.seq, bytes(inner.data), frame.time, frame.number)
            if flags & (dpkt.tcp.TH_FIN | dpkt.tcp.TH_RST):
                out += self.flows.closed(key) + self.flows.closed(back, bool(flags & dpkt.tcp.TH_RST))
            return out
        return []

    def _dns_stream(
        self, key: tuple[str, int, str, int], data: bytes, src: str, dst: str, frame: Frame
    ) -> list[Item]:
        """DNS over TCP: two-byte length-prefixed messages, joined per direction (bounded)."""
        buf = self.streams.setdefault(key, bytearray())
        buf += data
        out: list[Item] = []
        while len(buf) >= 2:
            size = struct.unpack("!H", buf[:2])[0]
            if len(buf) < 2 + size:
                break
            out += self._dns_message(bytes(buf[2 : 2 + size]), src, dst, frame)
            del buf[: 2 + size]
        if len(buf) > 66000 or not buf:
            self.streams.pop(key, None)
        return out

    def _dns_message(self, data: bytes, src: str, dst: str, frame: Frame) -> list[Item]:
        try:
            msg = dpkt.dns.DNS(data)
        except (dpkt.UnpackError, struct.error, IndexError, ValueError):
            return [Skipped(self.origin, frame.number, "DNS message not decoded (damaged or cut short)")]
        if not msg.qd:
            return []
        question = msg.qd[0]
        if question.type == dpkt.dns.DNS_PTR:
            return []  # a reverse lookup names an address, not a destination
        if msg.qr == dpkt.dns.DNS_Q:
            if len(self.questions) < MAX_QUESTIONS:
                self.questions.setdefault((src, dst, msg.id), (question.name, frame.time, frame.number))
            return []
        self.questions.pop((dst, src, msg.id), None)
        word, outcome = RCODES.get(msg.rcode, (f"rcode {msg.rcode}", "unknown"))
        item = self._dns(
            question.name,
            dst,
            frame.time,
            frame.number,
            outcome,
            f"DNS lookup seen in a packet capture (answer {word})",
        )
        if not isinstance(item, Observation):
            return [item]
        out: list[Item] = [item]
        for answer in msg.an:
            if answer.type in (dpkt.dns.DNS_A, dpkt.dns.DNS_AAAA):
                family = socket.AF_INET if answer.type == dpkt.dns.DNS_A else socket.AF_INET6
                while len(self.names) >= MAX_NAMES:
                    self.names.pop(next(iter(self.names)))
                address = socket.inet_ntop(family, answer.rdata)
                self.names[dst, address] = self.names["", address] = item.host
                if self.answers:
                    out.append(DnsAnswer(dst, address, item.host, frame.time, self.origin))
        return out

    def _dns(
        self, name: str, client: str, time: float | None, number: int, outcome: Outcome, reason: str
    ) -> Item:
        try:
            host = normalize_host(name)
        except ValueError as exc:
            return Skipped(self.origin, number, f"DNS name not read ({exc}): {name[:80]!r}")
        why = drop_reason(host)
        if why:
            return Skipped(self.origin, number, f"{why}: {host}", kind="dropped")
        return Observation(
            host=host,
            port=443,
            kind="dns",
            tier="observed",
            reason=reason,
            source=f"{self.origin}:{number}",
            outcome=outcome,
            clients=(client,),
            time=time,
        )
