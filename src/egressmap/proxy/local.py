"""The machine's own addresses and descriptors: the self-connect guard and the open-files limit.

The proxy must never connect to its own listening port: a client could chain CONNECTs through it until it
runs out of descriptors. The destination is compared as a socket address (IPv4-mapped IPv6 unmapped) with
every address the machine owns, not as the text the client sent.
"""

from __future__ import annotations

import ipaddress
import resource
import time
from pathlib import Path

__all__ = ["LocalAddresses", "raise_open_files_limit", "unmapped"]

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
