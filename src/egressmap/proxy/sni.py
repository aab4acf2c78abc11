"""Read the server name (SNI) from the first bytes of a TLS connection: a ClientHello, possibly fragmented.

Pure functions over bytes, no I/O. The hello may arrive split over several TCP reads and over several TLS
records; the caller feeds what it has so far and asks again with more when the answer is ``more``. Anything
that is not a TLS handshake record is ``not-tls``; a handshake that breaks the format is ``malformed``.
Formats: RFC 8446 section 4.1.2 (ClientHello), RFC 6066 section 3 (server_name), RFC 5246 section 6.2.1
(records, fragmentation).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["MAX_HELLO", "SniResult", "parse_client_hello"]

MAX_HELLO = 64 * 1024
"""Bytes of handshake data read before giving up on finding the end of a ClientHello."""

_HANDSHAKE, _CLIENT_HELLO, _SERVER_NAME, _HOST_NAME = 22, 1, 0, 0

Status = Literal["more", "not-tls", "malformed", "ok"]


@dataclass(frozen=True, slots=True)
class SniResult:
    """What the first bytes of a connection say about TLS and its server name."""

    status: Status
    """``ok`` a whole ClientHello was read; ``more`` it is incomplete; ``not-tls``; ``malformed``."""
    sni: str | None = None
    """The host_name the client asked for (raw text, not normalised), None when it sent none."""
    reason: str = ""
    """Why the hello is malformed (empty otherwise)."""


NEED_MORE = SniResult("more")
NOT_TLS = SniResult("not-tls")


def _bad(reason: str) -> SniResult:
    return SniResult("malformed", reason=reason)


def _handshake_bytes(data: bytes) -> tuple[bytes, bool] | SniResult:
    """Concatenate handshake record payloads; return them and whether the data ended inside a record."""
    out = bytearray()
    pos = 0
    while pos < len(data):
        if data[pos] != _HANDSHAKE:
            return NOT_TLS if pos == 0 else (bytes(out), False)
        if len(data) - pos >= 2 and data[pos + 1] != 3:
            return NOT_TLS if pos == 0 else _bad("record with a version that is not TLS")
        if len(data) - pos < 5:
            return bytes(out), True
        length = int.from_bytes(data[pos + 3 : pos + 5], "big")
        if length == 0 or length > 16384 + 2048:
            return _bad(f"TLS record length {length}")
        out += data[pos + 5 : pos + 5 + length]
        if pos + 5 + length > len(data):
            return bytes(out), True
        pos += 5 + length
    return bytes(out), False


def parse_client_hello(data: bytes) -> SniResult:
    r"""Find the SNI in the ClientHello that starts ``data``.

    >>> parse_client_hello(b"GET / HTTP/1.1\r\n").status
    'not-tls'
    >>> parse_client_hello(b"\x16\x03\x01").status
    'more'
    """
    if not data:
        return NEED_MORE
    got = _handshake_bytes(data[: MAX_HELLO + 5 * 8])
    if isinstance(got, SniResult):
        return got
    hs, _partial = got
    if len(hs) < 4:
        return NEED_MORE if len(data) < MAX_HELLO else _bad("no handshake header")
    if hs[0] != _CLIENT_HELLO:
        return _bad(f"first handshake message is type {hs[0]}, not ClientHello")
    length = int.from_bytes(hs[1:4], "big")
    if length > MAX_HELLO:
        return _bad(f"ClientHello of {length} bytes")
    if len(hs) < 4 + length:
        return NEED_MORE if len(data) < MAX_HELLO + 64 else _bad("ClientHello never ends")
    try:
        return SniResult("ok", sni=_server_name(hs[4 : 4 + length]))
    except (IndexError, ValueError) as exc:
        return _bad(str(exc) or "truncated ClientHello")


def _vector(data: bytes, pos: int, size: int, limit: int = -1) -> tuple[int, int]:
    """Start and end of the length-prefixed field at ``pos`` (``size``-byte length); IndexError past the end."""
    limit = len(data) if limit < 0 else limit
    start = pos + size
    if start > limit:
        raise IndexError("field runs past the end of the ClientHello")
    end = start + int.from_bytes(data[pos:start], "big")
    if end > limit:
        raise IndexError("field runs past the end of the ClientHello")
    return start, end


def _server_name(body: bytes) -> str | None:
    """The host_name of the server_name extension of a ClientHello body, None when absent."""
    pos = 2 + 32  # legacy_version, random
    _, pos = _vector(body, pos, 1)  # legacy_session_id
    _, pos = _vector(body, pos, 2)  # cipher_suites
    _, pos = _vector(body, pos, 1)  # legacy_compression_methods
    if pos == len(body):
        return None  # no extensions at all (SSLv3-style hello)
    pos, end = _vector(body, pos, 2)
    found: str | None = None
    seen: set[int] = set()
    while pos < end:
        if pos + 4 > end:
            raise IndexError("truncated extension header")
        kind = int.from_bytes(body[pos : pos + 2], "big")
        start, pos = _vector(body, pos + 2, 2, end)
        if kind in seen:
            raise ValueError(f"extension {kind} appears twice")
        seen.add(kind)
        if kind == _SERVER_NAME:
            found = _host_name(body[start:pos])
    return found


def _host_name(ext: bytes) -> str | None:
    pos, end = _vector(ext, 0, 2)
    host: str | None = None
    while pos < end:
        name_type = ext[pos]
        start, pos = _vector(ext, pos + 1, 2, end)
        name = ext[start:pos]
        if name_type == _HOST_NAME:
            if host is not None:
                raise ValueError("two host_name entries in server_name")
            if not name or not name.isascii():
                raise ValueError("server_name host_name is empty or not ASCII")
            host = name.decode("ascii")
    return host
