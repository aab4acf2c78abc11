"""Which clients may use the proxy: a list of networks must not amount to an open proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

__all__ = ["PUBLIC_LIMIT_V4", "PUBLIC_LIMIT_V6", "IPNetwork", "public_coverage"]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PUBLIC_LIMIT_V4 = 8
"""--allow-client may cover at most a /8's worth (2**24) of public IPv4 addresses without --allow-any-client."""
PUBLIC_LIMIT_V6 = 32
"""... and at most a /32's worth (2**96) of global unicast IPv6 (2000::/3) addresses."""

_NOT_PUBLIC_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8 10.0.0.0/8 100.64.0.0/10 127.0.0.0/8 169.254.0.0/16 172.16.0.0/12 192.0.0.0/24 "
        "192.0.2.0/24 192.168.0.0/16 198.18.0.0/15 198.51.100.0/24 203.0.113.0/24 224.0.0.0/4 240.0.0.0/4"
    ).split()
)
"""IANA special-purpose IPv4 ranges (RFC 6890 and its updates): disjoint, none of them public."""
_GLOBAL_V6 = ipaddress.IPv6Network("2000::/3")


def public_coverage(nets: Sequence[IPNetwork]) -> str:
    """How much public address space ``nets`` cover, said in words, when it is over the limit; else ``""``.

    Public IPv4 is every address outside the special-purpose ranges (private, shared, loopback, link-local,
    documentation, multicast, reserved); public IPv6 is global unicast, 2000::/3. Overlapping networks count
    once. The limits are a /8's worth of IPv4 and a /32's worth of IPv6.

    >>> public_coverage([ipaddress.ip_network("0.0.0.0/1"), ipaddress.ip_network("128.0.0.0/1")])
    '3702258688 public IPv4 addresses'
    >>> public_coverage([ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("198.51.100.0/24")])
    ''
    """
    v4 = list(ipaddress.collapse_addresses(n for n in nets if isinstance(n, ipaddress.IPv4Network)))
    v6 = list(ipaddress.collapse_addresses(n for n in nets if isinstance(n, ipaddress.IPv6Network)))
    public4 = sum(_overlap_excluding(n, _NOT_PUBLIC_V4) for n in v4)
    public6 = sum(_overlap(n, _GLOBAL_V6) for n in v6)
    if public4 > 2 ** (32 - PUBLIC_LIMIT_V4):
        return f"{public4} public IPv4 addresses"
    if public6 > 2 ** (128 - PUBLIC_LIMIT_V6):
        return f"2**{public6.bit_length() - 1} or more global IPv6 addresses"
    return ""


def _overlap(a: IPNetwork, b: IPNetwork) -> int:
    if a.version != b.version or not a.overlaps(b):
        return 0
    return min(a.num_addresses, b.num_addresses)  # two CIDR blocks overlap only when one contains the other


def _overlap_excluding(net: IPNetwork, excluded: Sequence[IPNetwork]) -> int:
    return net.num_addresses - sum(_overlap(net, x) for x in excluded)
