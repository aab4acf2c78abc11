"""Plain lists: one host, ``host:port`` or URL per line; ``#`` comments and section headers are ignored.

This is how a previous allowlist (egressmap's own ``list`` export included) is read back. Its wildcard lines
are kept as wildcards: ``*.x.com[:port]`` (every name below ``x.com``, at any depth) and Squid's ``.x.com``
(``x.com`` and every name below it). Such an observation's host is the line's own ``*.x.com`` or ``.x.com``
(see :func:`egressmap.generalize.listed_wildcard`); a wildcard over a public suffix is refused as a bad line.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal

from ..hostnames import drop_reason, is_ip, normalize_host, placeholder_reason, split_host_port
from ..model import Match, Observation, Skipped
from ..validation import wildcard_refusal
from .interface import Item, Source, match_ratio
from .urls import FoundUrl, find_urls

_TOKEN = re.compile(r"^\s*(\S+)\s*(?:#.*)?$")
_HOSTLIKE = re.compile(
    r"^(\*\.)?[\w.-]+\.[a-z][\w-]*\.?(:\d{1,5})?$|^\[?[0-9a-f:.]+\]?(:\d{1,5})?$", re.IGNORECASE
)


def _is_list_line(line: str) -> bool:
    match = _TOKEN.match(line)
    if not match:
        return False
    token = match.group(1)
    return "://" in token or bool(_HOSTLIKE.match(token))


class PlainList(Source):
    """One destination per line."""

    name = "list"
    description = "plain lists: one host, host:port or URL per line (a previous allowlist)"

    def sniff(self, head: Sequence[str]) -> float:
        """Most lines are a single host-like token."""
        ratio = match_ratio(head, _is_list_line)
        return ratio * 0.9 if ratio > 0 else -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Yield one observation per listed destination."""
        for lineno, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
            if not text:
                continue
            if " " in text or "\t" in text:
                yield Skipped(origin, lineno, "more than one token on a list line")
                continue
            yield self._entry(text, origin, lineno)
            doubt = _port_like_ipv6(text)
            if doubt:
                yield Skipped(origin, lineno, doubt, kind="warning")

    @staticmethod
    def _entry(token: str, origin: str, lineno: int) -> Item:
        where = f"{origin}:{lineno}"
        if "://" in token:
            for found in find_urls(token):
                if isinstance(found, FoundUrl):
                    return Observation(
                        host=found.host,
                        port=found.port,
                        kind="mention",
                        tier=found.tier,
                        reason=f"listed URL: {found.reason}",
                        source=where,
                        scheme=found.scheme,
                        url=found.url,
                    )
                return Skipped(origin, lineno, f"{found.reason}: {found.token}", kind=found.kind)  # type: ignore[arg-type]
            return Skipped(origin, lineno, "not a URL, host or host:port")
        if token.startswith(("*", ".")):
            return _wildcard(token, origin, lineno)
        why = placeholder_reason(token)
        if why:
            return Skipped(origin, lineno, f"{why}: {token[:80]}", kind="dropped")
        try:
            raw, port = split_host_port(token, 443)
            host = normalize_host(raw)
        except ValueError as exc:
            return Skipped(origin, lineno, f"{exc}: {token[:80]!r}")
        why = drop_reason(host)
        if why:
            return Skipped(origin, lineno, f"{why}: {host}", kind="dropped")
        return Observation(
            host=host,
            port=port,
            kind="mention",
            tier="referenced",
            reason=f"listed in {origin}",
            source=where,
        )


def _port_like_ipv6(token: str) -> str | None:
    """A warning for a bare IPv6 line whose last group may be a port (``2001:db8::10:443``), else None.

    Such a line is one address (read on port 443); lists from before ``[addr]:port`` may have meant a port.

    >>> _port_like_ipv6("2001:db8::10:443")
    "'2001:db8::10:443' is read as one IPv6 address on port 443; if ':443' is a port, write [2001:db8::10]:443"
    >>> _port_like_ipv6("[2001:db8::10]:443") is None, _port_like_ipv6("2001:db8::1") is None
    (True, True)
    """
    if token.startswith("[") or token.count(":") < 3 or "::" not in token:
        return None
    head, _, last = token.rpartition(":")
    if not (last.isdigit() and 2 <= len(last) <= 5 and 0 < int(last) < 65536) or head.endswith(":"):
        return None
    try:
        ipaddress.IPv6Address(head)
        ipaddress.IPv6Address(token)
    except ValueError:
        return None
    return f"{token!r} is read as one IPv6 address on port 443; if ':{last}' is a port, write [{head}]:{last}"


class WildcardError(ValueError):
    """A list line that cannot be a wildcard; ``kind`` says whether it is bad or deliberately dropped."""

    def __init__(self, reason: str, kind: Literal["malformed", "dropped"] = "malformed") -> None:
        super().__init__(reason)
        self.kind: Literal["malformed", "dropped"] = kind


def read_wildcard(token: str) -> tuple[str, int, Match]:
    """``*.x.com[:port]`` -> (``x.com``, port, ``subdomains``); Squid's ``.x.com`` -> ``apex-and-subdomains``.

    The port defaults to 443, as for a host. Raise :class:`WildcardError` for anything else, for a wildcard
    over a public suffix or an IP address, and (kind ``dropped``) over a placeholder or a local name.

    >>> read_wildcard("*.archive.ubuntu.com:80"), read_wildcard(".X.com")
    (('archive.ubuntu.com', 80, 'subdomains'), ('x.com', 443, 'apex-and-subdomains'))
    """
    squid = token.startswith(".")
    rest = token[1:] if squid else token[2:]
    if not squid and not token.startswith("*.") or not rest or "*" in rest or rest.startswith("."):
        raise WildcardError(f"only a leading '*.' or '.' wildcard can be read: {token[:80]!r}")
    why = placeholder_reason(rest)
    if why:
        raise WildcardError(f"{why}: {token[:80]}", "dropped")
    try:
        raw, port = split_host_port(rest, 443)
        suffix = normalize_host(raw)
    except ValueError as exc:
        raise WildcardError(f"{exc}: {token[:80]!r}") from None
    if is_ip(suffix):
        raise WildcardError(f"a wildcard over an IP address: {token[:80]!r}")
    from ..classify import psl  # only lists with wildcards need the suffix list

    if psl.is_public_suffix(suffix):
        raise WildcardError(
            f"wildcard {token[:80]!r} refused: {suffix} is a public suffix, "
            "so it would allow every domain registered under it"
        )
    why = drop_reason(suffix) or wildcard_refusal(suffix, "apex-and-subdomains" if squid else "subdomains")
    if why:
        raise WildcardError(f"{why}: {token[:80]}", "dropped")
    return suffix, port, "apex-and-subdomains" if squid else "subdomains"


def _wildcard(token: str, origin: str, lineno: int) -> Item:
    """A wildcard line as an observation whose host is ``*.x.com`` or ``.x.com``, or why it cannot be one."""
    try:
        suffix, port, match = read_wildcard(token)
    except WildcardError as exc:
        return Skipped(origin, lineno, str(exc), kind=exc.kind)
    return Observation(
        host=("*." if match == "subdomains" else ".") + suffix,
        port=port,
        kind="mention",
        tier="referenced",
        reason=f"listed in {origin} as a wildcard",
        source=f"{origin}:{lineno}",
    )
