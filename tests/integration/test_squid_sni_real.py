"""``squid --full --sni`` in a real Squid: the TLS server name is checked, IP literals and IPv6 pass.

One Squid (squid-openssl from apt) runs the export of a small policy on a free loopback port; the origins
listen on an address of this machine (not loopback where the machine has another one, since exports refuse
loopback entries), and Squid's ``hosts_file`` points the test names at it, so nothing leaves the machine.
A second access log records Squid's ``ssl_bump`` decision and the SNI of every tunnel.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egressmap.exporters import ExportOptions
from egressmap.exporters.squid import SquidExport
from egressmap.model import Classification, Entry, Policy

from .squidlab import _http, _read_head, _Squid, exported_squid
from .tlsorigins import TIMEOUT, Origins, local_address, tls_origins

pytestmark = pytest.mark.squid

ALLOWED = "allowed.egressmap.test"
PLAIN = "plain.egressmap.test"
EVIL = "evil.example.net"
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"
"""What an AMQP 0-9-1 client sends first (the client speaks first, in clear)."""
BUMP_LOG = "bump.log"
LOG_WAIT = 30.0
"""Seconds to wait for Squid to write a finished tunnel's log line (a bound, not an assertion)."""


@dataclass
class Lab:
    """Squid running the --sni export, and the origins behind it."""

    squid: _Squid
    workdir: Path
    origins: Origins
    v4: str
    v6: str
    rejected: str
    """The export's rejection messages: a loopback fallback address may be refused by export validation."""

    def usable(self, address: str) -> None:
        """Skip when the export refused ``address`` (a loopback fallback on a machine with no other)."""
        if repr(address) in self.rejected:
            pytest.skip(
                f"this machine has no non-loopback address like {address} and exports refuse loopback"
            )

    def tls(self, host: str, port: int, sni: str | None) -> tuple[int, bytes | None, bytes]:
        """CONNECT, then TLS (SNI ``sni``, else the host; none for an address) and one echoed line: (status, origin certificate or None, echo)."""
        with socket.create_connection(("127.0.0.1", self.squid.port), timeout=TIMEOUT) as raw:
            status = _connect_head(raw, host, port)
            if status != 200:
                return status, None, b""
            try:
                with self.origins.client_context().wrap_socket(raw, server_hostname=sni or host) as tls:
                    leaf = tls.getpeercert(binary_form=True)
                    tls.sendall(b"ping\n")
                    return status, leaf, _read_exactly(tls, 5)
            except (ssl.SSLError, OSError):
                return status, None, b""

    def plain(self, host: str, port: int, payload: bytes) -> tuple[int, bytes]:
        """CONNECT, then clear bytes through the tunnel: (status, what came back)."""
        with socket.create_connection(("127.0.0.1", self.squid.port), timeout=TIMEOUT) as raw:
            status = _connect_head(raw, host, port)
            if status != 200:
                return status, b""
            raw.sendall(payload)
            try:
                return status, _read_exactly(raw, len(payload))
            except OSError:
                return status, b""

    def decisions(self, target: str) -> list[str]:
        """The ssl_bump decision and SNI Squid logged for CONNECTs to ``target`` (waits for the line)."""
        deadline = time.monotonic() + LOG_WAIT
        while True:
            lines = (self.workdir / BUMP_LOG).read_text(encoding="utf-8", errors="replace").splitlines()
            found = [" ".join(x.split()[2:4]) for x in lines if x.split()[:2] == ["CONNECT", target]]
            if found or time.monotonic() > deadline:
                return found
            time.sleep(0.1)


