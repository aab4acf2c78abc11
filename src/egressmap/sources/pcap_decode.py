"""Decode what a captured packet says about a destination: its IP layer, a TLS ClientHello's SNI, an HTTP Host.

dpkt decodes the link and IP layers and DNS messages; the ClientHello and the HTTP request head are read here
from a flow's reassembled bytes, which may be incomplete (``MORE``: wait for the next segment).
"""

from __future__ import annotations

import struct
from typing import Any, Literal, TypeAlias

import dpkt

IpPacket: TypeAlias = Any
"""A ``dpkt.ip.IP`` or ``dpkt.ip6.IP6`` (dpkt has no type hints)."""
MORE: Literal["more"] = "more"
"""The bytes so far are the start of what is looked for: wait for more."""

LINK_NAMES = {
    0: "BSD loopback",
    1: "Ethernet",
    12: "raw IP",
    14: "raw IP",
    101: "raw IP",
    108: "OpenBSD loopback",
    113: "Linux cooked capture",
    228: "raw IPv4",
    229: "raw IPv6",
    276: "Linux cooked capture v2",
}
"""Link types whose packets are read (others are reported once, with their number)."""


def ip_layer(linktype: int, data: bytes) -> IpPacket | None:
    """The IP packet inside a frame of this link type, or None (not IP, or cut short)."""
    try:
        if linktype == 1:
            inner = dpkt.ethernet.Ethernet(data).data
        elif linktype == 113:
            inner = dpkt.sll.SLL(data).data
        elif linktype == 276:
            inner = dpkt.sll2.SLL2(data).data
        elif linktype in (0, 108):
            return _by_version(data[4:])
        elif linktype in (12, 14, 101, 228, 229):
            return _by_version(data)
        else:
            return None
    except (dpkt.UnpackError, struct.error, IndexError, ValueError):
        return None
    return inner if isinstance(inner, (dpkt.ip.IP, dpkt.ip6.IP6)) else None


def _by_version(data: bytes) -> IpPacket | None:
    if not data:
        return None
    version = data[0] >> 4
    if version == 4:
        packet: IpPacket = dpkt.ip.IP(data)
        return packet
    if version == 6:
        packet = dpkt.ip6.IP6(data)
        return packet
    return None


def client_hello_sni(buf: bytes) -> str | None | Literal["more", "not-tls"]:
    r"""The SNI of the TLS ClientHello that ``buf`` begins with; None when it has none; ``more`` or ``not-tls``.

    The handshake message may span several TLS records, and the records several TCP segments.

    >>> client_hello_sni(b"GET / HTTP/1.1"), client_hello_sni(b"\x16\x03\x01\x02\x00\x01")
    ('not-tls', 'more')
    """
    if len(buf) < 6:
        return MORE if not buf or buf[0] == 0x16 else "not-tls"
    if buf[0] != 0x16 or buf[1] != 3 or buf[5] != 1:
        return "not-tls"
    hello = bytearray()
    pos = 0
    while True:  # join the handshake records until the ClientHello is whole
        if len(buf) < pos + 5:
            return MORE
        if buf[pos] != 0x16:
            return "not-tls"
        size = struct.unpack("!H", buf[pos + 3 : pos + 5])[0]
        if len(buf) < pos + 5 + size:
            hello += buf[pos + 5 :]
            return MORE if len(hello) < 4 or len(hello) < 4 + _u24(hello, 1) else _sni(bytes(hello))
        hello += buf[pos + 5 : pos + 5 + size]
        pos += 5 + size
        if len(hello) >= 4 and len(hello) >= 4 + _u24(hello, 1):
            return _sni(bytes(hello))


def _u24(data: bytes | bytearray, at: int) -> int:
    return int.from_bytes(data[at : at + 3], "big")


def _sni(hello: bytes) -> str | None | Literal["not-tls"]:
    """The host_name of a whole ClientHello handshake message's server_name extension, or None."""
    try:
        pos = 4 + 2 + 32  # message header, version, random
        pos += 1 + hello[pos]  # session id
        pos += 2 + struct.unpack("!H", hello[pos : pos + 2])[0]  # cipher suites
        pos += 1 + hello[pos]  # compression methods
        if pos + 2 > len(hello):
            return None
        end = pos + 2 + struct.unpack("!H", hello[pos : pos + 2])[0]
        pos += 2
        while pos + 4 <= end:
            kind, size = struct.unpack("!HH", hello[pos : pos + 4])
            if kind == 0:
                names = hello[pos + 4 : pos + 4 + size]
                at = 2
                while at + 3 <= len(names):
                    name_type, length = names[at], struct.unpack("!H", names[at + 1 : at + 3])[0]
                    if name_type == 0:
                        return names[at + 3 : at + 3 + length].decode("ascii")
                    at += 3 + length
                return None
            pos += 4 + size
    except (IndexError, struct.error, UnicodeDecodeError):
        return "not-tls"
    return None


_METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ", b"TRACE ")


def http_host(buf: bytes, limit: int) -> str | None | Literal["more", "not-http"]:
    r"""The ``Host`` header (with its port, if any) of the HTTP/1 request ``buf`` begins with; None without one.

    ``CONNECT host:port`` names its target on the request line, which is what a proxy client sends.

    >>> http_host(b"GET / HTTP/1.1\r\nHost: Example.org:8080\r\n\r\n", 4096)
    'Example.org:8080'
    >>> http_host(b"GET / HTTP/1.1\r\nAccept: */*\r\n", 4096), http_host(b"\x16\x03", 4096)
    ('more', 'not-http')
    """
    if not buf.startswith(_METHODS):
        return MORE if any(m.startswith(buf) for m in _METHODS) else "not-http"
    end = buf.find(b"\r\n\r\n")
    if end < 0 and len(buf) < limit:
        return MORE
    head = buf[: end if end >= 0 else limit].decode("latin-1")
    lines = head.split("\r\n")
    if lines[0].startswith("CONNECT "):
        return lines[0].split(" ")[1] if len(lines[0].split(" ")) > 1 else None
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "host" and value.strip():
            return value.strip()
    return None
