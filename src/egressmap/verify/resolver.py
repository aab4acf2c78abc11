"""Name resolution as the node does it: ``--resolve`` overrides, then /etc/hosts, then DNS (A and AAAA).

DNS goes through dnspython, so a failure says what DNS said (``NXDOMAIN``, ``SERVFAIL``, no records) rather
than getaddrinfo's one catch-all error. ``--resolver system`` uses the C library instead (nsswitch, mDNS...).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import dns.asyncresolver
import dns.exception
import dns.resolver

from ..errors import ConfigError
from ..hostnames import is_ip, normalize_host, parse_hosts_file
from .interface import ProbeResult
from .limits import OUT_OF_DESCRIPTORS, out_of_descriptors

__all__ = ["Resolution", "Resolver", "parse_nameserver", "parse_resolve"]


@dataclass(frozen=True)
class Resolution:
    """The DNS stage's result and the addresses to connect to (IPv4 first)."""

    result: ProbeResult
    addresses: tuple[str, ...] = ()


def parse_resolve(values: Sequence[str]) -> dict[tuple[str, int | None], tuple[str, ...]]:
    """``--resolve`` values -> {(host, port or None): addresses}.

    Accepts curl's ``HOST:PORT:ADDR[,ADDR...]`` and the shorter ``HOST:ADDR``; IPv6 addresses may be bracketed.

    >>> parse_resolve(["pypi.org:127.0.0.1", "GitHub.com:443:[::1],127.0.0.2"])
    {('pypi.org', None): ('127.0.0.1',), ('github.com', 443): ('::1', '127.0.0.2')}
    """
    out: dict[tuple[str, int | None], tuple[str, ...]] = {}
    for value in values:
        host_part, sep, rest = value.partition(":")
        port: int | None = None
        head, sep2, tail = rest.partition(":")
        if sep2 and head.isdigit() and not _all_ips(rest):
            port, rest = int(head), tail
        try:
            if not sep or not rest:
                raise ValueError("expected HOST:ADDR or HOST:PORT:ADDR")
            host = normalize_host(host_part)
            addresses = tuple(_ip(a) for a in rest.split(","))
            if port is not None and not 0 < port < 65536:
                raise ValueError(f"invalid port {port}")
        except ValueError as exc:
            raise ConfigError(f"--resolve {value[:80]!r}: {exc}") from None
        out[(host, port)] = addresses
    return out


def parse_nameserver(value: str) -> tuple[str, int]:
    """``--dns-server IP[:PORT]`` (IPv6 as ``[IP]:PORT``) -> (ip, port).

    >>> parse_nameserver("127.0.0.1:5353"), parse_nameserver("::1")
    (('127.0.0.1', 5353), ('::1', 53))
    """
    try:
        if value.startswith("["):
            addr, _, port_text = value[1:].partition("]")
            port_text = port_text.removeprefix(":")
        elif value.count(":") == 1:
            addr, port_text = value.split(":")
        else:
            addr, port_text = value, ""
        port = int(port_text) if port_text else 53
        if not 0 < port < 65536:
            raise ValueError(f"invalid port {port}")
        return _ip(addr), port
    except ValueError as exc:
        raise ConfigError(f"--dns-server {value[:80]!r}: {exc}") from None


def _all_ips(text: str) -> bool:
    try:
        for a in text.split(","):
            _ip(a)
    except ValueError:
        return False
    return True


def _ip(text: str) -> str:
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        raise ValueError(f"{text[:60]!r} is not an IP address") from None


