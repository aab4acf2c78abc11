"""The forward proxy's sans-io core: bytes and connection events in, commands out, no sockets.

One :class:`ForwardCore` per client connection. HTTP/1.1 framing (keep-alive, chunked bodies, pipelining)
is h11's on both sides; this module decides, rewrites absolute-URI requests to origin form, strips hop-by-hop
headers, and records. A CONNECT is answered 200 once upstream is connected; then the first bytes from the
client are read as a TLS ClientHello (:mod:`.sni`) before anything is forwarded, so in enforce mode a tunnel
whose SNI names another host than the CONNECT is closed and recorded as denied.
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import h11

from .allow import normalized
from .answers import framing_conflict, proxy_status
from .commands import (
    CloseClient,
    CloseUpstream,
    Command,
    Decide,
    Emit,
    Limits,
    OpenUpstream,
    SendClient,
    SendUpstream,
    StartRelay,
)
from .record import Record, now
from .sni import parse_client_hello

if TYPE_CHECKING:
    from .inner import TunnelInspector

__all__ = ["HOP_BY_HOP", "ForwardCore", "framing_conflict", "proxy_status"]

HOP_BY_HOP = frozenset(
    b"connection keep-alive proxy-connection proxy-authorization proxy-authenticate te trailer upgrade".split()
)
"""Headers that belong to one connection and are never forwarded (RFC 9110 section 7.6.1)."""


class ForwardCore:
    """One client connection of the forward proxy."""

    def __init__(self, client: str, decide: Decide, *, enforce: bool, limits: Limits | None = None) -> None:
        """``client`` is ``ip:port`` for the record; ``decide`` says what is allowed."""
        self.client, self.decide, self.enforce = client, decide, enforce
        self.limits = limits or Limits()
        self.c = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
        self.u: h11.Connection | None = None
        self.upstream: tuple[str, int] | None = None
        """The destination the open (or opening) upstream connection goes to."""
        self.connected = False
        self.current: Record | None = None
        """The request or tunnel in progress."""
        self.started = 0.0
        self.state = "request"
        """``request`` HTTP; ``tunnel-wait`` CONNECT sent upstream; ``hello`` reading the ClientHello;
        ``relay`` raw copy; ``closed``."""
        self.queued: list[h11.Event] = []
        """Request events waiting for the upstream connection."""
        self.hello = b""
        self.discard = False
        """Dropping the body of a request that was answered without forwarding it."""

    # --- events from the client -----------------------------------------------------------------

    def client_data(self, data: bytes) -> list[Command]:
        """Bytes from the client (``b""`` at end of stream)."""
        if self.state == "hello":
            return self._hello(data)
        if self.state in ("relay", "closed"):
            return []
        try:
            self.c.receive_data(data)
        except h11.RemoteProtocolError as exc:  # pragma: no cover - h11 raises from next_event
            return self._bad_request(exc)
        return self._client_events()

    def _client_events(self) -> list[Command]:
        out: list[Command] = []
        while self.state == "request":
            try:
                event = self.c.next_event()
            except h11.RemoteProtocolError as exc:
                return out + self._bad_request(exc)
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            if isinstance(event, h11.Request):
                out += self._request(event)
            elif isinstance(event, h11.Data | h11.EndOfMessage):
                if self.current is not None and isinstance(event, h11.Data):
                    self.current.bytes_up += len(event.data)
                if not self.discard:
                    out += self._to_upstream(event)
                elif isinstance(event, h11.EndOfMessage):
                    self.discard = False
                    out += self._next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                out += self.abort("client closed mid-request") if self.current else [CloseClient()]
                break
        return out

    def client_eof(self) -> list[Command]:
        """The client closed its sending side."""
        if self.state == "hello":
            return self.abort("client closed before sending anything")
        return self.client_data(b"")

    # --- requests ------------------------------------------------------------------------------

    def _request(self, req: h11.Request) -> list[Command]:
        self.started = time.perf_counter()
        method = req.method.decode("ascii", "replace")
        record = Record(host="", port=0, method=method, client=self.client, time=now())
        self.current = record
        if len(req.headers) > self.limits.max_headers:
            return self._refuse(431, f"more than {self.limits.max_headers} header fields", close=True)
        # h11 bounds only a head that arrives in pieces; one that arrives whole is measured here
        if len(req.target) + sum(len(k) + len(v) + 4 for k, v in req.headers) > self.limits.max_header_bytes:
            return self._refuse(431, f"request head over {self.limits.max_header_bytes} bytes", close=True)
        smuggle = framing_conflict(req.headers)
        if smuggle:
            return self._refuse(400, smuggle, close=True)
        target = req.target.decode("ascii", "replace")
        if method == "CONNECT":
            raw, _, port_text = target.rpartition(":")
            if not raw or not port_text.isdigit() or not 0 < int(port_text) < 65536:
                return self._refuse(400, "CONNECT needs host:port", close=True)
            port, url = int(port_text), None
        else:
            try:
                parts = urlsplit(target)
                raw, port = parts.hostname or "", parts.port or 80
            except ValueError:
                return self._refuse(400, "bad request target", close=not self._body_done())
            if parts.scheme.lower() != "http" or not raw:
                return self._refuse(400, "not a proxy request (absolute http:// URI needed)")
            if parts.netloc.rfind("]") > 0 and parts.netloc.startswith("["):
                raw = "[" + raw + "]"
            url = f"http://{parts.netloc.rpartition('@')[2]}{parts.path or '/'}"
        verdict = self.decide(raw, port)
        record.host, record.port, record.url = verdict.host, port, url
        record.reason = verdict.reason
        if not verdict.allowed:
            return self._refuse(403, verdict.reason, denied=True, close=method == "CONNECT")
        if method == "CONNECT":
            self.state = "tunnel-wait"
            out: list[Command] = [CloseUpstream()] if self.upstream else []
            self.upstream, self.connected, self.u = (verdict.host, port), False, None
            return [*out, OpenUpstream(verdict.host, port)]
        path = parts.path or "/"
        headers = [
            (k, v) for k, v in req.headers if k not in HOP_BY_HOP and k not in _listed(req) and k != b"host"
        ]
        authority = verdict.host if port == 80 else f"{_bracket(verdict.host)}:{port}"
        event = h11.Request(
            method=req.method,
            target=(path + ("?" + parts.query if parts.query else "")).encode("ascii", "replace"),
            headers=[(b"host", authority.encode("ascii")), *headers],
        )
        out = []
        reusable = (
            self.upstream == (verdict.host, port) and self.u is not None and self.u.our_state is h11.IDLE
        )
        if not reusable:
            out += [CloseUpstream()] if self.upstream else []
            self.upstream, self.connected = (verdict.host, port), False
            self.u = h11.Connection(h11.CLIENT)
            out.append(OpenUpstream(verdict.host, port))
        return out + self._to_upstream(event)

    def _to_upstream(self, event: h11.Event) -> list[Command]:
        if not self.connected:
            self.queued.append(event)
            return []
        assert self.u is not None
        data = self.u.send(event)
        return [SendUpstream(data)] if data else []

    def _body_done(self) -> bool:
        return self.c.their_state is not h11.SEND_BODY

    def _refuse(
        self, status: int, reason: str, *, denied: bool = False, close: bool = False
    ) -> list[Command]:
        """Answer with an error and record it; the request body, if any, is read and dropped."""
        record = self.current
        body = f"egressmap proxy: {reason}\n".encode("ascii", "replace")
        headers = [
            (b"content-type", b"text/plain"),
            (b"content-length", str(len(body)).encode()),
            (b"proxy-status", proxy_status(status)),
        ]
        if close:
            headers.append((b"connection", b"close"))
        out: list[Command] = []
        try:
            phrase = HTTPStatus(status).phrase.encode("ascii")
            response = h11.Response(status_code=status, headers=headers, reason=phrase)
            out.append(SendClient(self.c.send(response) or b""))
            out.append(SendClient(self.c.send(h11.Data(data=body)) or b""))
            out.append(SendClient(self.c.send(h11.EndOfMessage()) or b""))
        except h11.LocalProtocolError:
            close = True
        if record is not None:
            record.status, record.reason = status, reason
            record.outcome = "denied" if denied else "failed"
            out.append(self._emit())
        if close or self.c.our_state is h11.MUST_CLOSE:
            self.state = "closed"
            return [*out, CloseUpstream(), CloseClient()]
        if self._body_done():
            return out + self._next_cycle()
        self.discard = True
        return out

    def _bad_request(self, exc: h11.RemoteProtocolError) -> list[Command]:
        if self.current is None:
            self.current = Record(host="", port=0, method="-", client=self.client, time=now())
            self.started = time.perf_counter()
        status = exc.error_status_hint if self.c.our_state in (h11.IDLE, h11.SEND_RESPONSE) else 400
        return self._refuse(status, f"bad request ({exc})"[:200], close=True)

    def _next_cycle(self) -> list[Command]:
        if self.c.our_state is h11.DONE and self.c.their_state is h11.DONE:
            self.c.start_next_cycle()
            return self._client_events()
        if self.c.our_state is h11.MUST_CLOSE or self.c.their_state is h11.MUST_CLOSE:
            self.state = "closed"
            return [CloseUpstream(), CloseClient()]
        return []

    def _emit(self) -> Emit:
        record = self.current
        assert record is not None
        record.duration = time.perf_counter() - self.started
        self.current = None
        return Emit(record)

    # --- events from upstream ------------------------------------------------------------------

    def upstream_connected(self) -> list[Command]:
        """The connection asked for with :class:`OpenUpstream` is up."""
        self.connected = True
        if self.state == "tunnel-wait":
            assert self.current is not None
            self.current.status = 200
            data = self.c.send(h11.Response(status_code=200, headers=[], reason=b"Connection established"))
            self.state = "hello"
            early, _ = self.c.trailing_data
            return [SendClient(data or b""), *self._hello(early)]
        queued, self.queued = self.queued, []
        out: list[Command] = []
        for event in queued:
            out += self._to_upstream(event)
        return out

    def upstream_failed(self, reason: str) -> list[Command]:
        """Connecting upstream failed (``reason`` says how)."""
        self.queued, self.upstream, self.u = [], None, None
        if self.current is None:
            return []
        self.state = "request"
        return self._refuse(
            502, f"cannot connect to {self.current.host}:{self.current.port}: {reason}", close=True
        )

    def local_failure(self, reason: str) -> list[Command]:
        """Out of local resources (descriptors): 503 and no record (the destination is not at fault)."""
        self.queued, self.upstream, self.u = [], None, None
        if self.current is None:
            return [CloseUpstream(), CloseClient()]
        self.current, self.state = None, "request"
        return self._refuse(503, f"proxy out of resources ({reason}); try again", close=True)

    def upstream_data(self, data: bytes) -> list[Command]:
        """Bytes from upstream (``b""`` at end of stream)."""
        if self.state == "hello":
            if self.current is not None:
                self.current.bytes_down += len(data)
            return [SendClient(data)] if data else []
        if self.u is None or self.state != "request":
            return []
        try:
            self.u.receive_data(data)
        except h11.RemoteProtocolError as exc:  # pragma: no cover - h11 raises from next_event
            return self._upstream_broken(str(exc))
        out: list[Command] = []
        while self.u is not None:
            try:
                event = self.u.next_event()
            except h11.RemoteProtocolError as exc:
                return out + self._upstream_broken(str(exc))
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            if isinstance(event, h11.InformationalResponse):
                if event.status_code != 101:
                    out.append(SendClient(self.c.send(event) or b""))
            elif isinstance(event, h11.Response):
                if self.current is not None:
                    self.current.status = event.status_code
                headers = [
                    (k, v) for k, v in event.headers if k not in HOP_BY_HOP and k not in _listed(event)
                ]
                response = h11.Response(status_code=event.status_code, headers=headers, reason=event.reason)
                out.append(SendClient(self.c.send(response) or b""))
            elif isinstance(event, h11.Data):
                if self.current is not None:
                    self.current.bytes_down += len(event.data)
                out.append(SendClient(self.c.send(event) or b""))
            elif isinstance(event, h11.EndOfMessage):
                out.append(SendClient(self.c.send(h11.EndOfMessage()) or b""))
                out.append(self._emit())
                if self.u.our_state is h11.DONE and self.u.their_state is h11.DONE:
                    self.u.start_next_cycle()
                else:
                    out.append(CloseUpstream())
                    self.u, self.upstream = None, None
                out += self._next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                out += self._upstream_broken("upstream closed before the response ended")
        return out

    def _upstream_broken(self, reason: str) -> list[Command]:
        self.u, self.upstream = None, None
        if self.current is None:
            return [CloseUpstream()]
        if self.c.our_state is h11.SEND_RESPONSE:
            return self._refuse(502, reason, close=True)
        return self.abort(reason)

    def upstream_eof(self) -> list[Command]:
        """Upstream closed its sending side."""
        if self.state == "hello":
            return self.abort("upstream closed before the client spoke")
        return self.upstream_data(b"")

    # --- tunnels -------------------------------------------------------------------------------

    def _hello(self, data: bytes) -> list[Command]:
        if not data:
            return []
        record = self.current
        assert record is not None
        self.hello += data
        found = parse_client_hello(self.hello)
        if found.status == "more":
            return []
        if found.status == "ok" and found.sni is not None:
            record.sni = found.sni[:255]
            record.sni_mismatch = normalized(found.sni) != record.host
        deny = ""
        if self.enforce and record.sni_mismatch:
            deny = f"TLS SNI {record.sni!r} differs from the CONNECT host {record.host}"
        elif self.enforce and found.status == "malformed":
            deny = f"unreadable TLS ClientHello ({found.reason})"
        if deny:
            record.outcome, record.reason = "denied", deny
            self.state = "closed"
            return [self._emit(), CloseUpstream(), CloseClient()]
        first, self.hello = self.hello, b""
        inspector = None
        if self.enforce and found.status == "not-tls":
            from .inner import TunnelInspector

            inspector = TunnelInspector(self.decide, record.host, record.port, self.limits)
            first, deny = inspector.feed(first)
            if deny:
                self.state = "closed"
                return [*self.inner_denied(deny, inspector), self._emit(), CloseUpstream(), CloseClient()]
        record.bytes_up += len(first)
        self.state = "relay"
        keep = inspector if inspector is not None and inspector.mode != "opaque" else None
        return [SendUpstream(first), StartRelay(keep)]

    def inner_denied(self, reason: str, inspector: TunnelInspector) -> list[Command]:
        """A request inside the tunnel was refused: the tunnel is denied (the caller closes and records it)."""
        if self.current is None:
            return []
        self.current.outcome, self.current.reason = "denied", reason
        from .inner import refusal

        return refusal(self.current, reason, inspector)

    @property
    def between_requests(self) -> bool:
        """True on an idle keep-alive connection: no request in progress, nothing owed either way."""
        return self.state == "request" and self.current is None and self.c.their_state is h11.IDLE

    def drop_upstream(self) -> list[Command]:
        """Close an idle upstream keep-alive connection (the next request opens a new one)."""
        if not self.between_requests:
            return []
        self.upstream, self.u, self.connected = None, None, False
        return [CloseUpstream()]

    @property
    def waiting_for_hello(self) -> bool:
        """True while part of a ClientHello has arrived and the rest has not."""
        return self.state == "hello" and bool(self.hello)

    def finish(self, up: int, down: int, note: str = "") -> list[Command]:
        """The relay ended after copying ``up`` and ``down`` more bytes."""
        self.state = "closed"
        if self.current is None:
            return []
        self.current.bytes_up += up
        self.current.bytes_down += down
        if note:
            self.current.reason = f"{self.current.reason}; {note}" if self.current.reason else note
        return [self._emit()]

    def abort(self, reason: str) -> list[Command]:
        """Give up on the connection (timeout, reset, shutdown): record what was in progress, close both."""
        self.state = "closed"
        out: list[Command] = []
        if self.current is not None:
            if self.current.outcome == "allowed" and self.current.status in (0, 200) and not self.connected:
                self.current.outcome = "failed"
            self.current.reason = f"{self.current.reason}; {reason}" if self.current.reason else reason
            out.append(self._emit())
        return [*out, CloseUpstream(), CloseClient()]


def _listed(event: h11.Request | h11.Response) -> set[bytes]:
    """Header names a ``Connection`` header lists (also hop-by-hop)."""
    return {t.strip().lower() for k, v in event.headers if k == b"connection" for t in v.split(b",")}


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
