"""One validation for everything that allows a destination: ``build``, every export, ``proxy --enforce``, ``verify``.

Some destinations must never be allowed, whatever a (possibly hand-edited) policy says:

- a wildcard over a public suffix (``*.com``, ``*.co.uk``) or a top-level label: every domain registered under it;
- loopback (``127.0.0.0/8``, ``::1``, ``localhost`` and names under ``.localhost``): the proxy or firewall host
  itself;
- link-local addresses, the instance metadata service among them (IPv4 ``169.254.169.254``, and the EC2 IPv6
  addresses ``fd00:ec2::254``, ``fd00:ec2::253`` and ``fd00:ec2::123``, which sit in unique-local space but
  are the instance's own metadata, DNS and time services) and the metadata names
  (``metadata.google.internal``, ``instance-data.ec2.internal``): on a cloud host a proxy that forwards there
  hands every client the host's credentials;
- unspecified (``0.0.0.0``, ``::``, ``0.0.0.0/8``), multicast and reserved addresses; IPv4-mapped and NAT64
  (``64:ff9b::/96``) forms of any of these.

Private-range addresses (RFC 1918, unique-local, CGNAT) stay allowed: cluster nodes reach their own servers.

>>> host_refusal("169.254.169.254")
'link-local address (instance metadata)'
>>> host_refusal("10.0.0.5") is None, host_refusal("pypi.org") is None
(True, True)
>>> refusal("*.co.uk", "subdomains")
"refused entry '*.co.uk': a wildcard over the public suffix co.uk allows every domain registered under it"
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .model import Entry, Match

__all__ = ["LOCAL_NAMES", "entry_refusal", "host_refusal", "refusal", "wildcard_refusal"]

#: Names that always mean "this machine" or an instance metadata service.
LOCAL_NAMES: dict[str, str] = {
    "localhost": "localhost",
    "localhost.localdomain": "localhost",
    "ip6-localhost": "localhost",
    "ip6-loopback": "localhost",
    "metadata.google.internal": "instance metadata name",
    "metadata.goog": "instance metadata name",
    "instance-data": "instance metadata name",
    "instance-data.ec2.internal": "instance metadata name",
}

# The EC2 instance services on IPv6: metadata, DNS resolver, time. Unique-local space, but only ever the
# instance's own link (AWS EC2 user guide, "Link-local addresses").
_EC2_V6 = {
    ipaddress.IPv6Address("fd00:ec2::254"): "instance metadata",
    ipaddress.IPv6Address("fd00:ec2::253"): "the instance's DNS resolver",
    ipaddress.IPv6Address("fd00:ec2::123"): "the instance's time service",
}
_IMDS_V4 = ipaddress.IPv4Address("169.254.169.254")
_THIS_NETWORK = ipaddress.IPv4Network("0.0.0.0/8")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@lru_cache(maxsize=65536)
def host_refusal(host: str) -> str | None:
    """Why a normalised host name or IP literal must never be allowed, else None (the reason only).

    >>> host_refusal("127.0.0.2"), host_refusal("fd00:ec2::254"), host_refusal("::ffff:127.0.0.1")
    ('loopback address', 'link-local address (instance metadata)', 'IPv4-mapped loopback address')
    >>> host_refusal("fd12:3456::1") is None, host_refusal("api.localhost")
    (True, 'localhost')
    """
    local = LOCAL_NAMES.get(host)
    if local is not None:
        return local
    if host.endswith(".localhost"):
        return "localhost"
    if ":" not in host and not host.replace(".", "").isdigit():
        return None  # a name: only the ones above are refused
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return None
    return _address_refusal(ip)


def _address_refusal(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or (ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None)
        if embedded is not None:
            inner = _address_refusal(embedded)
            return None if inner is None else f"{'IPv4-mapped' if ip.ipv4_mapped else 'NAT64'} {inner}"
        if ip in _EC2_V6:
            return f"link-local address ({_EC2_V6[ip]})"
    if ip.is_loopback:
        return "loopback address"
    if ip.is_link_local:
        return "link-local address" + (" (instance metadata)" if ip == _IMDS_V4 else "")
    if ip.is_unspecified or (isinstance(ip, ipaddress.IPv4Address) and ip in _THIS_NETWORK):
        return "unspecified address"
    if ip.is_multicast:
        return "multicast address"
    if ip.is_reserved:
        return "reserved address"
    return None


def wildcard_refusal(suffix: str, match: Match = "subdomains") -> str | None:
    """Why a wildcard over ``suffix`` (normalised, without ``*.``) must never be allowed, else None.

    Refused: a public suffix or a single label, a suffix under ``.localhost``, and a wildcard that reaches a
    local or metadata name (``*.ec2.internal`` reaches ``instance-data.ec2.internal``).

    >>> wildcard_refusal("com")
    'a wildcard over the public suffix com allows every domain registered under it'
    >>> wildcard_refusal("archive.ubuntu.com") is None
    True
    """
    from .classify import psl  # the suffix list is loaded only when a wildcard is checked

    if "." not in suffix or psl.is_public_suffix(suffix):
        return f"a wildcard over the public suffix {suffix} allows every domain registered under it"
    if suffix == "localhost" or suffix.endswith(".localhost"):
        return "a wildcard over localhost names"
    for name, why in LOCAL_NAMES.items():
        if _reaches(suffix, match, name):
            return f"a wildcard that reaches {name} ({why})"
    return None


def _reaches(suffix: str, match: Match, host: str) -> bool:
    if host == suffix:
        return match == "apex-and-subdomains"
    if not host.endswith("." + suffix):
        return False
    return match != "one-label" or "." not in host[: -len(suffix) - 1]


def refusal(pattern: str, match: Match = "exact", hosts: Iterable[str] = ()) -> str | None:
    """A message naming the entry when ``pattern`` (or one of its ``hosts``) must never be allowed, else None.

    ``pattern`` is a normalised host, IP literal, ``{region}`` template or ``*.suffix``; ``match`` its kind.
    This is the call for anything that turns a destination into an allow: exports, ``proxy --enforce``,
    ``verify`` and ``build``.

    >>> refusal("127.0.0.1")
    "refused entry '127.0.0.1': loopback address; it is never allowed"
    >>> refusal("pypi.org", hosts=["pypi.org", "0.0.0.0"])
    "refused entry 'pypi.org': host '0.0.0.0' is an unspecified address; it is never allowed"
    """
    if pattern.startswith("*."):
        why = wildcard_refusal(pattern[2:], "subdomains" if match == "exact" else match)
        if why is not None:
            return f"refused entry {pattern!r}: {why}"
    else:
        why = host_refusal(pattern)
        if why is not None:
            return f"refused entry {pattern!r}: {why}; it is never allowed"
    for host in hosts:
        why = host_refusal(host) if host != pattern else None
        if why is not None:
            return f"refused entry {pattern!r}: host {host!r} is {_article(why)}; it is never allowed"
    return None


def entry_refusal(entry: Entry) -> str | None:
    """:func:`refusal` for a policy entry: its pattern, match kind and every host it names."""
    return refusal(entry.pattern, entry.match, entry.hosts)


def _article(reason: str) -> str:
    if reason in ("localhost",):
        return "localhost"
    return ("an " if reason[:1] in "aeiouIAEIOU" else "a ") + reason
