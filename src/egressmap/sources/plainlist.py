"""Plain lists: one host, ``host:port`` or URL per line; ``#`` comments and section headers are ignored.

This is how a previous allowlist (egressmap's own ``list`` export included) is read back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from ..hostnames import drop_reason, normalize_host, placeholder_reason, split_host_port
from ..model import Observation, Skipped
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
        if token.startswith("*."):
            return Skipped(
                origin,
                lineno,
                f"wildcard {token[:80]!r} is not a host; re-create it with --wildcard",
                kind="dropped",
            )
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
