"""Free-text logs (image-build, chef/cinc, cloud-init, apt/dnf/pip output, CloudWatch exports): URLs in text.

Each URL becomes a ``mention`` judged ``referenced`` or ``documentation`` (see :mod:`.urls`), unless the line
says more about it:

- a line where a tool reports that a fetch or a connection *failed* (apt ``Err:``, ``Could not resolve host``,
  ``Curl error (6)``, pip's retries...; see :mod:`.text_outcomes`) makes its target a ``connect``
  observation, tier ``observed``, outcome ``failed``: the stack tried that host, and in a locked network that
  is usually the firewall's doing (``denied`` when a proxy refused the tunnel: ``Received HTTP code 403 from
  proxy after CONNECT``);
- a line where a client names the endpoint it connects or talks to (wget's ``Connecting to``, urllib3's
  ``Starting new HTTPS connection``, cfn-init's ``client initialized with endpoint``, ``POST https://...``;
  see :mod:`.text_connect`) makes it a ``connect`` observation, tier ``observed``.

A failure line that names no host (``curl: (28) Operation timed out``, pip's ``Retrying ... : /simple/x/``)
takes it from an earlier line: the last ``curl``/``wget`` command within :data:`CONTEXT_LINES` lines, or pip's
index (``Looking in indexes:``; pip's default index otherwise). Log prefixes (BuildKit ``#6 0.858``, awslogs
group and stream, timestamps, levels) are not comments (see :mod:`.text_prefix`); the group and stream of a
CloudWatch Logs export line (``fetch cloudwatch``, ``awslogs get``) are named in its observations' source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from ..hostnames import drop_reason, normalize_host
from ..model import Observation, Outcome, Skipped
from .interface import Item, Source
from .text_connect import find_connections
from .text_hint import Hint
from .text_outcomes import find_failures
from .text_prefix import awslogs_source, is_comment
from .urls import FoundUrl, find_urls

CONTEXT_LINES = 50
"""How far back a host-less failure line may look for the command that named its host."""
_MAX_PORTS = 4096
# pip's own line, the option (--index-url, -i), pip.conf's index-url and PIP_INDEX_URL.
_PIP_INDEX = re.compile(
    r"(?:Looking in indexes:|index[-_]url\s*[=: ]|(?<!\S)-i )\s*(?P<url>https?://\S+)", re.IGNORECASE
)
_COMMAND = re.compile(r"(?:^|[\s+;&|(`$])(?:curl|wget)\s")
_PIP_DEFAULTS = (("/packages/", "files.pythonhosted.org"), ("", "pypi.org"))
_RANK: dict[Outcome, int] = {"denied": 0, "failed": 1, "allowed": 2, "unknown": 3}
"""A line's strongest word about a target wins: a proxy that refused the tunnel says more than 'it failed'."""


@dataclass
class _Context:
    """What earlier lines of the same input said: ports of hosts, the last download command, pip's index."""

    ports: dict[str, int] = field(default_factory=dict)
    command: tuple[int, FoundUrl] | None = None
    pip_index: FoundUrl | None = None

    def learn(self, line: str, lineno: int, urls: Sequence[FoundUrl]) -> None:
        """Remember what this line says for the lines after it."""
        for found in urls:
            if len(self.ports) >= _MAX_PORTS:
                del self.ports[next(iter(self.ports))]
            self.ports[found.host] = found.port
        if urls and ("curl" in line or "wget" in line) and _COMMAND.search(line):
            fetched = [u for u in urls if u.tier != "documentation"]
            if fetched:
                self.command = (lineno, fetched[-1])
        if urls and ("ndex" in line or "NDEX" in line or "-i " in line):
            match = _PIP_INDEX.search(line)
            if match:
                self.pip_index = _first_url(match.group("url"))


@dataclass
class _Target:
    """One destination a line's hints point at, and what they say about it."""

    host: str
    port: int
    scheme: str | None
    url: str | None
    outcome: Outcome
    words: dict[str, list[str]] = field(default_factory=dict)
    note: str = ""

    def add(self, hint: Hint) -> None:
        """Add a hint's words; the strongest outcome wins."""
        if _RANK[hint.outcome] < _RANK[self.outcome]:
            self.outcome = hint.outcome
        whats = self.words.setdefault(hint.tool, [])
        if hint.what not in whats:
            whats.append(hint.what)

    def reason(self) -> str:
        """The observation's reason: what the line says, by tool."""
        said = "; ".join(f"{tool}: {', '.join(whats)}" for tool, whats in self.words.items())
        head = {"failed": "failed in the log", "denied": "denied by a proxy in the log"}.get(
            self.outcome, "connection in the log"
        )
        return f"{head} ({said}){self.note}"


