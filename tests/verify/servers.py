"""Real servers on loopback for verify's tests and bench: HTTP and TLS origins, misbehaving ones, and DNS.

They run in a child process (one asyncio loop), bound to 127.0.0.1 port 0, so the test process holds only
the client's sockets (descriptor counts are exact) and server load does not share the client's GIL. The TLS
origin presents a certificate from a throw-away ``trustme`` CA; a second TLS origin uses a CA the client
does not trust. The DNS server answers real DNS packets (parsed and built with dnspython) from a table,
with NXDOMAIN for everything else and SERVFAIL for one name; a second DNS server reads every query and
never answers.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import socket
import ssl
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset
import trustme

SERVFAIL_NAME = "servfail.egressmap.test"


class _Dns(asyncio.DatagramProtocol):
    def __init__(self, table: Mapping[str, list[str]]) -> None:
        self.table = table
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:  # a real server ignores garbage
            return
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        if name == SERVFAIL_NAME:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.table:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            family = ":" if question.rdtype == dns.rdatatype.AAAA else "."
            wanted = [a for a in self.table[name] if family in a]
            if wanted:
                rdtype = dns.rdatatype.to_text(question.rdtype)
                response.answer.append(dns.rrset.from_text(question.name, 60, "IN", rdtype, *wanted))
        self.transport.sendto(response.to_wire(), addr)


class _MuteDns(asyncio.DatagramProtocol):
    """Reads every query and answers none (a resolver behind a firewall that drops DNS)."""

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        """Drop it."""


async def _http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer one request head with 200 (a 3-byte body unless HEAD), then close."""
    head = await reader.readuntil(b"\r\n\r\n")
    writer.write(b"HTTP/1.1 200 OK\r\nServer: origin\r\nContent-Length: 3\r\nConnection: close\r\n\r\n")
    if not head.startswith(b"HEAD "):
        writer.write(b"ok\n")
    await writer.drain()
    writer.close()  # flushes (and sends TLS close_notify) before the handler's final abort
    await asyncio.wait_for(writer.wait_closed(), 2)


async def _reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the start of a TLS ClientHello, then reset the connection (RST, not FIN)."""
    await reader.read(5)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def _silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accept, then say nothing until the client gives up."""
    while await reader.read(4096):
        pass


async def _serve(workdir: Path, names: list[str], table: dict[str, list[str]], conn: Connection) -> None:
    ca = trustme.CA()
    trusted = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(trusted)
    ca.cert_pem.write_to_path(str(workdir / "ca.pem"))
    untrusted = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert(*names).configure_cert(untrusted)
    loop = asyncio.get_running_loop()

    async def tcp(handler: Any, tls: ssl.SSLContext | None = None) -> int:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if tls is not None:
                    await writer.start_tls(tls, ssl_handshake_timeout=10)
                await handler(reader, writer)
            except (
                OSError,
                ssl.SSLError,
                TimeoutError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
            ):
                pass
            finally:
                writer.transport.abort()

        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
        return int(server.sockets[0].getsockname()[1])

    ports = {
        "http_port": await tcp(_http),
        "tls_port": await tcp(_http, trusted),
        "untrusted_tls_port": await tcp(_http, untrusted),
        "reset_port": await tcp(_reset),
        "silent_port": await tcp(_silent),
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        ports["closed_port"] = probe.getsockname()[1]  # nothing listens once it is closed
    transport, _ = await loop.create_datagram_endpoint(lambda: _Dns(table), local_addr=("127.0.0.1", 0))
    ports["dns_port"] = transport.get_extra_info("sockname")[1]
    mute, _ = await loop.create_datagram_endpoint(_MuteDns, local_addr=("127.0.0.1", 0))
    ports["mute_dns_port"] = mute.get_extra_info("sockname")[1]
    conn.send(ports)
    stopped = asyncio.Event()
    loop.add_reader(conn.fileno(), stopped.set)  # a message or the parent's end closing
    await stopped.wait()


def _child(workdir: Path, names: list[str], table: dict[str, list[str]], conn: Connection) -> None:
    asyncio.run(_serve(workdir, names, table, conn))


@dataclass
class Lab:
    """Where the servers listen, and the CA file that trusts the TLS origin."""

    ca_file: Path
    http_port: int = 0
    tls_port: int = 0
    untrusted_tls_port: int = 0
    reset_port: int = 0
    silent_port: int = 0
    closed_port: int = 0
    dns_port: int = 0
    mute_dns_port: int = 0
    _process: Any = None
    _conn: Any = field(default=None, repr=False)

    def close(self) -> None:
        """Stop the server process."""
        self._conn.send("stop")
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._conn.close()


def start_lab(workdir: Path, names: Iterable[str], dns_table: Mapping[str, list[str]] | None = None) -> Lab:
    """Start every server in a child process; the TLS certificate covers ``names`` (wildcards allowed)."""
    context = multiprocessing.get_context("spawn")
    parent, child = context.Pipe()
    process = context.Process(
        target=_child, args=(workdir, list(names), dict(dns_table or {}), child), daemon=True
    )
    process.start()
    child.close()
    if not parent.poll(60):
        process.kill()
        raise RuntimeError("the verify lab's servers did not start within 60 s")
    ports = parent.recv()
    return Lab(workdir / "ca.pem", **ports, _process=process, _conn=parent)