def _connect_head(sock: socket.socket, host: str, port: int) -> int:
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    sock.sendall(f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n".encode())
    try:
        status, _, _ = _read_head(sock)
    except (AssertionError, OSError):
        return 0  # closed without an answer
    return status


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size and (chunk := sock.recv(size - len(data))):
        data += chunk
    return data


def _entry(pattern: str, ports: tuple[int, ...]) -> Entry:
    return Entry(pattern, (pattern,), ports, Classification(), "observed", 1, 0, ("observed: test",), ())


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """Squid running the --full --sni enforce export of a policy shaped like a CycleCloud node's."""
    v4, v6 = local_address(socket.AF_INET), local_address(socket.AF_INET6)
    layout = {
        "web": ("tls", v4),  # allowed.egressmap.test, TLS
        "plain": ("echo", v4),  # plain.egressmap.test, a clear protocol on a named entry
        "amqp": ("echo", v4),  # the CycleCloud server's AMQP (5672 in the field), clear
        "https": ("tls", v4),  # the CycleCloud server's HTTPS (9443 in the field)
        "web6": ("tls", v6),
        "http6": ("http", v6),
    }
    with tls_origins(layout, [ALLOWED, EVIL]) as origins:
        policy = Policy(
            (
                _entry(ALLOWED, (origins.port("web"),)),
                _entry(PLAIN, (origins.port("plain"),)),
                _entry(v4, (origins.port("amqp"), origins.port("https"))),
                _entry(v6, (origins.port("web6"), origins.port("http6"))),
            )
        )
        extra = [
            "logformat egressmap_bump %rm %ru %ssl::bump_mode %ssl::>sni %Ss/%03>Hs",
            f"access_log stdio:{{workdir}}/{BUMP_LOG} egressmap_bump",
        ]
        names = [ALLOWED, PLAIN, EVIL]
        rejected = "\n".join(SquidExport().render(policy, ExportOptions()).rejected)
        with exported_squid(policy, names, sni=True, address=v4, extra=extra) as (squid, _, workdir):
            yield Lab(squid, workdir, origins, v4, v6, rejected)


def test_a_server_name_other_than_the_connect_host_is_refused(lab: Lab) -> None:
    """CONNECT to an allowed name carrying SNI evil.example.net is terminated (main's export tunnels it)."""
    port = lab.origins.port("web")
    status, leaf, echoed = lab.tls(ALLOWED, port, EVIL)
    assert (leaf, echoed) == (None, b""), f"CONNECT {ALLOWED} with SNI {EVIL} reached the origin ({status})"
    assert f"terminate {EVIL}" in lab.decisions(f"{ALLOWED}:{port}")


def test_an_allowed_server_name_is_spliced(lab: Lab) -> None:
    """The allowed SNI is spliced: the client completes TLS with the origin's own certificate.

    Squid logs the decision ``splice``; on main's export the port has no ssl-bump, so no decision is ever
    made (``-``) and the SNI is never looked at.
    """
    port = lab.origins.port("web")
    status, leaf, echoed = lab.tls(ALLOWED, port, ALLOWED)
    assert (status, leaf, echoed) == (200, lab.origins.leaf_der, b"ping\n")
    assert f"splice {ALLOWED}" in lab.decisions(f"{ALLOWED}:{port}")


def test_ip_literal_and_clear_protocol_entries_pass_through(lab: Lab) -> None:
    """The CycleCloud shape: AMQP in clear and HTTPS to the server's address pass, spliced by Squid.

    A clear protocol on a named entry passes too. On main's export Squid never makes an ssl_bump decision
    (no ssl-bump port); with only the port fixed, its ``ssl_bump terminate all`` cut these tunnels.
    """
    lab.usable(lab.v4)
    amqp, https = lab.origins.port("amqp"), lab.origins.port("https")
    assert lab.plain(lab.v4, amqp, AMQP_HEADER) == (200, AMQP_HEADER)
    assert lab.tls(lab.v4, https, None) == (200, lab.origins.leaf_der, b"ping\n")
    assert lab.plain(PLAIN, lab.origins.port("plain"), AMQP_HEADER) == (200, AMQP_HEADER)
    for target in (f"{lab.v4}:{amqp}", f"{lab.v4}:{https}"):
        assert [d.split()[0] for d in lab.decisions(target)] == ["splice"], target


def test_ipv6_entries_pass(lab: Lab) -> None:
    """An IPv6 entry allows CONNECT [v6]:port and GET http://[v6]:port/ (main's ``dstdomain -n v6``: 403)."""
    lab.usable(lab.v6)
    status, leaf, echoed = lab.tls(lab.v6, lab.origins.port("web6"), None)
    assert (status, leaf, echoed) == (200, lab.origins.leaf_der, b"ping\n")
    assert _http(lab.squid.port, "GET", f"http://[{lab.v6}]:{lab.origins.port('http6')}/v6") == 200


def test_names_and_ports_outside_the_policy_stay_denied(lab: Lab) -> None:
    """An unlisted name, and a listed address on a port it is not listed for, reach no origin.

    (Squid answers such a CONNECT 200 on an ssl-bump port and bumps it to deliver its 403 with the port's
    certificate, which this client does not trust; nothing is forwarded.)
    """
    assert lab.tls(EVIL, lab.origins.port("web"), EVIL)[1] is None
    lab.usable(lab.v4)
    assert lab.plain(lab.v4, lab.origins.port("plain"), AMQP_HEADER)[1] != AMQP_HEADER
