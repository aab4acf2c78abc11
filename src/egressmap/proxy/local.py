"""The machine's own addresses and descriptors: the self-connect guard and the open-files limit.

The proxy must never connect to its own listening port: a client could chain CONNECTs through it until it
runs out of descriptors. The destination is compared as a socket address (IPv4-mapped IPv6 unmapped) with
every address the machine owns, not as the text the client sent.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import os
import resource
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "OUT_OF_RESOURCES",
    "DESCRIPTORS_PER_CONNECTION",
    "RESERVED_DESCRIPTORS",
    "LocalAddresses",
    "LocalFailure",
    "ResourceErrors",
    "connection_budget",
    "listening_socket",
    "raise_open_files_limit",
    "spare_descriptor",
    "unmapped",
]

OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
"""Errors that say this machine is out of something, never that a destination is unreachable."""
DESCRIPTORS_PER_CONNECTION = 2
"""A client connection and its upstream connection."""
RESERVED_DESCRIPTORS = 64
"""Kept free for the listening socket, the record file, DNS lookups and the event loop (a quarter of a
smaller limit)."""

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_REFRESH = 30.0


def unmapped(address: str) -> IPAddress | None:
    """The address a socket connects to: ``::ffff:a.b.c.d`` is ``a.b.c.d``; None when not an IP.

    >>> unmapped("::ffff:127.0.0.1"), unmapped("fe80::1%eth0"), unmapped("name")
    (IPv4Address('127.0.0.1'), IPv6Address('fe80::1'), None)
    """
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


class LocalAddresses:
    """The machine's interface addresses (Linux /proc), re-read every 30 s."""

    def __init__(self, root: Path = Path("/proc/net")) -> None:
        """``root`` is where ``fib_trie`` and ``if_inet6`` are read from."""
        self.root = root
        self._addresses: frozenset[IPAddress] = frozenset()
        self._read_at = float("-inf")

    def get(self) -> frozenset[IPAddress]:
        """The current set (loopback and unspecified addresses are checked separately)."""
        now = time.monotonic()
        if now - self._read_at > _REFRESH:
            self._addresses, self._read_at = frozenset(self._v4() | self._v6()), now
        return self._addresses

    def is_self(self, address: str, port: int, own_port: int, listen: str) -> bool:
        """True when connecting to ``address:port`` would reach the proxy's own listening socket."""
        if port != own_port:
            return False
        ip = unmapped(address)
        if ip is None:
            return False
        own = unmapped(listen)
        return ip == own or ip.is_loopback or ip.is_unspecified or ip in self.get()

    def _v4(self) -> set[IPAddress]:
        """``/32 host LOCAL`` entries of the routing trie: every IPv4 address of every interface."""
        try:
            lines = (self.root / "fib_trie").read_text(encoding="ascii", errors="replace").splitlines()
        except OSError:
            return set()
        found: set[IPAddress] = set()
        for previous, line in zip(lines, lines[1:], strict=False):
            if "/32 host LOCAL" in line:
                ip = unmapped(previous.strip().removeprefix("|-- "))
                if ip is not None:
                    found.add(ip)
        return found

    def _v6(self) -> set[IPAddress]:
        """Addresses from ``if_inet6`` (32 hex digits first on each line)."""
        try:
            text = (self.root / "if_inet6").read_text(encoding="ascii", errors="replace")
        except OSError:
            return set()
        found: set[IPAddress] = set()
        for line in text.splitlines():
            digits = line.split()[0] if line.split() else ""
            if len(digits) == 32:
                try:
                    found.add(ipaddress.IPv6Address(int(digits, 16)))
                except ValueError:
                    continue
        return found


def raise_open_files_limit() -> tuple[int, int]:
    """Raise the soft RLIMIT_NOFILE to the hard limit; return (soft, hard) in force afterwards."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != soft and (hard == resource.RLIM_INFINITY or hard > soft):
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (OSError, ValueError):
            pass
    return soft, hard


class LocalFailure(OSError):
    """A failure of this machine (a lookup that failed with a system error), not of the destination."""


def connection_budget(soft_limit: int) -> int:
    """How many client connections the open-files limit can hold, each with its upstream connection.

    >>> connection_budget(1024), connection_budget(64)
    (480, 24)
    """
    reserved = min(RESERVED_DESCRIPTORS, soft_limit // 4)
    return max(1, (soft_limit - reserved) // DESCRIPTORS_PER_CONNECTION)


class ResourceErrors:
    """An event-loop exception handler: out-of-resource errors become one stderr line per second at most.

    asyncio reports a failed ``accept()`` (EMFILE and the like) through the loop's exception handler, with a
    traceback, every time it retries; here they are counted and summarised instead. Anything else goes to
    the default handler.
    """

    def __init__(self, write: Callable[[str], None], clock: Callable[[], float] = time.monotonic) -> None:
        """``write`` takes one line (no newline)."""
        self.write, self.clock = write, clock
        self.count = 0
        """Out-of-resource events so far."""
        self._last = float("-inf")
        self._quiet = 0
        self.on_accept: Callable[[], None] | None = None
        """Called when accept() ran out of descriptors (the server answers the waiting clients)."""

    def note(self, what: str) -> None:
        """Count one event; write a line unless one was written in the last second."""
        self.count += 1
        now = self.clock()
        if now - self._last < 1.0:
            self._quiet += 1
            return
        more = f" (and {self._quiet} more since the last message)" if self._quiet else ""
        self.write(f"egressmap: proxy: out of resources: {what}{more}; clients get 503 meanwhile")
        self._last, self._quiet = now, 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's exception handler."""
        exc = context.get("exception")
        if isinstance(exc, OSError) and exc.errno in OUT_OF_RESOURCES:
            self.note(f"{context.get('message', 'error')}: {exc.strerror or exc}")
            if "accept" in str(context.get("message", "")) and self.on_accept is not None:
                self.on_accept()
        elif isinstance(exc, ValueError) and "_start_serving" in repr(context.get("handle")):
            pass  # asyncio's accept retry fired after shutdown closed the socket: nothing to do
        else:
            loop.default_exception_handler(context)


def listening_socket(host: str, port: int, reuse_port: bool) -> socket.socket:
    """The bound listening socket (held by the server, so it can accept by itself when out of descriptors)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


def spare_descriptor() -> int | None:
    """A descriptor held in reserve (on /dev/null), or None when none is left."""
    try:
        return os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return None
