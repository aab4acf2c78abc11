"""A real Squid (from apt) on loopback, with local origin servers, driven once.

``run_squid_lab()`` starts a plain HTTP origin and a TCP echo origin on 127.0.0.1, writes a squid.conf
whose ``hosts_file`` maps every test name to 127.0.0.1 (so no request or DNS query ever leaves the machine),
starts ``squid -N``, sends plain-HTTP and CONNECT requests through it (some denied by an ACL), stops Squid so
every log is flushed, and hands the tests the log files and what was sent.
"""

from __future__ import annotations

import http.client
import http.server
import os
import pwd
import shutil
import signal
import socket
import socketserver
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from egressmap.exporters import ExportOptions
from egressmap.exporters.squid import SquidExport
from egressmap.model import Policy

TIMEOUT = 30.0
"""Seconds for any one socket operation (generous: a busy machine must not fail a test; nothing here waits
on it when things work)."""
START_TIMEOUT = 60.0
"""Seconds Squid gets to start listening."""
STOP_TIMEOUT = 30.0
"""Seconds Squid gets to flush its logs and exit after SIGTERM."""

NAMES = (
    "mirror.egressmap.test",
    "pkgs.egressmap.test",
    "api.egressmap.test",
    "dead.egressmap.test",
    "dead-tunnel.egressmap.test",
    "blocked.egressmap.test",
    "denied-too.egressmap.test",
)
"""Every name the tests use; all of them are in Squid's hosts_file, pointing at 127.0.0.1."""
DENIED_NAMES = ("blocked.egressmap.test", "denied-too.egressmap.test")

MINIMAL = "%tl %>a %Ss/%03>Hs %rm %ru"
DETAILED = '%ts.%03tu %>a %>p %rm %>rd %>rP %>Hs %Ss %Sh %<st "%{User-Agent}>h"'
USER_AGENT = "egressmap-it/1.0 (integration; squid)"
REFERER = "http://docs.egressmap.test/setup/proxy.html"
"""Sent as the Referer of every plain-HTTP request: a host no request goes to, never a destination."""
REORDERED = '%>a [%tl] %rm %ru %>Hs %Ss:%Sh %<st %tr "%{Referer}>h" "%{User-Agent}>h"'
"""A layout egressmap is not told about: fields in another order, quoted headers (the Referer is a URL)."""
UNQUOTED_UA = "%ts.%03tu %>a %'{User-Agent}>h %Ss/%03>Hs %rm %ru"
"""A layout egressmap cannot infer: the User-Agent, raw (``'``: no encoding), has spaces, so fields move."""
SECRET = "s3cr3t-query-value"
"""Sent in a query string; Squid strips query terms and egressmap must never show it."""

LOGS = {
    # log file name -> (access_log format as written in squid.conf, egressmap source name)
    "native.log": ("squid", "squid"),
    "common.log": ("common", "squid-common"),
    "combined.log": ("combined", "squid-combined"),
    "minimal.log": ("minimal", "squid-custom:minimal"),
    "detailed.log": ("logformat=detailed", "squid-custom:detailed"),
}
"""The five access logs every transaction goes to."""
UNNAMED_LOGS = {"reordered.log": "reordered", "unquoted-ua.log": "unquoted_ua"}
"""Logs in layouts egressmap is never told about (log file name -> logformat name in squid.conf)."""
TUNNELS_LOG = "tunnels.log"
"""A sixth log, ``logformat=minimal`` restricted by the ``CONNECT`` ACL: only CONNECT transactions."""


@dataclass(frozen=True)
class Expected:
    """What was sent to one destination through the proxy."""

    count: int
    denied: int
    method: str
    status: int
    """The HTTP status Squid answered (200, 403 denied by the ACL, 503 for the port nothing listens on)."""


@dataclass
class SquidLab:
    """A finished Squid run: its config, its logs, and the traffic that went through it."""

    workdir: Path
    conf: Path
    http_port: int
    echo_port: int
    dead_port: int
    expected: dict[tuple[str, int], Expected] = field(default_factory=dict)
    probes: int = 0
    """Connections opened and closed without a request (Squid logs ``error:transaction-end-before-headers``)."""

    def log(self, name: str) -> Path:
        """The path of one access log."""
        return self.workdir / name


def _squid_binary() -> str | None:
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
    return shutil.which("squid", path=search)


def _workdir() -> Path:
    """A scratch directory Squid's unprivileged user can reach and write (Squid drops root to ``proxy``)."""
    base = Path(tempfile.gettempdir())
    if os.geteuid() == 0 and not all(p.stat().st_mode & stat.S_IXOTH for p in (base, *base.parents)):
        base = Path("/tmp")
    path = Path(tempfile.mkdtemp(prefix="egressmap-squid-", dir=base))
    path.chmod(0o777)
    return path


