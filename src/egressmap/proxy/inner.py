"""Enforce mode: plain HTTP inside a CONNECT tunnel is read, and every request's Host is checked.

A tunnel to an allowed host on a shared server could otherwise carry ``GET / HTTP/1.1`` with
``Host: denied.example`` (Host fronting). When a tunnel's first bytes are not a TLS ClientHello,
:class:`TunnelInspector` looks at the first line: a request line (``METHOD target HTTP/x.y``) makes the whole
client side of the tunnel HTTP/1.1, parsed by h11, and each request's ``Host`` (and an absolute-form target's
host) must be allowed on the tunnel's port, exactly like a plain proxy request. Anything else (SSH, SMTP, AMQP,
a database protocol) is relayed as it is. Bytes reach upstream only once the request head they belong to has
been checked; a denied request closes the tunnel before any of it is forwarded.

Requests that would change the protocol (``Upgrade``, ``CONNECT``) are refused: once switched, the rest of
the stream could not be read. Responses are not parsed: pipelined requests are checked as they arrive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11

from .answers import framing_conflict, proxy_status
from .commands import Command, Decide, Emit, Limits, SendClient
from .record import Record, now

__all__ = ["InnerRequest", "TunnelInspector", "refusal"]

_TOKEN = rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
_REQUEST_LINE = re.compile(rb"[\r\n]*" + _TOKEN + rb"[ \t]+[^ \t\r\n]+[ \t]+HTTP/", re.IGNORECASE)
_TEXT_PREFIX = re.compile(rb"[\r\n]*" + _TOKEN + rb"(?:[ \t][\x20-\x7e\t]*)?")
"""What the start of a request line may look like before its end has arrived (printable ASCII)."""


@dataclass(frozen=True, slots=True)
class InnerRequest:
    """The request that was refused: for its own ``denied`` record."""

    host: str
    method: str
    url: str | None


class TunnelInspector:
    """The client side of one enforce-mode tunnel that did not start with a TLS ClientHello."""

    def __init__(self, decide: Decide, host: str, port: int, limits: Limits | None = None) -> None:
        """``host``/``port`` are the CONNECT's (already allowed); ``decide`` is the policy."""
        self.decide, self.host, self.port = decide, host, port
        self.limits = limits or Limits()
        self.mode = "undecided"
        """``undecided`` (the first line has not arrived), ``http``, ``opaque`` (not HTTP: relayed as is)."""
        self.pending = b""
        """Bytes from the client not forwarded yet (a request head not yet complete)."""
        self.requests = 0
        """Requests checked and forwarded whole."""
        self.refused: InnerRequest | None = None
        self._c: h11.Connection | None = None

    def feed(self, data: bytes) -> tuple[bytes, str]:
        """Client bytes in; the bytes that may go upstream now, and a reason when the tunnel must close."""
        if self.mode == "opaque":
            return data, ""
        self.pending += data
        if self.mode == "undecided":
            self.mode = self._classify(self.pending)
            if self.mode == "undecided":
                return b"", ""
            if self.mode == "opaque":
                out, self.pending = self.pending, b""
                return out, ""
            self._c = h11.Connection(h11.SERVER, max_incomplete_event_size=self.limits.max_header_bytes)
            self.pending = self.pending.lstrip(b"\r\n")  # servers skip them; h11 refuses them
            data = self.pending
        return self._http(data)

    def _classify(self, data: bytes) -> str:
        if not data.lstrip(b"\r\n"):  # empty lines a server skips before a request line
            return "undecided" if len(data) < self.limits.max_header_bytes else "opaque"
        line_end = data.find(b"\n", len(data) - len(data.lstrip(b"\r\n")))
        if _REQUEST_LINE.match(data):
            return "http"
        if line_end >= 0 or len(data) >= self.limits.max_header_bytes:
            return "opaque"
        prefix = _TEXT_PREFIX.match(data)
        return "undecided" if prefix is not None and prefix.end() == len(data) else "opaque"

    def _http(self, data: bytes) -> tuple[bytes, str]:
        c = self._c
        assert c is not None
        if c.their_state is h11.MUST_CLOSE or c.our_state is h11.MUST_CLOSE:
            if data:
                return b"", "more data after an HTTP request that ends the connection"
            return b"", ""
        try:
            c.receive_data(data)
            while True:
                event = c.next_event()
                if event is h11.NEED_DATA or event is h11.PAUSED or isinstance(event, h11.ConnectionClosed):
                    break
                if isinstance(event, h11.Request):
                    reason = self._check(event)
                    if reason:
                        return b"", reason
                elif isinstance(event, h11.EndOfMessage):
                    self.requests += 1
                    # the origin answers, not us: stand in for its response so h11 moves to the next request
                    c.send(h11.Response(status_code=200, headers=[(b"content-length", b"0")]))
                    c.send(h11.EndOfMessage())
                    if c.our_state is h11.DONE and c.their_state is h11.DONE:
                        c.start_next_cycle()
                    else:
                        break
        except h11.ProtocolError as exc:
            return b"", f"not a valid HTTP request inside the tunnel ({exc})"[:200]
        unparsed = len(c.trailing_data[0])
        cut = len(self.pending) - unparsed
        out, self.pending = self.pending[:cut], self.pending[cut:]
        return out, ""

    def _check(self, req: h11.Request) -> str:
        method = req.method.decode("ascii", "replace")
        target = req.target.decode("ascii", "replace")
        conflict = framing_conflict(req.headers)
        if conflict:
            self.refused = InnerRequest(self.host, method, None)
            return f"HTTP request inside the tunnel: {conflict}"
        hosts = [v.decode("ascii", "replace") for k, v in req.headers if k == b"host"]
        url = None
        if "://" in target:
            try:
                parts = urlsplit(target)
                hosts.append(parts.netloc.rpartition("@")[2])
                url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path or '/'}"
            except ValueError:
                return "not a valid request target inside the tunnel"
        if not hosts:
            self.refused = InnerRequest(self.host, method, url)
            return f"HTTP request without Host inside the tunnel to {self.host}:{self.port}"
        if method == "CONNECT" or any(k == b"upgrade" for k, _ in req.headers):
            self.refused = InnerRequest(self.host, method, url)
            return (
                f"protocol upgrade ({method}) inside the tunnel to {self.host}:{self.port} cannot be checked"
            )
        for authority in hosts:
            raw = _host_of(authority)
            verdict = self.decide(raw, self.port)
            if not verdict.allowed:
                self.refused = InnerRequest(verdict.host, method, url)
                return (
                    f"HTTP request for Host {verdict.host} inside the tunnel to {self.host}:{self.port}: "
                    f"{verdict.reason}"
                )
        return ""


