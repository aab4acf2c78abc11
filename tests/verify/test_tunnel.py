"""The CONNECT stage against small real servers on loopback that answer like odd proxies do."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from egressmap.verify import ProxyChoice, Resolver, Settings, Target, Verifier


@pytest.fixture
def canned() -> Iterator[Callable[[bytes], int]]:
    """Start servers that read a request head and answer fixed bytes; yields a function that adds one."""
    servers: list[socket.socket] = []

    def serve(sock: socket.socket, answer: bytes) -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                conn.sendall(answer)

    def add(answer: bytes) -> int:
        sock = socket.create_server(("127.0.0.1", 0))
        servers.append(sock)
        threading.Thread(target=serve, args=(sock, answer), daemon=True).start()
        return int(sock.getsockname()[1])

    yield add
    for sock in servers:
        sock.close()


def _via(port: int, auth: str = "") -> str:
    target = Target("dest.test", 443, "https")
    credentials = f"{auth}@" if auth else ""
    verifier = Verifier(
        Settings(Resolver(), timeout=30), ProxyChoice(f"http://{credentials}127.0.0.1:{port}", {})
    )
    (result,) = asyncio.run(verifier.run([target]))
    return result.summary


@pytest.mark.parametrize(
    ("answer", "summary"),
    [
        (
            b"HTTP/1.1 407 Proxy Authentication Required\r\nServer: squid/6.1\r\nContent-Length: 0\r\n\r\n",
            "proxy: 407 from squid",
        ),
        (b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n", "proxy: 502 from the proxy"),
        (b"SSH-2.0-OpenSSH_9.2\r\n\r\n", "proxy: not an HTTP response"),
        (b"", "proxy: connection closed by the peer"),
        (
            b"HTTP/1.1 200 Connection established\r\n\r\nunexpected",
            "proxy: the proxy sent data before the tunnel was used",
        ),
    ],
)
def test_connect_answers(canned: Callable[[bytes], int], answer: bytes, summary: str) -> None:
    """Each odd answer to CONNECT is a proxy-stage failure that says what happened."""
    port = canned(answer)
    assert _via(port).startswith(summary)


def test_an_unreachable_proxy_is_a_tcp_failure_naming_it() -> None:
    """Nothing listening where the proxy should be."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert _via(port) == f"tcp: proxy http://127.0.0.1:{port}: connection refused"
