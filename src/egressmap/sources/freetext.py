"""Free-text logs (image-build, chef/cinc, cloud-init, apt/dnf/pip output, CloudWatch exports): URLs in text.

Each URL becomes a ``mention`` judged ``referenced`` or ``documentation`` (see :mod:`.urls`). Lines where a
downloader reports a connection (wget's ``Connecting to host (host)|ip|:port... connected.``, curl's
``Connected to host (ip) port N``) are ``connect`` observations: the log shows the connection happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence

from ..hostnames import drop_reason, normalize_host
from ..model import Observation, Outcome, Skipped
from .interface import Item, Source
from .urls import FoundUrl, find_urls

_WGET = re.compile(
    r"Connecting to (?P<host>[^\s|()]+)(?: \([^)]*\))?\|[^|]*\|:(?P<port>\d+)\.\.\. ?(?P<result>\S*)"
)
_CURL = re.compile(r"Connected to (?P<host>[^\s()]+) \([^)]*\) port (?P<port>\d+)")


class FreeText(Source):
    """Any text: every URL in it, judged download or documentation."""

    name = "text"
    description = "free-text logs: image-build, chef/cinc, cloud-init, apt/dnf/pip, CloudWatch exports"

    def sniff(self, head: Sequence[str]) -> float:
        """Always a candidate, with low confidence, so a specific format wins when it fits."""
        return 0.05

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Yield one observation per URL (or connection line) and a dropped item per placeholder/local URL."""
        for lineno, line in enumerate(lines, 1):
            if "://" not in line and "onnect" not in line:
                continue
            where = f"{origin}:{lineno}"
            if "onnect" in line:
                conn = self._connection(line, where)
                if conn is not None:
                    yield conn
            if "://" not in line:
                continue
            for found in find_urls(line):
                if isinstance(found, FoundUrl):
                    yield Observation(
                        host=found.host,
                        port=found.port,
                        kind="mention",
                        tier=found.tier,
                        reason=found.reason,
                        source=where,
                        scheme=found.scheme,
                        url=found.url,
                    )
                else:
                    yield Skipped(origin, lineno, f"{found.reason}: {found.token}", kind=found.kind)  # type: ignore[arg-type]

    @staticmethod
    def _connection(line: str, where: str) -> Observation | Skipped | None:
        match = _WGET.search(line) or _CURL.search(line)
        if match is None:
            return None
        try:
            host = normalize_host(match.group("host"))
        except ValueError:
            return None
        if drop_reason(host):
            return None
        result = match.groupdict().get("result") or "connected."
        outcome: Outcome = "allowed" if result.startswith("connected") else "failed"
        tool = "wget" if match.re is _WGET else "curl"
        return Observation(
            host=host,
            port=int(match.group("port")),
            kind="connect",
            tier="observed",
            reason=f"{tool} connection in log",
            source=where,
            outcome=outcome,
        )
