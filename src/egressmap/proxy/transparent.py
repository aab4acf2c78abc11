"""Transparent mode's sans-io core: connections redirected by iptables/nftables, not sent to a proxy.

The original destination comes from the socket (``SO_ORIGINAL_DST``, read by the server with
:func:`original_dst`). The first bytes name the host: the TLS SNI of a ClientHello, or the ``Host`` header of
an HTTP request (parsed by h11). That name must be allowed *and* resolve to the original destination address;
without a name (another protocol, or a client that waits for the server to speak first) the address itself
must be allowed. The connection then goes to the original destination, never to wherever the name points.
"""

from __future__ import annotations

import socket
import struct
import time

import h11

from ..hostnames import split_host_port
from .allow import normalized
from .commands import (
    CloseClient,
    CloseUpstream,
    Command,
    Decide,
    Emit,
    Limits,
    OpenUpstream,
    Resolve,
    SendUpstream,
    StartRelay,
)
from .record import Record, now
from .sni import parse_client_hello

__all__ = ["SO_ORIGINAL_DST", "TransparentCore", "original_dst"]

SO_ORIGINAL_DST = 80
"""``getsockopt(SOL_IP, SO_ORIGINAL_DST)``: the IPv4 destination before NAT (linux/netfilter_ipv4.h)."""


def original_dst(sock: socket.socket) -> tuple[str, int]:
    """The address a redirected IPv4 connection was originally sent to (raises OSError when not redirected)."""
    raw = sock.getsockopt(socket.SOL_IP, SO_ORIGINAL_DST, 16)
    port, packed = struct.unpack_from("!2xH4s", raw)
    return socket.inet_ntoa(packed), port