@dataclass
class Resolver:
    """Resolves target names; one instance serves a whole run."""

    overrides: Mapping[tuple[str, int | None], tuple[str, ...]] = field(default_factory=dict)
    nameserver: tuple[str, int] | None = None
    """Ask this server instead of the ones in /etc/resolv.conf."""
    system: bool = False
    """Use getaddrinfo (the C library) instead of DNS queries."""
    hosts_file: str = "/etc/hosts"
    _hosts: dict[str, tuple[str, ...]] | None = None
    _dns: dns.asyncresolver.Resolver | None = None

    async def resolve(self, host: str, port: int, timeout: float) -> Resolution:
        """Resolve ``host``; never raises."""
        start = time.perf_counter()
        fixed = self.overrides.get((host, port)) or self.overrides.get((host, None))
        if fixed:
            return self._done(start, fixed, "from --resolve")
        if is_ip(host):
            return self._done(start, (host,), "IP literal")
        listed = self._hosts_table().get(host)
        if listed and not self.system:
            return self._done(start, listed, f"from {self.hosts_file}")
        try:
            async with asyncio.timeout(timeout):
                if self.system:
                    return self._done(start, await self._getaddrinfo(host, port), "")
                return await self._query(host, start)
        except TimeoutError:
            return Resolution(ProbeResult("dns", False, f"timeout after {timeout:g}s", _since(start)))
        except socket.gaierror as exc:
            return Resolution(ProbeResult("dns", False, _gai_detail(exc), _since(start)))

    def _done(self, start: float, addresses: Sequence[str], how: str) -> Resolution:
        ordered = tuple(sorted(dict.fromkeys(addresses), key=lambda a: ":" in a))  # IPv4 first, stable
        v4 = sum(":" not in a for a in ordered)
        counts = f"{v4} A, {len(ordered) - v4} AAAA"
        detail = f"{counts} ({how})" if how else counts
        return Resolution(ProbeResult("dns", True, detail, _since(start)), ordered)

    async def _getaddrinfo(self, host: str, port: int) -> list[str]:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]

    async def _query(self, host: str, start: float) -> Resolution:
        resolver = self._resolver()
        answers = await asyncio.gather(
            resolver.resolve(host, "A", search=False, raise_on_no_answer=False),
            resolver.resolve(host, "AAAA", search=False, raise_on_no_answer=False),
            return_exceptions=True,
        )
        addresses: list[str] = []
        errors: list[BaseException] = []
        for answer in answers:
            if isinstance(answer, BaseException):
                errors.append(answer)
            elif answer.rrset is not None:
                addresses.extend(str(r) for r in answer.rrset)
        if addresses:
            return self._done(start, addresses, "")
        if any(_local_failure(e) for e in errors):
            return Resolution(ProbeResult("local", False, OUT_OF_DESCRIPTORS, _since(start)))
        return Resolution(ProbeResult("dns", False, _dns_detail(errors), _since(start)))

    def _resolver(self) -> dns.asyncresolver.Resolver:
        if self._dns is None:
            if self.nameserver is not None:
                resolver = dns.asyncresolver.Resolver(configure=False)
                resolver.nameservers = [self.nameserver[0]]
                resolver.port = self.nameserver[1]
            else:
                try:
                    resolver = dns.asyncresolver.Resolver()
                except (dns.resolver.NoResolverConfiguration, OSError) as exc:
                    raise ConfigError(
                        f"no DNS configuration ({exc}); give --dns-server or --resolver system"
                    ) from None
            resolver.lifetime = 3600.0  # the caller's per-stage timeout bounds each lookup
            resolver.retry_servfail = False
            self._dns = resolver
        return self._dns

    def _hosts_table(self) -> dict[str, tuple[str, ...]]:
        if self._hosts is None:
            self._hosts = _read_hosts(self.hosts_file)
        return self._hosts


def _read_hosts(path: str) -> dict[str, tuple[str, ...]]:
    """The node's hosts file as the C library reads it: unreadable lines and names are passed over."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    table, _ = parse_hosts_file(text)
    return {k: tuple(v) for k, v in table.items()}


def _local_failure(error: BaseException) -> bool:
    """True when a lookup failed because no socket could be opened here.

    dnspython reports that as every server failing (SERVFAIL), so the errors it kept per server are read.
    """
    if out_of_descriptors(error):
        return True
    if isinstance(error, dns.resolver.NoNameservers):
        for item in error.kwargs.get("errors") or ():
            if any(isinstance(part, BaseException) and out_of_descriptors(part) for part in item):
                return True
    return False


def _dns_detail(errors: Sequence[BaseException]) -> str:
    if any(isinstance(e, dns.resolver.NXDOMAIN) for e in errors):
        return "NXDOMAIN"
    if any(isinstance(e, dns.resolver.NoNameservers) for e in errors):
        return "SERVFAIL (no server answered usefully)"
    if any(isinstance(e, dns.exception.Timeout) for e in errors):
        return "timeout (no answer from the DNS server)"
    if errors:
        first = errors[0]
        return f"{type(first).__name__}: {first}"[:120]
    return "no A or AAAA record"


def _gai_detail(exc: socket.gaierror) -> str:
    names = {
        socket.EAI_NONAME: "no such name (EAI_NONAME)",
        socket.EAI_AGAIN: "temporary failure (EAI_AGAIN)",
    }
    known = names.get(exc.errno) if exc.errno is not None else None
    return known or f"{exc.strerror or exc} (getaddrinfo)"


def _since(start: float) -> float:
    return time.perf_counter() - start
