"""What the catalog knows that helps probing: a concrete name under a wildcard, and each name's protocol.

A ``*.suffix`` entry cannot be connected to; it is probed through one real name under it: ``--sample``
first, then a name the policy saw, then a name any bundled catalog lists under that suffix, then (for
apex-and-subdomains) the suffix itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from ..catalog import bundled
from ..hostnames import normalize_host
from ..model import REGION_TOKEN, Match, entry_covers
from .interface import Protocol

__all__ = ["catalog_protocols", "parse_protocols", "parse_samples", "protocol_for", "representative"]

_BY_PORT: dict[int, Protocol] = {443: "https", 8443: "https", 9443: "https", 80: "http", 8080: "http"}


@lru_cache(maxsize=8)
def catalog_protocols(regions: tuple[str, ...]) -> Mapping[tuple[str, int], Protocol]:
    """(name, port) -> protocol for every concrete name of every bundled catalog (templates expanded)."""
    out: dict[tuple[str, int], Protocol] = {}
    for cat in bundled().values():
        for entry in cat.entries:
            kind: Protocol = (
                "https" if entry.protocol == "https" else "http" if entry.protocol == "http" else "tcp"
            )
            for raw in entry.hosts:
                names = [raw.replace(REGION_TOKEN, r) for r in regions] if REGION_TOKEN in raw else [raw]
                for name in names:
                    if not name.startswith("*.") and REGION_TOKEN not in name:
                        for port in entry.ports:
                            out.setdefault((name, port), kind)
    return out


@lru_cache(maxsize=8)
def _catalog_names(regions: tuple[str, ...]) -> tuple[str, ...]:
    """Every concrete catalog name, shortest first (the most general sample under a wildcard)."""
    return tuple(sorted({h for h, _ in catalog_protocols(regions)}, key=lambda h: (len(h), h)))


def protocol_for(host: str, port: int, regions: Sequence[str] = ()) -> Protocol:
    """How far to probe: the catalog's protocol for this name and port, else one guessed from the port.

    >>> protocol_for("pypi.org", 443), protocol_for("deb.example.org", 80), protocol_for("10.0.0.4", 5672)
    ('https', 'http', 'tcp')
    """
    return catalog_protocols(tuple(regions)).get((host, port)) or _BY_PORT.get(port, "tcp")


def parse_protocols(values: Iterable[str]) -> dict[int, Protocol]:
    """``--protocol PORT=https|http|tcp`` values -> {port: protocol}; raise ValueError when bad.

    >>> parse_protocols(["9443=tcp", "8000=http"])
    {9443: 'tcp', 8000: 'http'}
    """
    out: dict[int, Protocol] = {}
    for value in values:
        port, _, kind = value.partition("=")
        if not port.isdigit() or not 0 < int(port) < 65536 or kind not in ("https", "http", "tcp"):
            raise ValueError(f"--protocol {value[:40]!r}: expected PORT=https, PORT=http or PORT=tcp")
        out[int(port)] = kind  # type: ignore[assignment]
    return out


def parse_samples(values: Iterable[str]) -> list[tuple[str | None, str]]:
    """``--sample [PATTERN=]HOST`` values -> (pattern or None, canonical host); raise ValueError when bad.

    >>> parse_samples(["*.blob.core.windows.net=Locker.blob.core.windows.net", "a.cdn.example"])
    [('*.blob.core.windows.net', 'locker.blob.core.windows.net'), (None, 'a.cdn.example')]
    """
    out: list[tuple[str | None, str]] = []
    for value in values:
        pattern, sep, host = value.rpartition("=")
        try:
            name = normalize_host(host)
        except ValueError as exc:
            raise ValueError(f"--sample {value[:80]!r}: {exc}") from None
        if sep and not pattern.startswith("*."):
            raise ValueError(f"--sample {value[:80]!r}: the pattern must start with '*.'")
        out.append((pattern.lower() if sep else None, name))
    return out


def representative(
    pattern: str,
    match: Match,
    seen: Sequence[str],
    samples: Sequence[tuple[str | None, str]],
    regions: Sequence[str] = (),
) -> tuple[str, str] | None:
    """(a name to probe for this wildcard entry, where it came from), or None when there is none."""
    for wanted, host in samples:
        if (wanted is None or wanted == pattern) and entry_covers(pattern, match, host):
            return host, "sample from --sample"
    for host in sorted(seen, key=lambda h: (len(h), h)):
        if entry_covers(pattern, match, host):
            return host, "sample the policy saw"
    for host in _catalog_names(tuple(regions)):
        if entry_covers(pattern, match, host):
            return host, "sample from the catalog"
    if match == "apex-and-subdomains":
        return pattern[2:], "the apex of the wildcard"
    return None
