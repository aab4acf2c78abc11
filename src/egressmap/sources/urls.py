"""Find URLs in free text, strip credentials, and decide whether each is a download or only documentation.

>>> [(u.host, u.port, u.tier) for u in find_urls("Get:1 http://security.ubuntu.com/ubuntu focal InRelease")]
[('security.ubuntu.com', 80, 'referenced')]
>>> [(u.host, u.tier, u.reason) for u in find_urls("see https://docs.chef.io/deprecations_unified_mode/.")]
[('docs.chef.io', 'documentation', "documentation host 'docs.'")]
>>> [u.url for u in find_urls('url="https://user:s3cret@repo.example.com/simple/"')]
['https://repo.example.com/simple/']
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..hostnames import default_port, drop_reason, normalize_host, placeholder_reason, split_host_port
from ..model import Tier
from .text_prefix import content_start

# A scheme, then everything up to a character that never appears unescaped in a URL inside a log line.
_URL = re.compile(
    r"(?<![\w.-])(?P<scheme>https?|ftps?|git|rsync|wss?)://(?P<rest>[^\s\"'<>`|\\^]+)", re.IGNORECASE
)
_TRAILING = ".,;:!?'\""
_PAIRS = {")": "(", "]": "[", "}": "{"}

_VERBS = re.compile(
    r"\b(Get:\d*|Hit:\d*|Ign:\d*|Err:\d*|Downloading|Downloaded|Fetching|Retrieving|Collecting|Obtaining|"
    r"remote_file|remote_object|curl|wget|git clone|Cloning into|Installing from|Looking in indexes|"
    r"metalink=|mirrorlist=|baseurl=|gpgkey=|Saving to|Resolving|Connecting to)(?![\w-])",
    re.IGNORECASE,
)
_DOWNLOAD_EXT = re.compile(
    r"\.(tar\.gz|tar\.xz|tar\.bz2|tar\.zst|tgz|txz|tbz2|tar|gz|xz|bz2|zst|zip|7z|deb|rpm|run|sh|whl|egg|gem|"
    r"jar|war|msi|exe|bin|iso|img|qcow2|apk|snap|dmg|pkg|asc|gpg|key|pub|sig|sha256|sha512|md5|repo|git|"
    r"crate|nupkg|tgz\.sha256|json|xml)$",
    re.IGNORECASE,
)
_REPO_PATH = re.compile(
    r"(/repodata/|/dists/|/metalink|/mirrorlist|/releases/download/|/archive/|/archives\b|/pub/|/packages/|"
    r"/simple/|/ubuntu/?$|/ubuntu-ports|/debian/?$|/dependencies/|/el/\d|/epel/|/ftp/|/download/|/get/|"
    r"GPG-KEY|InRelease$|Packages(\.gz|\.xz)?$|repomd\.xml$)",
    re.IGNORECASE,
)
_DOC_LABELS = frozenset(
    {
        "docs",
        "doc",
        "wiki",
        "help",
        "bugs",
        "bugzilla",
        "kb",
        "support",
        "learn",
        "manpages",
        "forum",
        "forums",
        "community",
        "blog",
        "discourse",
        "answers",
    }
)
_DOC_PATH = re.compile(
    r"(/docs?/|/wiki/|/issues?\b|/pulls?/|/bugs?/|/\+bug/|/help\b|/legal\b|/terms\b|/privacy|/patents?\b|"
    r"/licen[cs]e|/blob/|/tree/|/commit/|/discussions/|/manual/|/guides?/|/userguide/|/faq|/knowledge|/kb/|"
    r"\.html?$|\.php$|\.aspx?$|\.md$|\.pdf$|\.txt$)",
    re.IGNORECASE,
)
_MESSAGE_WORDS = re.compile(
    r"\b(see|refer to|for more (information|details)|more info|please report|report (bugs|issues)|visit|"
    r"documentation|deprecat\w*|warning)\b",
    re.IGNORECASE,
)
_COMMENT = re.compile(r"(?:^|\s)(#|//|;|--|REM)(?:\s|$)")
_MARKERS = re.compile(r"#|(?<!:)//|;|--|REM")


@dataclass(frozen=True, slots=True)
class FoundUrl:
    """A URL found in a line, already judged."""

    host: str
    port: int
    scheme: str
    url: str
    tier: Tier
    reason: str


@dataclass(frozen=True, slots=True)
class Rejected:
    """Something that looked like a URL but names no usable host."""

    token: str
    reason: str
    kind: str  # "dropped" (placeholder, localhost...) or "malformed" (hostile or broken host)


def _trim(rest: str) -> str:
    while rest:
        last = rest[-1]
        if last in _TRAILING:
            rest = rest[:-1]
        elif last in _PAIRS and rest.count(_PAIRS[last]) < rest.count(last):
            rest = rest[:-1]
        else:
            break
    return rest


def find_urls(line: str) -> Iterator[FoundUrl | Rejected]:
    """Yield every URL in ``line``, judged, or why it was rejected."""
    body = -1
    for match in _URL.finditer(line):
        if body < 0:
            # Only a line with a comment marker needs its prefix measured (see judge_tier).
            body = min(content_start(line), match.start()) if _MARKERS.search(line) else 0
        scheme = match.group("scheme").lower()
        rest = _trim(match.group("rest"))
        yield _judge(line, match.start(), scheme, rest, body)


def _judge(line: str, start: int, scheme: str, rest: str, body: int = 0) -> FoundUrl | Rejected:
    cut = len(rest)
    for sep in "/?#":
        pos = rest.find(sep)
        if 0 <= pos < cut:
            cut = pos
    authority, path = rest[:cut], rest[cut:]
    if "@" in authority:
        authority = authority.rsplit("@", 1)[1]  # credentials are dropped here and never kept
    shown = f"{scheme}://{authority}"
    why = placeholder_reason(authority)
    if why:
        return Rejected(_safe(shown), why, "dropped")
    try:
        raw_host, port = split_host_port(authority, default_port(scheme))
        host = normalize_host(raw_host)
    except ValueError as exc:
        return Rejected(_safe(shown), str(exc), "malformed")
    why = drop_reason(host)
    if why:
        return Rejected(host, why, "dropped")
    clean_path = re.split(r"[?#]", path, maxsplit=1)[0]
    host_part = f"[{host}]" if ":" in host else host
    url = (
        f"{scheme}://{host_part}{'' if port == default_port(scheme) else f':{port}'}{_safe(clean_path)[:200]}"
    )
    tier, reason = judge_tier(line, start, host, path, body)
    return FoundUrl(host, port, scheme, url, tier, reason)


def _safe(text: str) -> str:
    if text.isprintable():
        return text[:200]
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:200]


def judge_tier(line: str, start: int, host: str, path: str, body: int = 0) -> tuple[Tier, str]:
    """Decide whether a URL at ``line[start:]`` is a download (``referenced``) or only ``documentation``.

    ``body`` is where the line's content starts after the log's own prefix (see :mod:`.text_prefix`): a
    comment is content that starts with ``#`` or ``//``, or a comment marker before the URL in the content.
    BuildKit's ``#6 0.858`` and an awslogs group are prefixes, not comments.

    >>> judge_tier("#6 0.858 https://mirror.example.com/repodata/repomd.xml", 9, "mirror.example.com",
    ...            "/repodata/repomd.xml", 9)[0]
    'referenced'
    """
    before = line[:start]
    if _COMMENT.search(line, body, start) or line[body:].lstrip().startswith(("#", "//")):
        return "documentation", "URL in a comment line"
    verb = _VERBS.search(before)
    if verb:
        return "referenced", f"download verb {verb.group(1)!r} on the line"
    path_only = re.split(r"[?#]", path, maxsplit=1)[0]
    ext = _DOWNLOAD_EXT.search(path_only)
    if ext and not _DOC_PATH.search(path_only):
        return "referenced", f"download-like path (.{ext.group(1).lower()})"
    label = host.split(".", 1)[0]
    if label in _DOC_LABELS:
        return "documentation", f"documentation host '{label}.'"
    if ".readthedocs." in f".{host}":
        return "documentation", "documentation host (readthedocs)"
    repo = _REPO_PATH.search(path)
    if repo:
        return "referenced", f"package or archive path ({repo.group(1)})"
    doc = _DOC_PATH.search(path_only)
    if doc:
        return "documentation", f"documentation path ({doc.group(1)})"
    if path_only in ("", "/"):
        return "documentation", "bare site link (no path)"
    words = _MESSAGE_WORDS.search(before)
    if words:
        return "documentation", f"link in a message ({words.group(1).lower()!r})"
    return "referenced", "URL with a path and no documentation signal"
