"""Build packet captures in tests: Ethernet/IP frames, DNS messages, a real TLS ClientHello, pcap/pcapng files."""

from __future__ import annotations

import io
import socket
import ssl
import struct
from collections.abc import Sequence

import dpkt

Packet = tuple[float, bytes]


def _ip(src: str, dst: str, proto: int, inner: dpkt.Packet) -> bytes:
    if ":" in src:
        ip6 = dpkt.ip6.IP6(
            src=socket.inet_pton(socket.AF_INET6, src),
            dst=socket.inet_pton(socket.AF_INET6, dst),
            nxt=proto,
            hlim=64,
            data=inner,
        )
        ip6.plen = len(bytes(inner))
        eth = dpkt.ethernet.Ethernet(type=dpkt.ethernet.ETH_TYPE_IP6, data=ip6)
    else:
        ip4 = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=proto, ttl=64, data=inner)
        ip4.len = 20 + len(bytes(inner))
        eth = dpkt.ethernet.Ethernet(type=dpkt.ethernet.ETH_TYPE_IP, data=ip4)
    eth.src, eth.dst = b"\x02\x00\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x02"
    return bytes(eth)


def udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> bytes:
    """An Ethernet frame holding one UDP datagram."""
    datagram = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    datagram.ulen = 8 + len(payload)
    return _ip(src, dst, dpkt.ip.IP_PROTO_UDP, datagram)


def tcp(src: str, dst: str, sport: int, dport: int, seq: int, flags: int, payload: bytes = b"") -> bytes:
    """An Ethernet frame holding one TCP segment."""
    segment = dpkt.tcp.TCP(sport=sport, dport=dport, seq=seq, flags=flags, win=65535, data=payload)
    return _ip(src, dst, dpkt.ip.IP_PROTO_TCP, segment)


def dns_query(name: str, ident: int, qtype: int = dpkt.dns.DNS_A) -> bytes:
    """A recursive DNS question, as a stub resolver sends it."""
    msg = dpkt.dns.DNS(id=ident, op=dpkt.dns.DNS_RD, qd=[dpkt.dns.DNS.Q(name=name, type=qtype)])
    return bytes(msg)


def dns_answer(name: str, ident: int, addresses: Sequence[str] = (), rcode: int = 0) -> bytes:
    """The resolver's answer: A/AAAA records for ``name`` (none for an error ``rcode``)."""
    msg = dpkt.dns.DNS(id=ident, op=dpkt.dns.DNS_RA | dpkt.dns.DNS_RD, rcode=rcode)
    msg.qr = dpkt.dns.DNS_R
    msg.qd = [dpkt.dns.DNS.Q(name=name, type=dpkt.dns.DNS_A)]
    answers = []
    for address in addresses:
        six = ":" in address
        family = socket.AF_INET6 if six else socket.AF_INET
        rr = dpkt.dns.DNS.RR(name=name, type=dpkt.dns.DNS_AAAA if six else dpkt.dns.DNS_A, ttl=60)
        rr.rdata = socket.inet_pton(family, address)
        answers.append(rr)
    msg.an = answers
    return bytes(msg)


def client_hello(server_name: str | None) -> bytes:
    """The TLS records of a real ClientHello, written by Python's ssl module into a memory BIO."""
    context = ssl.create_default_context()
    if server_name is None:
        context.check_hostname = False
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = context.wrap_bio(incoming, outgoing, server_hostname=server_name)
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def pcap_bytes(packets: Sequence[Packet], linktype: int = dpkt.pcap.DLT_EN10MB) -> bytes:
    """A classic pcap file (microsecond timestamps) holding these frames."""
    out = io.BytesIO()
    writer = dpkt.pcap.Writer(out, linktype=linktype)
    for time, frame in packets:
        writer.writepkt(frame, ts=time)
    return out.getvalue()


def pcapng_bytes(packets: Sequence[Packet], extra_block: bytes = b"") -> bytes:
    """A pcapng file holding these frames; ``extra_block`` is put after the first packet."""
    out = io.BytesIO()
    writer = dpkt.pcapng.Writer(out)
    for index, (time, frame) in enumerate(packets):
        writer.writepkt(frame, ts=time)
        if index == 0 and extra_block:
            out.write(extra_block)
    return out.getvalue()


def block(kind: int, body: bytes) -> bytes:
    """A little-endian pcapng block of any type (the body padded to 32 bits)."""
    body += bytes(-len(body) % 4)
    length = 12 + len(body)
    return struct.pack("<II", kind, length) + body + struct.pack("<I", length)
