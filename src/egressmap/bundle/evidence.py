"""Artefacts from evidence: the download-like URLs a policy's entries (or a ``scan --json`` report) were seen at.

A policy keeps no URLs, only where each entry was seen (``sources``: ``file:line``, the first line per input).
Those lines are read again, when the input is at hand (the path as written, or beside the policy), and the
URLs on them that name the entry's host are judged as ``build`` judged them (:mod:`egressmap.sources.urls`):
only a ``referenced`` (download) URL that :func:`.downloads.is_download_like` is carried. A ``scan --json``
report keeps up to three sample URLs per destination and needs no re-reading.

Not carried, and said so in the manifest's notes: documentation and predicted entries (no download was seen),
entries every request to which failed (``--include-failed`` carries them: in an isolated network a failure may
only mean the network blocked it), and sources that cannot be read here.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..aggregate import split_source
from ..model import Entry, Policy, entry_covers
from ..sources.urls import FoundUrl, find_urls
from .downloads import bundle_path, is_download_like
from .manifest import Artefact, BundleError, Serves


@dataclass
class Found:
    """What one evidence input gave: artefacts, and notes on what was left out."""

    artefacts: list[Artefact] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    """Entries (or destinations, or config settings) that gave download URLs."""


def from_policy(policy: Policy, origin: str, *, include_failed: bool = False) -> Found:
    """Artefacts for the policy's download URLs, read again from the entries' sources."""
    found = Found()
    base = Path(origin).parent
    unreadable: set[str] = set()
    for entry in policy.entries:
        if entry.tier not in ("observed", "referenced"):
            continue
        urls: set[str] = set()
        for source in entry.sources:
            name, lineno, _ = split_source(source)
            line = _read_line(name, lineno, base)
            if line is None:
                unreadable.add(name)
                continue
            urls.update(u.url for u in _urls(line) if entry_covers(entry.pattern, entry.match, u.host))
        if urls and _kept(entry.pattern, _failed(entry), include_failed, found):
            _add(found, entry.pattern, urls, f"seen at {', '.join(entry.sources)}")
    found.notes += [
        f"{origin}: evidence {name} cannot be read here: its entries' download URLs are not known "
        "(run bundle plan where the logs are, or give it the 'scan --json' report)"
        for name in sorted(unreadable)
    ]
    return found


def from_scan_report(data: dict[str, Any], origin: str, *, include_failed: bool = False) -> Found:
    """Artefacts for the sample URLs of a ``scan --json`` report's download destinations."""
    found = Found()
    rows = data.get("destinations")
    if not isinstance(rows, list):
        raise BundleError(f"{origin}: a scan report has a 'destinations' list")
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or not isinstance(row.get("host"), str):
            raise BundleError(f"{origin}: destination {n} is not a scan row (host, tier, urls)")
        if row.get("tier") not in ("observed", "referenced"):
            continue
        failed = _int(row.get("failed")) >= max(_int(row.get("count")), 1) and not _int(row.get("allowed"))
        urls = {u for u in row.get("urls") or () if isinstance(u, str) and is_download_like(u)}
        if urls and _kept(row["host"], failed, include_failed, found):
            _add(found, row["host"], urls, f"seen at {', '.join(str(s) for s in row.get('sources') or ())}")
    return found


def config_urls(urls: Iterable[tuple[str, str]]) -> Found:
    """Artefacts for download-like http(s) URLs a cluster config names (``(url, file:line)`` pairs)."""
    found = Found()
    for url, where in urls:
        if is_download_like(url):
            _add(found, _host(url), {url}, f"named by the config at {where}")
    return found


def _kept(host: str, failed: bool, include_failed: bool, found: Found) -> bool:
    if failed and not include_failed:
        found.notes.append(
            f"not carried: every request to {host} failed in the evidence (a URL that no longer exists, or a "
            "blocked network: --include-failed carries it)"
        )
        return False
    return True


def _failed(entry: Entry) -> bool:
    return entry.count > 0 and entry.failed >= entry.count and not entry.allowed


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _urls(line: str) -> Iterator[FoundUrl]:
    for u in find_urls(line):
        if isinstance(u, FoundUrl) and u.tier == "referenced" and is_download_like(u.url):
            yield u


def _add(found: Found, entry: str, urls: Iterable[str], why: str) -> None:
    found.entries += 1
    for url in sorted(urls):
        try:
            path = bundle_path(url)
        except BundleError as exc:
            found.notes.append(f"not carried: {exc}")
            continue
        found.artefacts.append(Artefact(path=path, url=url, serves=(Serves(entry),), note=why[:300]))


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").lower()


def _read_line(name: str, lineno: int, base: Path) -> str | None:
    """Line ``lineno`` of a local evidence file (gzip too), or None when it is not at hand."""
    if lineno < 1 or "://" in name:
        return None
    for path in (Path(name), base / name):
        if path.is_file():
            break
    else:
        return None
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if n == lineno:
                    return str(line)
    except (OSError, EOFError):
        return None
    return None
