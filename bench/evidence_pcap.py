"""A packet capture shaped like a busy subnet's egress, for bench/evidence (written with dpkt).

Clients look names up (DNS over UDP to the VPC resolver, A answers), then connect to the address they got: TLS
on 443 with a real ClientHello from Python's ``ssl`` (about one in ten split over two TCP segments), plain HTTP
on 80 with a ``Host``, now and then QUIC on UDP 443. Servers answer with bulk data the clients acknowledge,
which is where most of a real capture's bytes are. A few dozen sessions run at once, so flows interleave.
"""

from __future__ import annotations

import random
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

import dpkt
from evidence_data import Names

Frame = bytes
RESOLVER = "10.40.0.2"
MSS = 1448
CONCURRENT = 32


def _frame(src: str, dst: str, proto: int, inner: dpkt.Packet) -> Frame:
    ip = dpkt.ip.IP(src=socket.inet_aton(src), dst=socket.inet_aton(dst), p=proto, ttl=64, data=inner)
    ip.len = 20 + len(bytes(inner))
    eth = dpkt.ethernet.Ethernet(
        type=dpkt.ethernet.ETH_TYPE_IP,
        data=ip,
        src=b"\x02\x00\x00\x00\x00\x01",
        dst=b"\x02\x00\x00\x00\x00\x02",
    )
    return bytes(eth)


def _udp(src: str, dst: str, sport: int, dport: int, payload: bytes) -> Frame:
    datagram = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    datagram.ulen = 8 + len(payload)
    return _frame(src, dst, dpkt.ip.IP_PROTO_UDP, datagram)


def _tcp(
    src: str, dst: str, sport: int, dport: int, seq: int, ack: int, flags: int, payload: bytes = b""
) -> Frame:
    segment = dpkt.tcp.TCP(
        sport=sport,
        dport=dport,
        seq=seq % (1 << 32),
        ack=ack % (1 << 32),
        flags=flags,
        win=65535,
        data=payload,
    )
    return _frame(src, dst, dpkt.ip.IP_PROTO_TCP, segment)


def _dns(name: str, ident: int, addresses: list[str] | None) -> bytes:
    """A question (``addresses`` None) or its answer (an empty list is NXDOMAIN)."""
    msg = dpkt.dns.DNS(id=ident, op=dpkt.dns.DNS_RD, qd=[dpkt.dns.DNS.Q(name=name, type=dpkt.dns.DNS_A)])
    if addresses is not None:
        msg.op = dpkt.dns.DNS_RA | dpkt.dns.DNS_RD
        msg.qr = dpkt.dns.DNS_R  # after op: qr is a bit of the same field
        msg.rcode = dpkt.dns.DNS_RCODE_NOERR if addresses else dpkt.dns.DNS_RCODE_NXDOMAIN
        msg.an = []
        for address in addresses:
            rr = dpkt.dns.DNS.RR(name=name, type=dpkt.dns.DNS_A, ttl=60)
            rr.rdata = socket.inet_aton(address)
            msg.an.append(rr)
    return bytes(msg)


class Hellos:
    """Real ClientHellos from Python's ssl module (one context; a new handshake per connection)."""

    def __init__(self) -> None:
        self.context = ssl.create_default_context()

    def __call__(self, server_name: str) -> bytes:
        incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        conn = self.context.wrap_bio(incoming, outgoing, server_hostname=server_name)
        try:
            conn.do_handshake()
        except ssl.SSLWantReadError:
            pass
        return outgoing.read()


