"""The asyncio side of one client connection: runs a sans-io core's commands, then relays raw bytes.

Protocols and transports rather than streams: once a tunnel is decided, :meth:`ClientSide.data_received`
writes straight to the upstream transport with no task switch and no copy beyond the kernel's. Flow control
pauses reading on one side while the other side's write buffer is full. Half-closes are passed on
(``write_eof``); a reset on one side aborts the other.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from .commands import (
    CloseClient,
    CloseUpstream,
    Command,
    Emit,
    OpenUpstream,
    Resolve,
    SendClient,
    SendUpstream,
    StartRelay,
)
from .local import OUT_OF_RESOURCES, LocalFailure
from .protocol import ForwardCore
from .tasks import spawn
from .transparent import TransparentCore

if TYPE_CHECKING:
    from .inner import TunnelInspector
    from .server import ProxyServer

__all__ = ["ClientSide", "UpstreamSide"]

_HIGH_WATER = 512 * 1024
UPSTREAM_IDLE = 60.0
"""Seconds an idle upstream keep-alive connection is kept (Squid's server_idle_pconn_timeout, 1 minute)."""


class UpstreamSide(asyncio.Protocol):
    """The connection to the destination."""

    def __init__(self, owner: ClientSide) -> None:
        """``owner`` is the client connection this upstream serves."""
        self.owner = owner
        self.transport: asyncio.Transport | None = None
        self.eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Keep the transport; allow a large write buffer for bulk transfers."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        """Relay to the client, or hand the bytes to the core."""
        owner = self.owner
        if owner.up is not self:
            return
        owner.last = time.monotonic()
        if owner.relaying:
            owner.down += len(data)
            owner.transport.write(data)
        else:
            owner.run(owner.core.upstream_data(data))

    def eof_received(self) -> bool:
        """Pass the half-close on to the client."""
        owner = self.owner
        self.eof = True
        if owner.up is not self:
            return False
        if owner.relaying:
            if owner.eof:
                owner.end("")
                return False
            if owner.transport.can_write_eof():
                owner.transport.write_eof()
            return True
        owner.run(owner.core.upstream_eof())
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        """Upstream is gone: end the relay (a reset aborts the client too)."""
        owner = self.owner
        if owner.up is not self:
            return
        if owner.relaying:
            owner.end("upstream reset" if exc else "", abort=exc is not None)
        elif not self.eof:
            owner.run(owner.core.upstream_eof())

    def pause_writing(self) -> None:
        """Upstream is slow: stop reading from the client."""
        self.owner.transport.pause_reading()

    def resume_writing(self) -> None:
        """Upstream caught up."""
        if not self.owner.closed:
            self.owner.transport.resume_reading()


class ClientSide(asyncio.Protocol):
    """A client connection: forward-proxy or transparent."""

    transport: asyncio.Transport
    core: ForwardCore | TransparentCore

    def __init__(self, server: ProxyServer) -> None:
        """Connections belong to ``server`` (config, records, the connection set)."""
        self.server = server
        self.up: UpstreamSide | None = None
        self.relaying = self.closed = self.eof = False
        self.up_bytes = self.down = 0
        self.last = self.phase = time.monotonic()
        self.phase_set = True
        self.client_ip = ""
        self.inspector: TunnelInspector | None = None
        """Checks the HTTP requests inside an enforce-mode tunnel that is not TLS."""
        self._opening: object = None
        """Marks the latest upstream connection attempt (an older one that completes late is closed)."""
        """``phase`` is when the client started owing us something (a request head, a ClientHello)."""

    # --- client events ---------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Apply the client ACL and the connection cap, then create the core."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        core = self.server.admit(self, transport)
        if core is None:
            self.closed = True
            return
        self.core = core
        transport.set_write_buffer_limits(_HIGH_WATER)

    def data_received(self, data: bytes) -> None:
        """Relay, or feed the core."""
        if self.relaying:
            inspector = self.inspector
            if inspector is not None:
                data, deny = inspector.feed(data)
                if deny:
                    self.inspector = None
                    assert isinstance(self.core, ForwardCore)
                    self.run(self.core.inner_denied(deny, inspector))
                    self.end("")
                    return
                if inspector.mode == "opaque":
                    self.inspector = None
            self.up_bytes += len(data)
            self.last = time.monotonic()
            up = self.up
            if up is not None and up.transport is not None:
                up.transport.write(data)
            return
        if self.closed:
            return
        self.last = time.monotonic()
        if not self.phase_set:
            self.phase, self.phase_set = self.last, True
        self.run(self.core.client_data(data))

    def eof_received(self) -> bool:
        """Half-close: pass it on in a relay, else tell the core."""
        self.eof = True
        if self.closed:
            return False
        if self.relaying:
            up = self.up
            if up is None or up.transport is None or up.eof:
                self.end("")
                return False
            if up.transport.can_write_eof():
                up.transport.write_eof()
            return True
        self.run(self.core.client_eof())
        return not self.closed

    def connection_lost(self, exc: Exception | None) -> None:
        """The client is gone: record what was in progress and close upstream."""
        self.server.forget(self)
        if self.closed:
            return
        if self.relaying:
            self.end("client reset" if exc else "", abort=exc is not None)
        else:
            self.run(self.core.abort("client reset" if exc else "client closed"))

    def pause_writing(self) -> None:
        """The client is slow: stop reading from upstream."""
        if self.up is not None and self.up.transport is not None:
            self.up.transport.pause_reading()

    def resume_writing(self) -> None:
        """The client caught up."""
        if self.up is not None and self.up.transport is not None and not self.up.transport.is_closing():
            self.up.transport.resume_reading()

    # --- commands --------------------------------------------------------------------------------

    def run(self, commands: list[Command]) -> None:
        """Carry out what the core asked for."""
        for command in commands:
            if isinstance(command, SendClient):
                if command.data and not self.closed:
                    self.transport.write(command.data)
            elif isinstance(command, SendUpstream):
                if command.data and self.up is not None and self.up.transport is not None:
                    self.up.transport.write(command.data)
            elif isinstance(command, Emit):
                self.server.emit(command.record)
            elif isinstance(command, StartRelay):
                self.relaying = True
                self.inspector = command.inspector
                if self.eof:
                    self.eof_received()
            elif isinstance(command, OpenUpstream):
                self.up = None
                spawn(self._open(command.host, command.port), name="upstream")
            elif isinstance(command, Resolve):
                spawn(self._resolve(command.host), name="resolve")
            elif isinstance(command, CloseUpstream):
                self._close_upstream()
            elif isinstance(command, CloseClient):
                self.closed = True
                self.transport.close()
        if not self.closed and not self.relaying:
            busy = isinstance(self.core, ForwardCore) and self.core.current is not None
            if isinstance(self.core, ForwardCore) and self.core.waiting_for_hello:
                busy = False
            if busy:
                self.phase_set = False
            elif not self.phase_set and isinstance(self.core, ForwardCore) and self.core.waiting_for_hello:
                self.phase, self.phase_set = time.monotonic(), True

    def _close_upstream(self, abort: bool = False) -> None:
        up, self.up = self.up, None
        if up is not None and up.transport is not None:
            up.transport.abort() if abort else up.transport.close()

    async def _open(self, host: str, port: int) -> None:
        marker = object()
        self._opening = marker
        side = UpstreamSide(self)
        try:
            addresses = await self.server.resolve(host)
            await self.server.connect(side, addresses, port)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            local = isinstance(exc, LocalFailure) or exc.errno in OUT_OF_RESOURCES
            if local:
                self.server.errors.note(f"connecting upstream: {reason}")
            if not self.closed and self._opening is marker:
                self.run(self.core.local_failure(reason) if local else self.core.upstream_failed(reason))
            return
        if self.closed or self._opening is not marker:
            assert side.transport is not None
            side.transport.close()
            return
        self.up = side
        self.run(self.core.upstream_connected())

    async def _resolve(self, host: str) -> None:
        try:
            addresses = await self.server.resolve(host)
        except OSError:
            addresses = []
        if not self.closed and isinstance(self.core, TransparentCore):
            self.run(self.core.resolved(addresses))

    # --- ending ----------------------------------------------------------------------------------

    def end(self, note: str, abort: bool = False) -> None:
        """Close both sides of a relay and record it."""
        if self.closed:
            return
        self.closed = True
        self._close_upstream(abort)
        if abort:
            self.transport.abort()
        else:
            self.transport.close()
        self.relaying = False
        for command in self.core.finish(self.up_bytes, self.down, note):
            if isinstance(command, Emit):
                self.server.emit(command.record)

    def expire(self, now: float, handshake: float, idle: float, keepalive: float | None = None) -> None:
        """Close the connection when its handshake or idle time is up (called by the server's sweeper)."""
        if self.closed:
            return
        core = self.core
        if self.relaying:
            if now - self.last > idle:
                self.end("idle timeout", abort=True)
            return
        if isinstance(core, TransparentCore) and core.waiting:
            if now - self.phase > handshake:
                self.run(core.first_timeout())
            return
        waiting = isinstance(core, ForwardCore) and (core.current is None or core.waiting_for_hello)
        if waiting and self.phase_set and now - self.phase > handshake:
            in_progress = isinstance(core, ForwardCore) and core.current is not None
            self.run(core.abort("handshake timeout") if in_progress else [CloseClient()])
        elif keepalive is not None and isinstance(core, ForwardCore) and core.between_requests:
            if now - self.last > min(idle, keepalive):
                self.run([CloseUpstream(), CloseClient()])
            elif now - self.last > UPSTREAM_IDLE and self.up is not None:
                self.run(core.drop_upstream())
        elif now - self.last > idle:
            self.run(core.abort("idle timeout"))

    def shutdown(self, now: float, grace_over: bool) -> None:
        """At shutdown: close idle connections; abort tunnels and, after the grace time, everything."""
        if self.closed:
            return
        core = self.core
        busy = isinstance(core, ForwardCore) and core.current is not None and core.state == "request"
        if busy and not grace_over:
            return
        if self.relaying:
            self.end("proxy shut down")
        elif isinstance(core, ForwardCore) and core.current is None:
            self.closed = True
            self.transport.close()
        else:
            self.run(core.abort("proxy shut down"))
