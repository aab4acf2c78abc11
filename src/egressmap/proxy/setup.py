"""From command-line values to a running proxy: addresses, client ACL, policy, hosts file, then serve."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import socket
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Literal, TextIO

from ..errors import ConfigError
from ..hostnames import parse_hosts_file
from .allow import Allowlist
from .clients import PUBLIC_LIMIT_V4, PUBLIC_LIMIT_V6, public_coverage
from .commands import Limits
from .local import raise_open_files_limit
from .server import LOOPBACK, IPNetwork, ProxyConfig, ProxyServer, serve
from .tasks import spawn

__all__ = ["build_config", "parse_listen", "read_hosts", "run"]


def parse_listen(text: str) -> tuple[str, int]:
    """``ADDR:PORT``, ``[v6]:PORT`` or ``PORT`` (on 127.0.0.1).

    >>> parse_listen("3128"), parse_listen("0.0.0.0:8080"), parse_listen("[::1]:3128")
    (('127.0.0.1', 3128), ('0.0.0.0', 8080), ('::1', 3128))
    """
    if text.isdigit():
        text = f"127.0.0.1:{text}"
    host, _, port_text = text.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(host)
    except ValueError as exc:
        raise ConfigError(f"--listen {text!r}: expected ADDR:PORT with an IP address ({exc})") from None
    if not port_text.isdigit() or not 0 <= int(port_text) < 65536:
        raise ConfigError(f"--listen {text!r}: expected a port 0..65535 after the address")
    port = int(port_text)
    return host, port


def read_hosts(path: str) -> dict[str, list[str]]:
    """A hosts file (``ADDRESS NAME...`` lines, ``#`` comments) as name -> addresses; a bad line is an error."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--hosts-file {path}: cannot read ({exc})") from None
    table, problems = parse_hosts_file(text)
    if problems:
        lineno, problem = problems[0]
        raise ConfigError(f"--hosts-file {path}:{lineno}: {problem}")
    return table


def build_config(
    *,
    listen: str = "127.0.0.1:3128",
    record: str | None = None,
    enforce: str | None = None,
    regions: Sequence[str] | None = None,
    allow_clients: Sequence[str] = (),
    mode: Literal["forward", "transparent"] = "forward",
    hosts_file: str | None = None,
    max_connections: int = 8192,
    handshake_timeout: float = 10.0,
    idle_timeout: float = 300.0,
    max_header_bytes: int = 16 * 1024,
    allow_any_client: bool = False,
    max_conns_per_client: int | None = None,
    keepalive_timeout: float = 120.0,
) -> tuple[ProxyConfig, tuple[str, ...]]:
    """The server configuration, and messages for policy entries that could not become rules."""
    host, port = parse_listen(listen)
    try:
        nets: tuple[IPNetwork, ...] = tuple(ipaddress.ip_network(c, strict=False) for c in allow_clients)
    except ValueError as exc:
        raise ConfigError(f"--allow-client: {exc}") from None
    if not nets:
        if not ipaddress.ip_address(host).is_loopback:
            raise ConfigError(
                f"--listen {listen}: listening beyond loopback needs --allow-client CIDR "
                "(the proxy must never be open to everyone)"
            )
        nets = LOOPBACK
    if any(n.prefixlen == 0 for n in nets) and not allow_any_client:
        raise ConfigError("--allow-client: 0.0.0.0/0 or ::/0 would make an open proxy; name your networks")
    too_public = public_coverage(nets)
    if too_public and not allow_any_client:
        raise ConfigError(
            f"--allow-client: these networks cover {too_public}, more than the limit for clients "
            f"(a /{PUBLIC_LIMIT_V4} of public IPv4, a /{PUBLIC_LIMIT_V6} of global IPv6): that is close to an "
            "open proxy; name your networks, or add --allow-any-client if this is really meant"
        )
    if max_conns_per_client is None:
        max_conns_per_client = max(1, max_connections // 4)
    if (
        max_connections < 1
        or max_conns_per_client < 1
        or min(handshake_timeout, idle_timeout, keepalive_timeout) <= 0
        or max_header_bytes < 1024
    ):
        raise ConfigError(
            "--max-connections, --max-conns-per-client, timeouts and --max-header-bytes must be positive "
            "(headers >= 1024)"
        )
    config = ProxyConfig(
        host=host,
        port=port,
        mode=mode,
        allow_clients=nets,
        record=record,
        limits=Limits(max_header_bytes=max_header_bytes),
        max_connections=max_connections,
        max_conns_per_client=max_conns_per_client,
        keepalive_timeout=keepalive_timeout,
        handshake_timeout=handshake_timeout,
        idle_timeout=idle_timeout,
        hosts=read_hosts(hosts_file) if hosts_file else {},
    )
    rejected: tuple[str, ...] = ()
    if enforce:
        from ..policy import expand_regions
        from ..policy_file import load_policy

        policy = load_policy(enforce)
        allowlist = Allowlist.from_policy(policy, expand_regions(regions) if regions else None)
        config.decide, config.enforce, rejected = allowlist.check, True, allowlist.rejected
    if record:
        try:
            Path(record).open("a", encoding="ascii").close()
        except OSError as exc:
            raise ConfigError(f"--record {record}: cannot write ({exc.strerror or exc})") from None
    return config, rejected


def run(
    config: ProxyConfig,
    *,
    live: bool = False,
    workers: int = 1,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> str:
    """Serve until SIGTERM/SIGINT; return the closing summary line. ``workers`` > 1 forks that many."""
    raise_open_files_limit()
    if workers > 1:
        return _run_workers(config, workers, err)
    server = ProxyServer(config, report=lambda line: print(line, file=err, flush=True))

    def ready(address: tuple[str, int]) -> None:
        _announce(config, address, err, f"; {server.cap_note}" if server.cap_note else "")
        if live:
            spawn(_live(server, _shown(address), out), name="live-summary")

    try:
        asyncio.run(serve(server, ready))
    except OSError as exc:
        raise ConfigError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None
    from .summary import closing_line

    return closing_line(server.stats)


def _shown(address: tuple[str, int]) -> str:
    return f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"


def _announce(config: ProxyConfig, address: tuple[str, int], err: TextIO, extra: str = "") -> None:
    mode = "enforce" if config.enforce else "audit"
    line = f"egressmap: proxy listening on {_shown(address)} ({config.mode}, {mode} mode{extra})"
    print(line, file=err, flush=True)


def _run_workers(config: ProxyConfig, workers: int, err: TextIO) -> str:
    """Fork ``workers`` processes that share the port (SO_REUSEPORT) and the record file (O_APPEND)."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    reserve = socket.socket(family, socket.SOCK_STREAM)  # holds the port (bound, never listening)
    try:
        reserve.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserve.bind((config.host, config.port))
    except OSError as exc:
        reserve.close()
        raise ConfigError(f"cannot listen on {config.host}:{config.port}: {exc.strerror or exc}") from None
    config = replace(config, port=reserve.getsockname()[1], reuse_port=True)
    ready_r, ready_w = os.pipe()
    pids: list[int] = []
    for _ in range(workers):
        pid = os.fork()
        if pid == 0:  # the child serves, then exits without returning into the CLI
            os.close(ready_r)
            reserve.close()
            code = 0
            try:
                asyncio.run(serve(ProxyServer(config), lambda _: _signal_ready(ready_w)))
            except BaseException:
                code = 1
            os._exit(code)
        pids.append(pid)
    os.close(ready_w)
    started = 0
    while started < workers and (chunk := os.read(ready_r, workers)):
        started += len(chunk)
    os.close(ready_r)

    def forward(signum: int, _frame: object) -> None:
        for pid in pids:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGINT)}
    if started == workers:
        _announce(config, (config.host, config.port), err, f", {workers} workers")
    else:
        forward(signal.SIGTERM, None)
    failed = 0
    try:
        for pid in pids:
            _, status = os.waitpid(pid, 0)
            failed += os.waitstatus_to_exitcode(status) != 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        reserve.close()
    if started < workers or failed:
        raise ConfigError(f"{failed or workers - started} of {workers} proxy workers failed")
    return f"{workers} workers stopped"


def _signal_ready(fd: int) -> None:
    os.write(fd, b"r")
    os.close(fd)


async def _live(server: ProxyServer, shown: str, out: TextIO) -> None:
    from .summary import live

    await live(server.stats, shown, out)