def _host_of(authority: str) -> str:
    """The host of ``host[:port]`` or ``[v6][:port]``.

    >>> _host_of("denied.test:8080"), _host_of("[::1]:80"), _host_of("a.test")
    ('denied.test', '[::1]', 'a.test')
    """
    if authority.startswith("["):
        return authority[: authority.find("]") + 1] if "]" in authority else authority
    host, sep, port = authority.rpartition(":")
    return host if sep and port.isdigit() else authority


def refusal(tunnel: Record, reason: str, inspector: TunnelInspector) -> list[Command]:
    """The refused request's own ``denied`` record, and a 403 when no request went through the tunnel before.

    Later in the tunnel a 403 would land in the middle of the origin's responses: then the tunnel is only
    closed.
    """
    out: list[Command] = []
    inner = inspector.refused
    if inner is not None:
        out.append(
            Emit(
                Record(
                    host=inner.host,
                    port=tunnel.port,
                    method=inner.method,
                    client=tunnel.client,
                    outcome="denied",
                    reason=reason,
                    status=403,
                    url=inner.url,
                    time=now(),
                )
            )
        )
    if inspector.requests == 0:
        body = f"egressmap proxy: {reason}\n".encode("ascii", "replace")
        head = (
            f"HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: {len(body)}\r\n"
            f"proxy-status: {proxy_status(403).decode()}\r\nconnection: close\r\n\r\n"
        )
        out.insert(0, SendClient(head.encode("ascii") + body))
    return out