def _session(
    rng: random.Random, names: Names, hellos: Hellos, client: str, name: str, lookup: bool
) -> Iterator[Frame]:
    """One client's lookup (when ``lookup``) and connection to the name, packet by packet."""
    addresses = names.addresses.get(name, ["198.51.100.7"])
    roll = rng.random()
    if lookup or roll < 0.3:
        asked = [name]
        if rng.random() < 0.05:  # the resolver's search domain first (NXDOMAIN), then the name itself
            asked.insert(0, f"{name}.ec2.internal")
        for question in asked:
            ident, port = rng.randrange(65536), rng.randrange(32768, 61000)
            yield _udp(client, RESOLVER, port, 53, _dns(question, ident, None))
            yield _udp(
                RESOLVER, client, 53, port, _dns(question, ident, addresses if question == name else [])
            )
        if roll < 0.3:  # looked up, not connected to (yet)
            return
    server, sport = rng.choice(addresses), rng.randrange(32768, 61000)
    roll = rng.random()
    if roll < 0.03:  # QUIC: a few datagrams each way, the name only in DNS
        for _ in range(rng.randrange(3, 12)):
            yield _udp(client, server, sport, 443, rng.randbytes(1200))
            yield _udp(server, client, 443, sport, rng.randbytes(1200))
        return
    dport = 80 if roll < 0.13 else 443
    request = (
        f"GET /pool/{rng.randrange(10**6)}.deb HTTP/1.1\r\nHost: {name}\r\nUser-Agent: apt\r\n\r\n".encode()
        if dport == 80
        else hellos(name)
    )
    cseq, sseq = rng.randrange(1 << 32), rng.randrange(1 << 32)
    S, SA, A, PA, FA = (
        dpkt.tcp.TH_SYN,
        dpkt.tcp.TH_SYN | dpkt.tcp.TH_ACK,
        dpkt.tcp.TH_ACK,
        dpkt.tcp.TH_PUSH | dpkt.tcp.TH_ACK,
        dpkt.tcp.TH_FIN | dpkt.tcp.TH_ACK,
    )
    yield _tcp(client, server, sport, dport, cseq, 0, S)
    yield _tcp(server, client, dport, sport, sseq, cseq + 1, SA)
    cseq, sseq = cseq + 1, sseq + 1
    yield _tcp(client, server, sport, dport, cseq, sseq, A)
    cut = rng.randrange(20, len(request) - 20) if dport == 443 and rng.random() < 0.1 else len(request)
    for part in (request[:cut], request[cut:]):
        if part:
            yield _tcp(client, server, sport, dport, cseq, sseq, PA, part)
            cseq += len(part)
    for i in range(min(100, int(rng.paretovariate(1.2) * 2))):  # bulk data, heavy-tailed
        chunk = rng.randbytes(MSS)
        yield _tcp(server, client, dport, sport, sseq, cseq, A if i % 8 else PA, chunk)
        sseq += MSS
        if i % 2:
            yield _tcp(client, server, sport, dport, cseq, sseq, A)
    yield _tcp(client, server, sport, dport, cseq, sseq, FA)
    yield _tcp(server, client, dport, sport, sseq, cseq + 1, FA)
    yield _tcp(client, server, sport, dport, cseq + 1, sseq + 1, A)


def write_capture(path: Path, megabytes: int, seed: int = 15) -> int:
    """A classic pcap of about ``megabytes`` MB; the number of packets written."""
    rng = random.Random(seed)
    names = Names(rng, 6000)
    hellos = Hellos()
    clients = [f"10.40.{i // 200}.{i % 200 + 10}" for i in range(64)]
    resolved: set[tuple[str, str]] = set()
    budget, written, packets = megabytes * 1_000_000, 0, 0
    ts = 1_793_692_800.0
    active: list[Iterator[Frame]] = []
    draws = iter(names.draw(1 << 20, 0.5))
    with path.open("wb") as out:
        writer = dpkt.pcap.Writer(out, snaplen=65535, linktype=dpkt.pcap.DLT_EN10MB)
        while written < budget or active:
            while written < budget and len(active) < CONCURRENT:
                client, name = rng.choice(clients), next(draws)
                lookup = (client, name) not in resolved or rng.random() < 0.2
                resolved.add((client, name))
                active.append(_session(rng, names, hellos, client, name, lookup))
            pick = rng.randrange(len(active))
            frame = next(active[pick], None)
            if frame is None:
                active[pick] = active[-1]
                active.pop()
                continue
            ts += rng.random() * 0.002
            writer.writepkt(frame, ts=ts)
            written += len(frame) + 16
            packets += 1
    return packets
