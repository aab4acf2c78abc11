"""The asyncio proxy server: listening socket, client ACL, connection cap, timeouts, records, shutdown.

:class:`ProxyServer` owns the connections (:mod:`.connection`) and everything they share: the decision
function, the record writer, a small DNS cache and the statistics the live summary shows. :func:`serve` runs
one until SIGTERM/SIGINT, then stops accepting, lets requests in progress finish (bounded by the grace time),
records every tunnel it closes, and flushes the record file.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import resource
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ..hostnames import is_ip
from .allow import Verdict, normalized
from .commands import Decide, Limits
from .connection import ClientSide, UpstreamSide
from .local import (
    LocalAddresses,
    LocalFailure,
    ResourceErrors,
    connection_budget,
    listening_socket,
    spare_descriptor,
)
from .protocol import ForwardCore
from .record import Record, RecordWriter
from .tasks import spawn
from .transparent import TransparentCore, original_dst

__all__ = ["LOOPBACK", "ProxyConfig", "ProxyServer", "Stats", "allow_all", "serve"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
LOOPBACK: tuple[IPNetwork, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
DNS_TTL = 30.0
BUSY = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
"""The answer to a client over the connection cap or arriving when descriptors have run out."""
LINGER = 1.0
"""Seconds a refused connection stays open after its 503, so the client reads it before the close."""


def allow_all(raw: str, port: int) -> Verdict:
    """Audit mode: every valid host is allowed (an invalid name is still refused: it cannot be reached)."""
    host = normalized(raw)
    return Verdict(True, host, "") if host is not None else Verdict(False, raw[:80], "not a valid host name")


@dataclass
class ProxyConfig:
    """Everything the server needs; the CLI builds it from flags."""

    host: str = "127.0.0.1"
    port: int = 3128
    mode: Literal["forward", "transparent"] = "forward"
    decide: Decide = allow_all
    enforce: bool = False
    allow_clients: Sequence[IPNetwork] = LOOPBACK
    record: str | None = None
    limits: Limits = field(default_factory=Limits)
    max_connections: int = 8192
    max_conns_per_client: int = 2048
    """Connections one client address may hold (a share of the cap, so one client cannot take it all)."""
    keepalive_timeout: float = 120.0
    """Seconds an idle keep-alive client connection is kept between requests (Squid's
    client_idle_pconn_timeout, 2 minutes)."""
    handshake_timeout: float = 10.0
    """Seconds for a request head, a ClientHello, or a transparent connection's first bytes."""
    idle_timeout: float = 300.0
    """Seconds without a byte either way before a connection is closed."""
    connect_timeout: float = 10.0
    grace: float = 5.0
    """Seconds requests in progress get to finish at shutdown."""
    hosts: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Static name -> addresses, looked up before DNS (like Squid's hosts_file)."""
    reuse_port: bool = False
    """Bind with SO_REUSEPORT (several worker processes share the port; the kernel spreads connections)."""


@dataclass
class Stats:
    """Counters for the live summary."""

    connections: int = 0
    refused: int = 0
    """Clients refused by the ACL."""
    over_cap: int = 0
    records: int = 0
    denied: int = 0
    destinations: dict[tuple[str, int], int] = field(default_factory=dict)
    denied_destinations: dict[tuple[str, int], int] = field(default_factory=dict)


class ProxyServer:
    """One listening proxy."""

    def __init__(
        self,
        config: ProxyConfig,
        on_record: Callable[[Record], None] | None = None,
        report: Callable[[str], None] | None = None,
    ) -> None:
        """Prepare (nothing listens before :meth:`start`); ``report`` takes rate-limited problem lines."""
        self.config = config
        self.writer = RecordWriter(config.record)
        self.stats = Stats()
        self.conns: set[ClientSide] = set()
        self.on_record = on_record
        self._server: asyncio.Server | None = None
        self._acl: dict[str, bool] = {}
        self._dns: dict[str, tuple[float, list[str]]] = {}
        self._own: set[tuple[str, int]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._per_client: dict[str, int] = {}
        self.local = LocalAddresses()
        self.errors = ResourceErrors(report or _stderr)
        self.cap_note = ""
        self._listener: socket.socket | None = None
        self._spare: int | None = None
        """A descriptor held in reserve: given up to accept and answer 503 when descriptors run out."""
        """Set when the open-files limit lowered the connection cap."""
        self.max_connections = config.max_connections
        """The cap in force (lowered at start when the open-files limit cannot hold it)."""

    async def start(self) -> tuple[str, int]:
        """Listen; return the bound address (port 0 picks a free one)."""
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(self.errors)
        soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        budget = connection_budget(soft) if soft != resource.RLIM_INFINITY else self.config.max_connections
        if budget < self.config.max_connections:
            self.max_connections = budget
            self.cap_note = (
                f"open files limit {soft}: at most {budget} connections (not {self.config.max_connections})"
            )
        self._listener = listening_socket(self.config.host, self.config.port, self.config.reuse_port)
        self._spare = spare_descriptor()
        self.errors.on_accept = self._shed
        self._server = await loop.create_server(lambda: ClientSide(self), sock=self._listener, backlog=4096)
        bound = self._server.sockets[0].getsockname()
        self._own = {(s.getsockname()[0], s.getsockname()[1]) for s in self._server.sockets}
        self._sweeper = spawn(self._sweep(), name="sweeper")
        return str(bound[0]), int(bound[1])

    def _shed(self) -> None:
        """accept() failed for want of descriptors: free the spare one, answer waiting clients 503, close."""
        if self._listener is None or self._listener.fileno() < 0:
            return
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
        for _ in range(256):
            try:
                conn, peer = self._listener.accept()
            except OSError:
                break
            with conn:
                self.stats.over_cap += 1
                if self.config.mode == "forward" and self._client_allowed(str(peer[0])):
                    try:
                        conn.setblocking(False)
                        conn.send(BUSY)
                        conn.shutdown(socket.SHUT_WR)
                        conn.recv(65536)  # what the client sent: unread data would turn close into a reset
                    except OSError:
                        pass
        self._spare = spare_descriptor()

    # --- per connection ------------------------------------------------------------------------

    def admit(self, conn: ClientSide, transport: asyncio.Transport) -> ForwardCore | TransparentCore | None:
        """ACL and cap checks for a new connection; its core, or None when it was refused (and closed)."""
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if peer else ""
        if not self._client_allowed(ip):
            self.stats.refused += 1
            transport.abort()
            return None
        per_client = self._per_client.get(ip, 0)
        if len(self.conns) >= self.max_connections or per_client >= self.config.max_conns_per_client:
            self.stats.over_cap += 1
            if self.config.mode == "forward" and transport.can_write_eof():
                # FIN after the answer, then close a moment later: closing with the client's request still
                # unread would send a reset that can destroy the 503 before the client reads it
                transport.write(BUSY)
                transport.write_eof()
                asyncio.get_running_loop().call_later(LINGER, transport.close)
            else:
                transport.close()
            return None
        self.stats.connections += 1
        self.conns.add(conn)
        self._per_client[ip] = per_client + 1
        conn.client_ip = ip
        client = f"{ip}:{peer[1]}" if ":" not in ip else f"[{ip}]:{peer[1]}"
        c = self.config
        if c.mode == "forward":
            return ForwardCore(client, c.decide, enforce=c.enforce, limits=c.limits)
        try:
            dst = original_dst(transport.get_extra_info("socket"))
        except OSError:
            dst = transport.get_extra_info("sockname")[:2]
        if (dst[0], dst[1]) in self._own:  # not redirected: there is nowhere to send it
            self.forget(conn)
            transport.abort()
            return None
        return TransparentCore(client, (dst[0], dst[1]), c.decide, enforce=c.enforce, limits=c.limits)

    def _client_allowed(self, ip: str) -> bool:
        known = self._acl.get(ip)
        if known is None:
            try:
                addr = ipaddress.ip_address(ip.split("%", 1)[0])
            except ValueError:
                known = False
            else:
                if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
                    addr = addr.ipv4_mapped
                known = any(addr in net for net in self.config.allow_clients)
            if len(self._acl) < 65536:
                self._acl[ip] = known
        return known

    def forget(self, conn: ClientSide) -> None:
        """A client connection ended."""
        if conn in self.conns:
            self.conns.discard(conn)
            left = self._per_client.get(conn.client_ip, 1) - 1
            if left > 0:
                self._per_client[conn.client_ip] = left
            else:
                self._per_client.pop(conn.client_ip, None)

    def emit(self, record: Record) -> None:
        """Record a finished request or tunnel."""
        self.writer.add(record)
        s = self.stats
        s.records += 1
        key = (record.host, record.port)
        if record.outcome == "denied":
            s.denied += 1
            s.denied_destinations[key] = s.denied_destinations.get(key, 0) + 1
        elif len(s.destinations) < 100_000 or key in s.destinations:
            s.destinations[key] = s.destinations.get(key, 0) + 1
        if self.on_record is not None:
            self.on_record(record)

    async def resolve(self, host: str) -> list[str]:
        """Addresses for a host: IP literals as they are, then the static table, then DNS (cached)."""
        if is_ip(host):
            return [host]
        static = self.config.hosts.get(host)
        if static:
            return list(static)
        now = time.monotonic()
        cached = self._dns.get(host)
        if cached is not None and cached[0] > now:
            return cached[1]
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno in (socket.EAI_SYSTEM, socket.EAI_MEMORY):
                raise LocalFailure(f"cannot resolve {host}: {exc.strerror}") from None
            raise OSError(f"cannot resolve {host}: {exc.strerror}") from None
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if len(self._dns) > 10_000:
            self._dns.clear()
        self._dns[host] = (now + DNS_TTL, addresses)
        return addresses

    async def connect(self, side: UpstreamSide, addresses: Sequence[str], port: int) -> None:
        """Connect ``side`` to the first address that answers (never to the proxy itself)."""
        loop = asyncio.get_running_loop()
        error: OSError = OSError("no address")
        for address in addresses:
            if (address, port) in self._own or self.local.is_self(address, port, self.port, self.config.host):
                error = OSError("refusing to connect to the proxy itself")
                continue
            try:
                async with asyncio.timeout(self.config.connect_timeout):
                    await loop.create_connection(lambda: side, address, port)
                return
            except TimeoutError:
                error = OSError("connect timeout")
            except OSError as exc:
                error = exc
        raise error

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return next(iter(self._own))[1] if self._own else self.config.port

    # --- housekeeping --------------------------------------------------------------------------

    async def _sweep(self) -> None:
        c = self.config
        interval = max(0.05, min(1.0, c.handshake_timeout / 4, c.idle_timeout / 4, c.keepalive_timeout / 4))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for conn in list(self.conns):
                conn.expire(now, c.handshake_timeout, c.idle_timeout, c.keepalive_timeout)
            self.writer.flush()

    async def shutdown(self) -> None:
        """Stop accepting, let requests in progress finish within the grace time, close all, flush."""
        if self._server is not None:
            self._server.close()
        deadline = time.monotonic() + self.config.grace
        while True:
            now = time.monotonic()
            over = now >= deadline
            for conn in list(self.conns):
                conn.shutdown(now, over)
            self.conns = {c for c in self.conns if not c.closed}
            if not self.conns or over:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0)  # let connection_lost callbacks run
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._spare is not None:
            os.close(self._spare)
            self._spare = None
        self.writer.close()


async def serve(server: ProxyServer, ready: Callable[[tuple[str, int]], None] | None = None) -> None:
    """Run ``server`` until SIGTERM or SIGINT, then shut it down cleanly."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        address = await server.start()
        if ready is not None:
            ready(address)
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await server.shutdown()


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