class FreeText(Source):
    """Any text: every URL in it, judged download or documentation; failures and connections observed."""

    name = "text"
    description = "free-text logs: image-build, chef/cinc, cloud-init, apt/dnf/pip, CloudWatch exports"

    def sniff(self, head: Sequence[str]) -> float:
        """Always a candidate, with low confidence, so a specific format wins when it fits."""
        return 0.05

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Yield observations per URL, failure or connection line, and a dropped item per placeholder URL."""
        context = _Context()
        for lineno, line in enumerate(lines, 1):
            if not (
                "://" in line
                or "onnect" in line
                or "esol" in line
                or "getaddrinfo" in line
                or "dial tcp" in line
                or "curl: (" in line
                or "Unknown host" in line
                or "bad addr" in line
            ):
                continue
            urls: list[FoundUrl] = []
            if "://" in line:
                for found in find_urls(line):
                    if isinstance(found, FoundUrl):
                        urls.append(found)
                    else:
                        yield Skipped(origin, lineno, f"{found.reason}: {found.token}", kind=found.kind)  # type: ignore[arg-type]
            where = awslogs_source(origin, lineno, line) if line[0] == "/" else f"{origin}:{lineno}"
            hints = [] if is_comment(line) else [*find_connections(line), *find_failures(line)]
            targets = _targets(hints, urls, context, lineno) if hints else {}
            if hints and not targets and not urls:
                failure = next((h for h in hints if h.outcome in ("failed", "denied")), None)
                if failure is not None:  # said with -v, counted with the other lines that name no destination
                    yield Skipped(
                        origin, lineno, f"{failure.tool} failure names no host: {failure.what}", "dropped"
                    )
            for target in targets.values():
                yield Observation(
                    host=target.host,
                    port=target.port,
                    kind="connect",
                    tier="observed",
                    reason=target.reason(),
                    source=where,
                    scheme=target.scheme,
                    outcome=target.outcome,
                    url=target.url,
                )
            for found in urls:
                if (found.host, found.port) not in targets:
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
            context.learn(line, lineno, urls)


def _targets(
    hints: Sequence[Hint], urls: Sequence[FoundUrl], context: _Context, lineno: int
) -> dict[tuple[str, int], _Target]:
    """The destinations this line's hints point at, keyed by (host, port)."""
    targets: dict[tuple[str, int], _Target] = {}
    unnamed: list[Hint] = []
    weak: list[Hint] = []
    for hint in hints:
        if hint.weak:
            weak.append(hint)
        elif not _aim(hint, urls, context, targets):
            unnamed.append(hint)
    if unnamed:
        line_urls = [u for u in urls if u.tier != "documentation"]
        for hint in unnamed:
            if line_urls:
                for found in line_urls:
                    _put(targets, found.host, found.port, found.scheme, found.url, hint)
            elif targets:  # the line named its target in other words: these add to them
                for target in targets.values():
                    target.add(hint)
            else:
                _borrow(hint, context, lineno, targets)
    if not targets:  # only an address the tool resolved: the command's host if there is one, else the address
        for hint in weak:
            if not _borrow(hint, context, lineno, targets):
                _aim(hint, urls, context, targets)
    elif weak:
        for target in targets.values():  # the resolved address adds its words to the named target
            for hint in weak:
                target.add(hint)
    return targets


def _aim(
    hint: Hint, urls: Sequence[FoundUrl], context: _Context, targets: dict[tuple[str, int], _Target]
) -> bool:
    """Point a hint that names its target (a URL or a host) at it; False when it names none."""
    if hint.url:
        found = _first_url(hint.url)
        if found is not None:
            _put(targets, found.host, found.port, found.scheme, found.url, hint)
        return True
    if hint.host:
        host = _host(hint.host)
        if host is not None:
            same = [u for u in urls if u.host == host]
            port = hint.port or (same[0].port if same else context.ports.get(host, hint.default_port))
            scheme = same[0].scheme if same else None
            _put(targets, host, port, scheme, same[0].url if same else None, hint)
        return True
    return False


def _borrow(hint: Hint, context: _Context, lineno: int, targets: dict[tuple[str, int], _Target]) -> bool:
    """A host-less failure: the host from the last download command, or pip's index (False when neither)."""
    if hint.context == "pip":
        if context.pip_index is not None:
            found = context.pip_index
            _put(targets, found.host, found.port, found.scheme, None, hint, " (host: pip's index)")
        else:
            path = hint.path or ""
            host = next(h for prefix, h in _PIP_DEFAULTS if path.startswith(prefix))
            _put(targets, host, 443, "https", None, hint, " (host: pip's default index)")
        return True
    if hint.context == "curl" and context.command is not None:
        at, found = context.command
        if lineno - at <= CONTEXT_LINES:
            note = " (host: the curl/wget command before it)"
            _put(targets, found.host, found.port, found.scheme, found.url, hint, note)
            return True
    return False


def _put(
    targets: dict[tuple[str, int], _Target],
    host: str,
    port: int,
    scheme: str | None,
    url: str | None,
    hint: Hint,
    note: str = "",
) -> None:
    target = targets.get((host, port))
    if target is None:
        target = targets[(host, port)] = _Target(host, port, scheme, url, hint.outcome, note=note)
    target.add(hint)


def _host(raw: str) -> str | None:
    try:
        host = normalize_host(raw.strip("[]") if raw.startswith("[") else raw)
    except ValueError:
        return None
    return None if drop_reason(host) else host


def _first_url(text: str) -> FoundUrl | None:
    return next((u for u in find_urls(text) if isinstance(u, FoundUrl)), None)