class TransparentCore:
    """One redirected client connection."""

    def __init__(
        self,
        client: str,
        dst: tuple[str, int],
        decide: Decide,
        *,
        enforce: bool,
        limits: Limits | None = None,
    ) -> None:
        """``dst`` is the original destination (IP, port)."""
        self.dst_ip, self.dst_port = dst
        self.decide, self.enforce = decide, enforce
        self.limits = limits or Limits()
        self.record = Record(
            host=dst[0], port=dst[1], method="TCP", client=client, mode="transparent", time=now()
        )
        self.started = time.perf_counter()
        self.state = "first"
        """``first`` waiting for the first bytes; ``resolve``; ``connect``; ``relay``; ``closed``."""
        self.buffer = b""
        self.name: str | None = None

    @property
    def waiting(self) -> bool:
        """True until the connection has been decided."""
        return self.state == "first"

    def client_data(self, data: bytes) -> list[Command]:
        """Bytes from the client before the relay starts."""
        if self.state not in ("first", "resolve", "connect"):
            return []
        self.buffer += data
        if self.state != "first":
            return []
        tls = parse_client_hello(self.buffer)
        if tls.status == "more":
            return []
        if tls.status == "ok":
            self.record.method = "TLS"
            self.record.sni = tls.sni[:255] if tls.sni else None
            return self._named(tls.sni)
        if tls.status == "malformed":
            self.record.method = "TLS"
            if self.enforce:
                return self._deny(f"unreadable TLS ClientHello ({tls.reason})")
            return self._named(None)
        if b"\r\n\r\n" not in self.buffer and len(self.buffer) < self.limits.max_header_bytes:
            if self.buffer[:1].isalpha() and self.buffer[:1].isupper():
                return []  # the start of an HTTP request line: wait for the whole head
        return self._named(self._http_host())

    def client_eof(self) -> list[Command]:
        """The client half-closed before the relay: decide on what it sent."""
        if self.state == "first" and self.buffer:
            return self.first_timeout()
        return self.abort("client closed before sending anything") if self.state == "first" else []

    def upstream_data(self, data: bytes) -> list[Command]:
        """Upstream bytes before the relay cannot happen (the relay starts on connect); ignore them."""
        return []

    def upstream_eof(self) -> list[Command]:
        """Upstream closed before the relay started."""
        return self.abort("upstream closed")

    def first_timeout(self) -> list[Command]:
        """Nothing (or not enough) arrived in time: decide on the original destination alone."""
        if self.state != "first":
            return []
        if self.buffer and self.enforce:
            return self._deny("incomplete TLS ClientHello or HTTP request")
        return self._named(None)

    def _http_host(self) -> str | None:
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        try:
            conn.receive_data(self.buffer[: self.limits.max_header_bytes])
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return None
        if not isinstance(event, h11.Request):
            return None
        self.record.method = event.method.decode("ascii", "replace")
        host = next((v.decode("ascii", "replace") for k, v in event.headers if k == b"host"), None)
        if host is None:
            return None
        try:
            name, _ = split_host_port(host, self.dst_port)
        except ValueError:
            return host
        path = event.target.decode("ascii", "replace").partition("?")[0]
        self.record.url = f"http://{host}{path}"
        return name

    def _named(self, raw: str | None) -> list[Command]:
        if raw is None:
            verdict = self.decide(self.dst_ip, self.dst_port)
        else:
            verdict = self.decide(raw, self.dst_port)
            self.record.host = verdict.host
        self.record.reason = verdict.reason
        if not verdict.allowed:
            return self._deny(verdict.reason)
        name = normalized(raw) if raw is not None else None
        if name is None or name == self.dst_ip:
            self.state = "connect"
            return [OpenUpstream(self.dst_ip, self.dst_port)]
        self.name, self.state = name, "resolve"
        return [Resolve(name)]

    def resolved(self, addresses: list[str]) -> list[Command]:
        """The addresses the name resolves to; the original destination must be one of them."""
        if self.state != "resolve":
            return []
        if self.dst_ip not in addresses:
            self.record.sni_mismatch = True
            why = f"{self.name} does not resolve to the original destination {self.dst_ip}"
            if self.enforce:
                return self._deny(why)
            self.record.reason = f"{self.record.reason}; {why}" if self.record.reason else why
        self.state = "connect"
        return [OpenUpstream(self.dst_ip, self.dst_port)]

    def upstream_connected(self) -> list[Command]:
        """The original destination accepted: forward what the client sent and relay the rest."""
        if self.state != "connect":
            return []
        self.state = "relay"
        first, self.buffer = self.buffer, b""
        self.record.bytes_up += len(first)
        return [SendUpstream(first), StartRelay()] if first else [StartRelay()]

    def upstream_failed(self, reason: str) -> list[Command]:
        """The original destination could not be reached."""
        self.record.outcome = "failed"
        return self._close(f"cannot connect to {self.dst_ip}:{self.dst_port}: {reason}")

    def local_failure(self, reason: str) -> list[Command]:
        """Out of local resources (descriptors): close, and record nothing about the destination."""
        self.state = "closed"
        return [CloseUpstream(), CloseClient()]

    def finish(self, up: int, down: int, note: str = "") -> list[Command]:
        """The relay ended after ``up``/``down`` more bytes."""
        self.record.bytes_up += up
        self.record.bytes_down += down
        return self._close(note) if self.state != "closed" else []

    def abort(self, reason: str) -> list[Command]:
        """Timeout, reset or shutdown before or during the relay."""
        if self.state == "closed":
            return [CloseUpstream(), CloseClient()]
        if self.state in ("first", "resolve", "connect"):
            self.record.outcome = "failed"
        return self._close(reason)

    def _deny(self, reason: str) -> list[Command]:
        self.record.outcome = "denied"
        self.record.reason = ""
        return self._close(reason)

    def _close(self, note: str) -> list[Command]:
        self.state = "closed"
        if note:
            self.record.reason = f"{self.record.reason}; {note}" if self.record.reason else note
        self.record.duration = time.perf_counter() - self.started
        return [Emit(self.record), CloseUpstream(), CloseClient()]
