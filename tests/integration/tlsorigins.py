"""Origins for the ``squid --sni`` tests: a TLS echo server, a plain echo server and an HTTP server.

Each is bound to one address of this machine, port 0; TLS origins present a certificate from a throwaway
``trustme`` CA naming every test name and address, so a client can check which certificate it got.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import trustme

TIMEOUT = 10.0
"""Seconds for any one socket operation (generous: the machine may be busy)."""


def local_address(family: socket.AddressFamily) -> str:
    """An address of this machine's own interfaces, not loopback when there is one; else loopback.

    Traffic to it never leaves the machine. A non-loopback address stands for a private server address
    (a CycleCloud server's, say), which exports keep while they refuse loopback.
    """
    version = 4 if family == socket.AF_INET else 6
    loopback = "127.0.0.1" if version == 4 else "::1"
    ip = shutil.which("ip")
    if ip is None:
        return loopback
    done = subprocess.run(
        [ip, "-j", f"-{version}", "addr", "show", "scope", "global"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    try:
        links = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return loopback
    for link in links:
        for info in link.get("addr_info", []):
            address = ipaddress.ip_address(info.get("local", "::"))
            if address.is_private and not address.is_loopback and not address.is_link_local:
                if _bindable(family, str(address)):
                    return str(address)
    return loopback


def _bindable(family: socket.AddressFamily, address: str) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((address, 0))
    except OSError:
        return False
    return True


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: str, handler: type[socketserver.BaseRequestHandler]) -> None:
        self.address_family = socket.AF_INET6 if ":" in address else socket.AF_INET
        self.tls: ssl.SSLContext | None = None
        super().__init__((address, 0), handler)


class _Echo(socketserver.BaseRequestHandler):
    """Echo every byte back; over TLS when the server has a context."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(TIMEOUT)
        server = self.server
        assert isinstance(server, _Server)
        try:
            if server.tls is not None:
                sock = server.tls.wrap_socket(sock, server_side=True)
            while chunk := sock.recv(4096):
                sock.sendall(chunk)
        except (OSError, ssl.SSLError):
            pass
        finally:
            if sock is not self.request:
                sock.close()


class _Web(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        body = f"origin saw GET {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Origins:
    """Running origins: (address, port) of each, the CA clients trust, and the leaf certificate shown."""

    ca: trustme.CA
    leaf_der: bytes
    servers: dict[str, _Server]

    def port(self, name: str) -> int:
        """The port one origin listens on."""
        return int(self.servers[name].server_address[1])

    def client_context(self) -> ssl.SSLContext:
        """A client TLS context trusting only the test CA."""
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


@contextmanager
def tls_origins(layout: dict[str, tuple[str, str]], names: Sequence[str]) -> Iterator[Origins]:
    """Start one origin per ``layout`` item: label -> (kind ``tls``/``echo``/``http``, bind address)."""
    ca = trustme.CA()
    cert = ca.issue_cert(*names, *sorted({a for _, a in layout.values()}))
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_tls)
    leaf_der = ssl.PEM_cert_to_DER_cert(cert.cert_chain_pems[0].bytes().decode())
    servers: dict[str, _Server] = {}
    threads = []
    try:
        for label, (kind, address) in layout.items():
            server = _Server(address, _Web if kind == "http" else _Echo)
            server.tls = server_tls if kind == "tls" else None
            servers[label] = server
            thread = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            thread.start()
            threads.append(thread)
        yield Origins(ca, leaf_der, servers)
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(TIMEOUT)
