"""Loopback origins, a proxy in the test's own event loop, and small clients, for the proxy tests."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any

import h11
import trustme

from egressmap.model import Policy
from egressmap.policy_file import policy_from_dict
from egressmap.proxy.allow import Allowlist
from egressmap.proxy.server import ProxyConfig, ProxyServer

NAMES = ("allowed.test", "other.test", "denied.test", "xn--mnchen-3ya.test", "fass.test")
"""Names the proxy resolves to 127.0.0.1 (its static hosts table)."""
HOSTS = {name: ["127.0.0.1"] for name in NAMES}
TIMEOUT = 30.0
"""Longest wait for something that must happen (an answer, a close): generous, so that a busy machine
cannot fail a test; nothing waits this long when things work."""
slow_requests: list[str] = []
"""Every ``/slow`` request the HTTP origin has started answering (a test waits for it, not for a sleep)."""


def client_hello(sni: str | None) -> bytes:
    """A real TLS ClientHello from Python's ssl module (the handshake is never completed)."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = sni is not None
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def make_policy(*entries: tuple[str, Sequence[int], str], regions: Sequence[str] = ()) -> Policy:
    """A policy from (pattern, ports, match) triples."""
    raw = [{"pattern": p, "ports": list(ports), "match": m} for p, ports, m in entries]
    return policy_from_dict({"schema": "egressmap.policy/1", "regions": list(regions), "entries": raw})


def enforcing(policy: Policy, **overrides: Any) -> ProxyConfig:
    """A config that enforces ``policy``."""
    allow = Allowlist.from_policy(policy)
    return ProxyConfig(port=0, hosts=HOSTS, decide=allow.check, enforce=True, **overrides)


# --- origins ----------------------------------------------------------------------------------------


async def _http_origin(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """An HTTP/1.1 origin (h11): answers what it saw; ``/chunked`` answers with a chunked body."""
    conn = h11.Connection(h11.SERVER)
    body = b""
    try:
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                data = await reader.read(65536)
                conn.receive_data(data)
                continue
            if isinstance(event, h11.Request):
                request, body = event, b""
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                host = dict(request.headers).get(b"host", b"-").decode()
                text = f"{request.method.decode()} {request.target.decode()} host={host} body={body.decode()}"
                if request.target == b"/slow":
                    slow_requests.append(text)
                    await asyncio.sleep(0.5)
                if request.target == b"/chunked":
                    writer.write(
                        conn.send(h11.Response(status_code=200, headers=[(b"transfer-encoding", b"chunked")]))
                        or b""
                    )
                    for part in (b"one,", b"two,", b"three"):
                        writer.write(conn.send(h11.Data(data=part)) or b"")
                else:
                    payload = text.encode()
                    headers = [(b"content-length", str(len(payload)).encode())]
                    writer.write(conn.send(h11.Response(status_code=200, headers=headers)) or b"")
                    writer.write(conn.send(h11.Data(data=payload)) or b"")
                writer.write(conn.send(h11.EndOfMessage()) or b"")
                await writer.drain()
                conn.start_next_cycle()
            else:
                break
    except (h11.ProtocolError, ConnectionError):
        pass
    finally:
        writer.close()


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo until the client half-closes, then close."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.write(b"<eof>")
        await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@asynccontextmanager
async def origins() -> AsyncIterator[dict[str, Any]]:
    """An HTTP origin, a plain echo and a TLS echo (trustme certificate for every name) on loopback."""
    ca = trustme.CA()
    cert = ca.issue_cert(*NAMES)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    http = await asyncio.start_server(_http_origin, "127.0.0.1", 0)
    echo = await asyncio.start_server(_echo, "127.0.0.1", 0)
    tls = await asyncio.start_server(_echo, "127.0.0.1", 0, ssl=server_ctx)
    try:
        yield {
            "http": http.sockets[0].getsockname()[1],
            "echo": echo.sockets[0].getsockname()[1],
            "tls": tls.sockets[0].getsockname()[1],
            "client_ctx": client_ctx,
        }
    finally:
        for server in (http, echo, tls):
            server.close()


@asynccontextmanager
async def running(config: ProxyConfig | None = None) -> AsyncIterator[tuple[ProxyServer, int]]:
    """A proxy on a free loopback port; shut down (records flushed) on exit."""
    config = config or ProxyConfig(port=0, hosts=HOSTS)
    if config.port:
        config = replace(config, port=0)
    server = ProxyServer(config)
    _, port = await server.start()
    try:
        yield server, port
    finally:
        await server.shutdown()


# --- clients ----------------------------------------------------------------------------------------


async def read_response(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 response (content-length or chunked) from a stream."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("host", "x")]))
    conn.send(h11.EndOfMessage())
    status, headers, body = 0, {}, b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            conn.receive_data(await asyncio.wait_for(reader.read(65536), TIMEOUT))
        elif isinstance(event, h11.Response):
            status = event.status_code
            headers = {k.decode(): v.decode() for k, v in event.headers}
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
            return status, headers, body


async def connect(port: int, target: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """Open a connection to the proxy and send CONNECT; return the stream and the status."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
    status = int(head.split()[1])
    if status != 200:
        length = int(head.lower().partition(b"content-length:")[2].split(b"\r\n")[0] or 0)
        await reader.readexactly(length)
    return reader, writer, status


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (polling the loop, up to :data:`TIMEOUT`) until ``condition()`` holds: never a fixed sleep."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + TIMEOUT
    while not condition():
        assert loop.time() < give_up, f"still not {what} after {TIMEOUT:g} s"
        await asyncio.sleep(0.01)


async def closed(reader: asyncio.StreamReader) -> bool:
    """True when the peer closes (or resets) the connection without sending anything more."""
    try:
        return await asyncio.wait_for(reader.read(1), TIMEOUT) == b""
    except ConnectionError:
        return True