def _effective_user() -> str | None:
    """The user Squid should drop to when started as root (None when not root: Squid runs as us)."""
    if os.geteuid() != 0:
        return None
    for name in ("proxy", "squid", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    pytest.skip("running as root but no proxy/squid/nobody user for Squid to drop privileges to")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def write_conf(workdir: Path, proxy_port: int, echo_port: int, dead_port: int) -> Path:
    """Write hosts and squid.conf into ``workdir``; return the squid.conf path."""
    (workdir / "hosts").write_text("127.0.0.1 " + " ".join(NAMES) + "\n", encoding="utf-8")
    user = _effective_user()
    lines = [
        f"http_port 127.0.0.1:{proxy_port}",
        "visible_hostname egressmap-it.test",
        *([f"cache_effective_user {user}"] if user else []),
        f"pid_filename {workdir}/squid.pid",
        f"cache_log {workdir}/cache.log",
        f"coredump_dir {workdir}",
        "cache deny all",
        "netdb_filename none",
        "pinger_enable off",
        "shutdown_lifetime 0 seconds",
        # Names come only from this file; the resolver is loopback, so no lookup leaves the machine.
        f"hosts_file {workdir}/hosts",
        "dns_nameservers 127.0.0.1",
        "acl CONNECT method CONNECT",
        f"acl SSL_ports port 443 {echo_port} {dead_port}",
        "acl blocked dstdomain " + " ".join(DENIED_NAMES),
        "http_access deny blocked",
        "http_access deny CONNECT !SSL_ports",
        "http_access allow localhost",
        "http_access deny all",
        f"logformat minimal {MINIMAL}",
        f"logformat detailed {DETAILED}",
        f"logformat reordered {REORDERED}",
        f"logformat unquoted_ua {UNQUOTED_UA}",
        *(f"access_log stdio:{workdir}/{name} {fmt}" for name, (fmt, _) in LOGS.items()),
        *(f"access_log stdio:{workdir}/{name} logformat={fmt}" for name, fmt in UNNAMED_LOGS.items()),
        f"access_log stdio:{workdir}/{TUNNELS_LOG} logformat=minimal CONNECT",
    ]
    conf = workdir / "squid.conf"
    conf.write_text("\n".join(lines) + "\n", encoding="utf-8")
    conf.chmod(0o644)
    (workdir / "hosts").chmod(0o644)
    return conf


# --- origin servers -----------------------------------------------------------------------------------


class _OriginHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _reply(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = f"origin saw {self.command} {self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._reply()

    def do_POST(self) -> None:
        self._reply()

    def log_message(self, format: str, *args: object) -> None:
        pass


class _EchoHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(TIMEOUT)
        while chunk := sock.recv(4096):
            sock.sendall(chunk)


class _EchoServer(socketserver.ThreadingTCPServer):
    daemon_threads = True


@dataclass
class _Origins:
    http: http.server.ThreadingHTTPServer
    echo: _EchoServer
    threads: list[threading.Thread]

    @property
    def http_port(self) -> int:
        return int(self.http.server_address[1])

    @property
    def echo_port(self) -> int:
        return int(self.echo.server_address[1])

    def close(self) -> None:
        for server in (self.http, self.echo):
            server.shutdown()
            server.server_close()
        for thread in self.threads:
            thread.join(TIMEOUT)


def _start_origins() -> _Origins:
    web = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _OriginHandler)
    web.daemon_threads = True
    echo = _EchoServer(("127.0.0.1", 0), _EchoHandler)
    threads = [
        threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        for s in (web, echo)
    ]
    for thread in threads:
        thread.start()
    return _Origins(web, echo, threads)


# --- Squid process --------------------------------------------------------------------------------------


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(none)"


def _parse_conf(squid: str, conf: Path) -> None:
    done = subprocess.run(
        [squid, "-k", "parse", "-f", str(conf)], capture_output=True, text=True, timeout=60, check=False
    )
    output = done.stdout + done.stderr
    bad = [line for line in output.splitlines() if "FATAL" in line or "ERROR" in line]
    if done.returncode != 0 or bad:
        pytest.fail(
            f"squid -k parse rejected {conf} (exit {done.returncode}):\n" + "\n".join(bad or [output])
        )


class _Squid:
    """``squid -N`` as a child process; ``stop()`` shuts it down cleanly so the logs are complete."""

    def __init__(self, squid: str, conf: Path, port: int, workdir: Path) -> None:
        self.port = port
        self.workdir = workdir
        self.output = (workdir / "squid.out").open("wb")
        self.proc = subprocess.Popen(
            [squid, "-N", "-f", str(conf)],
            stdout=self.output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_listening(self) -> bool:
        """Wait (bounded) until the port accepts a connection; False if Squid exited first."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass  # this connection ends before any request: Squid logs it as an error line
                return self.proc.poll() is None  # not some other process that took the port
            except OSError:
                time.sleep(0.05)
        self.stop()
        pytest.fail(
            f"squid did not listen on 127.0.0.1:{self.port} within {START_TIMEOUT:.0f}s; cache.log:\n"
            + _tail(self.workdir / "cache.log")
        )

    def stop(self) -> None:
        """SIGTERM, then wait for exit (SIGKILL after the bound, which fails the run)."""
        try:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(TIMEOUT)
                    pytest.fail(f"squid did not exit within {STOP_TIMEOUT:.0f}s of SIGTERM")
        finally:
            self.output.close()


def _start_squid(squid: str, workdir: Path, echo_port: int, dead_port: int) -> tuple[_Squid, Path]:
    """Start Squid on a free port, retrying a few times in case another process takes the port first."""
    for _ in range(3):
        port = _free_port()
        conf = write_conf(workdir, port, echo_port, dead_port)
        _parse_conf(squid, conf)
        proxy = _Squid(squid, conf, port, workdir)
        if proxy.wait_listening():
            return proxy, conf
        proxy.stop()
        if "Address already in use" not in _tail(workdir / "cache.log", 200) + _tail(
            workdir / "squid.out", 200
        ):
            break
    pytest.fail(
        f"squid exited at startup (exit {proxy.proc.returncode}); cache.log:\n"
        + _tail(workdir / "cache.log")
        + "\nstdout/stderr:\n"
        + _tail(workdir / "squid.out")
    )


# --- traffic --------------------------------------------------------------------------------------------


def _http(proxy_port: int, method: str, url: str, body: bytes | None = None) -> int:
    """Send one plain-HTTP request with an absolute URI through the proxy; return the status."""
    conn = http.client.HTTPConnection("127.0.0.1", proxy_port, timeout=TIMEOUT)
    try:
        conn.request(method, url, body=body, headers={"User-Agent": USER_AGENT, "Referer": REFERER})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _read_head(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Read an HTTP response head from a raw socket: (status, headers, bytes already read past the head)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            raise AssertionError(f"proxy closed the connection mid-response: {data!r}")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, rest


def _connect(proxy_port: int, target: str, payload: bytes | None) -> int:
    """CONNECT through the proxy; on 200 send ``payload`` through the tunnel and check it comes back."""
    with socket.create_connection(("127.0.0.1", proxy_port), timeout=TIMEOUT) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        status, headers, rest = _read_head(sock)
        if status == 200 and payload is not None:
            sock.sendall(payload)
            echoed = rest
            while len(echoed) < len(payload):
                chunk = sock.recv(4096)
                if not chunk:
                    break
                echoed += chunk
            assert echoed == payload, f"tunnel to {target} returned {echoed!r}"
        else:
            length = int(headers.get("content-length", "0"))
            while len(rest) < length and (chunk := sock.recv(4096)):
                rest += chunk
        return status


def _send_traffic(lab: SquidLab, proxy_port: int) -> None:
    """Requests through the proxy; records what each destination should show."""
    hp, ep, dp = lab.http_port, lab.echo_port, lab.dead_port
    plan: list[tuple[str, str, int, str, int]] = [
        # method, host, port, path-or-payload, expected status
        ("GET", "mirror.egressmap.test", hp, "/ubuntu/dists/jammy/InRelease", 200),
        ("GET", "mirror.egressmap.test", hp, "/ubuntu/pool/main/a/a_1.0_amd64.deb", 200),
        ("GET", "mirror.egressmap.test", hp, "/ubuntu/dists/jammy/InRelease", 200),
        ("GET", "pkgs.egressmap.test", hp, f"/simple/pkg/?token={SECRET}", 200),
        ("POST", "pkgs.egressmap.test", hp, "/upload", 200),
        ("CONNECT", "api.egressmap.test", ep, "hello through the tunnel\n", 200),
        ("CONNECT", "api.egressmap.test", ep, "second tunnel\n", 200),
        ("GET", "dead.egressmap.test", dp, "/nothing-listens-here", 503),
        ("CONNECT", "dead-tunnel.egressmap.test", dp, "never sent\n", 503),
        ("GET", "blocked.egressmap.test", 80, "/pool/x.deb", 403),
        ("GET", "blocked.egressmap.test", 80, "/pool/y.deb", 403),
        ("CONNECT", "denied-too.egressmap.test", 443, "never sent\n", 403),
        ("CONNECT", "denied-too.egressmap.test", 443, "never sent\n", 403),
    ]
    for method, host, port, what, want in plan:
        if method == "CONNECT":
            status = _connect(proxy_port, f"{host}:{port}", what.encode())
        else:
            authority = host if port == 80 else f"{host}:{port}"
            body = b"field=value" if method == "POST" else None
            status = _http(proxy_port, method, f"http://{authority}{what}", body)
        assert status == want, (
            f"{method} {host}:{port}{what if method != 'CONNECT' else ''}: {status}, not {want}"
        )
        old = lab.expected.get((host, port), Expected(0, 0, method, status))
        lab.expected[(host, port)] = Expected(
            old.count + 1, old.denied + (host in DENIED_NAMES), method, status
        )


@contextmanager
def run_squid_lab() -> Iterator[SquidLab]:
    """Run Squid once with the whole traffic plan; yield its finished logs (Squid has exited)."""
    squid = _squid_binary()
    if squid is None:
        pytest.skip("squid is not installed (apt-get install squid); CI installs it")
    workdir = _workdir()
    origins = _start_origins()
    # Bound but never listening: connections to it are refused, so Squid answers 503.
    dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        dead.bind(("127.0.0.1", 0))
        proxy, conf = _start_squid(squid, workdir, origins.echo_port, int(dead.getsockname()[1]))
        lab = SquidLab(
            workdir, conf, origins.http_port, origins.echo_port, int(dead.getsockname()[1]), probes=1
        )
        try:
            _send_traffic(lab, proxy.port)
        finally:
            proxy.stop()
        if proxy.proc.returncode != 0:
            pytest.fail(
                f"squid exited with {proxy.proc.returncode}; cache.log:\n" + _tail(workdir / "cache.log")
            )
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    finally:
        dead.close()
        origins.close()
    try:
        yield lab
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextmanager
def exported_squid(
    policy: Policy,
    names: Sequence[str],
    mode: str = "enforce",
    *,
    sni: bool = False,
    address: str = "127.0.0.1",
    extra: Sequence[str] = (),
) -> Iterator[tuple[_Squid, Path, Path]]:
    """A real Squid running the squid exporter's ``--full`` config for ``policy`` on a free loopback port.

    ``names`` resolve to ``address`` (an address of this machine) through Squid's ``hosts_file``. With
    ``sni`` the export is ``--full --sni`` and the ssl-bump port gets a throwaway certificate. ``extra``
    lines are appended to squid.conf (say, another access_log; ``{workdir}`` stands for the run's folder). Yields (squid, squid.conf, workdir).
    """
    squid = _squid_binary()
    assert squid, "squid is not installed: scripts/test installs it from apt"
    workdir = _workdir()
    try:
        port = _free_port()
        params = {
            "listen": f"127.0.0.1:{port}",
            "access_log": f"stdio:{workdir}/access.log",
            "clients": "127.0.0.0/8",
        }
        if sni:
            params.update(_bump_certificate(workdir))
        options = ExportOptions(
            full=True,
            mode=mode,  # type: ignore[arg-type]
            sni=sni,
            params=params,
        )
        text = SquidExport().render(policy, options).text
        user = _effective_user()
        local = [
            *([f"cache_effective_user {user}"] if user else []),
            f"pid_filename {workdir}/squid.pid",
            f"cache_log {workdir}/cache.log",
            f"coredump_dir {workdir}",
            "netdb_filename none",
            "pinger_enable off",
            "shutdown_lifetime 0 seconds",
            f"hosts_file {workdir}/hosts",
            "dns_nameservers 127.0.0.1",
            *(line.replace("{workdir}", str(workdir)) for line in extra),
        ]
        (workdir / "hosts").write_text(f"{address} " + " ".join(names) + "\n")
        (workdir / "hosts").chmod(0o644)
        conf = workdir / "squid.conf"
        conf.write_text(text + "\n".join(local) + "\n")
        conf.chmod(0o644)
        _parse_conf(squid, conf)
        proxy = _Squid(squid, conf, port, workdir)
        if not proxy.wait_listening():
            pytest.fail("squid exited at startup; cache.log:\n" + _tail(workdir / "cache.log"))
        try:
            yield proxy, conf, workdir
        finally:
            proxy.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _bump_certificate(workdir: Path) -> dict[str, str]:
    """A throwaway certificate and key for the ssl-bump port (never shown to a client: peek and splice)."""
    import trustme

    ca = trustme.CA(organization_name="egressmap ssl-bump test")
    cert, key = workdir / "bump.pem", workdir / "bump.key"
    ca.cert_pem.write_to_path(str(cert))
    ca.private_key_pem.write_to_path(str(key))
    for path in (cert, key):
        path.chmod(0o644)  # Squid reads them after dropping to its unprivileged user
    return {"bump_cert": str(cert), "bump_key": str(key)}
