"""One file into the bundle: fetched to ``PATH.part`` (resumed with an HTTP Range), checked, then renamed.

A server that ignores the Range (200 instead of 206) or refuses it (416) restarts the file cleanly. A 0-byte
body, an HTML page where a file was expected (``Content-Type: text/html`` or a body that starts like HTML,
unless the URL is an ``.html`` page), a size or sha256 that differs from what was published are refused: the
``.part`` is removed, nothing is renamed, and the message names the URL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .files import CHUNK, PART, disk_error, looks_like_html, sha256_file
from .manifest import Checked, LockedFile
from .net import BROKEN, Client, FetchError, done, status_message

_CONTENT_RANGE_START = "bytes "


class Observer(Protocol):
    """Progress of downloads (the CLI draws a bar; the library never prints)."""

    def planned(self, files: int, size: int | None) -> None:
        """How many files will be fetched and their total size (None when some sizes are unknown)."""

    def started(self, path: str, size: int | None, done: int) -> None:
        """A file's transfer started (or resumed with ``done`` bytes already there)."""

    def advanced(self, path: str, size: int) -> None:
        """``size`` more bytes of ``path`` arrived."""

    def finished(self, path: str) -> None:
        """``path`` is done (fetched or refused)."""

    def kept(self, path: str, size: int) -> None:
        """``path`` was already in the bundle, checked, and is kept without a download."""


class Quiet:
    """An observer that shows nothing."""

    def planned(self, files: int, size: int | None) -> None:
        """Nothing."""

    def started(self, path: str, size: int | None, done: int) -> None:
        """Nothing."""

    def advanced(self, path: str, size: int) -> None:
        """Nothing."""

    def finished(self, path: str) -> None:
        """Nothing."""

    def kept(self, path: str, size: int) -> None:
        """Nothing."""


@dataclass(frozen=True)
class Job:
    """One file to fetch: its bundle path, canonical URL (for the lock), source URL and expected checksums."""

    path: str
    url: str
    source: str
    artefact: str
    size: int | None = None
    sha256: str | None = None
    checked: Checked = "recorded"
    against: str = ""
    """Where the expected sha256 came from, for messages (a checksum URL, "the manifest", ...)."""


def fetch_file(
    client: Client,
    job: Job,
    root: Path,
    observer: Observer,
    retries: int,
    stop: threading.Event,
    prior: LockedFile | None = None,
) -> LockedFile:
    """Fetch and check one file, or keep the one already there; its lock entry.

    ``prior`` is the file's entry in the bundle's previous lock (for the same manifest). FetchError/DiskFull
    naming the URL when refused.
    """
    final = root / job.path
    part = final.with_name(final.name + PART)
    found = _keep(job, final, prior)
    if found is not None:
        observer.kept(job.path, found.size)
        return found
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise disk_error(exc, final.parent, None) from None
    try:
        for attempt in range(retries + 1):
            if stop.is_set():
                raise FetchError(f"{job.source}: not fetched (stopped after another error)")
            if _transfer(client, job, part, observer, last=attempt == retries):
                break
        else:
            raise FetchError(
                f"{job.source}: not fetched whole in {retries + 1} attempts (run again to resume)"
            )
        size = part.stat().st_size
        _refuse_bad(job, part, size)
        sha = sha256_file(part)
        if job.sha256 is not None and sha != job.sha256:
            part.unlink()
            raise FetchError(
                f"{job.source}: sha256 {sha} does not match {job.sha256} from {job.against} "
                "(refused: a changed or damaged file)"
            )
        part.replace(final)
    finally:
        observer.finished(job.path)
    return _locked(job, size, sha)


def _keep(job: Job, final: Path, prior: LockedFile | None) -> LockedFile | None:
    """The lock entry for a file already in place that needs no download, or None.

    It is kept when it has the sha256 published for it or, when nothing is published, the size and sha256 the
    previous lock recorded for the same URL (and the size the release listing gives, if any).
    """
    if not final.is_file():
        return None
    size = final.stat().st_size
    if job.sha256 is not None:
        expected = job.sha256
    elif prior is not None and prior.url == job.url and job.size in (None, prior.size):
        expected = prior.sha256
        if size != prior.size:
            return None
    else:
        return None
    if (job.size is not None and size != job.size) or sha256_file(final) != expected:
        return None
    return _locked(job, size, expected)


def _locked(job: Job, size: int, sha: str) -> LockedFile:
    return LockedFile(
        path=job.path, url=job.url, size=size, sha256=sha, checked=job.checked, artefact=job.artefact
    )


def _transfer(client: Client, job: Job, part: Path, observer: Observer, last: bool) -> bool:
    """One request; True when the body arrived whole, False when it broke off and may be resumed."""
    have = part.stat().st_size if part.is_file() else 0
    resp = client.open(job.source, {"Range": f"bytes={have}-"} if have else None)
    try:
        if resp.status == 416 and have:  # the .part is no prefix of the file: start again
            part.unlink()
            return False
        if resp.status >= 400:
            raise FetchError(status_message(resp, job.source))
        if resp.status == 206:
            if _range_start(resp.headers.get("content-range", "")) != have:  # not the range asked for
                part.unlink(missing_ok=True)
                return False
            mode = "ab"
        else:  # 200, also when the server ignored the Range: start over
            have, mode = 0, "wb"
        ctype = resp.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if ctype in ("text/html", "application/xhtml+xml") and not _is_html_url(job.source):
            part.unlink(missing_ok=True)
            raise FetchError(
                f"{job.source}: an HTML page (Content-Type {ctype}), not the file: an error or login "
                "page? (refused)"
            )
        length = resp.headers.get("content-length")
        total = have + int(length) if length and length.isdigit() else job.size
        observer.started(job.path, total, have)
        try:
            with part.open(mode) as fh:
                for chunk in resp.stream(CHUNK):
                    fh.write(chunk)
                    observer.advanced(job.path, len(chunk))
        except BROKEN as exc:
            got = part.stat().st_size
            if last:
                raise FetchError(
                    f"{job.source}: the download broke off after {got} bytes ({type(exc).__name__}); "
                    "run again to resume"
                ) from None
            return False
        except OSError as exc:
            needed = None if total is None else max(total - have, 0)
            raise disk_error(exc, part, needed) from None
        return True
    finally:
        done(resp)


def _range_start(header: str) -> int | None:
    if not header.startswith(_CONTENT_RANGE_START):
        return None
    first = header[len(_CONTENT_RANGE_START) :].split("-", 1)[0]
    return int(first) if first.isdigit() else None


def _refuse_bad(job: Job, part: Path, size: int) -> None:
    if size == 0:
        part.unlink()
        raise FetchError(f"{job.source}: 0 bytes (an empty file, not the artefact; refused)")
    with part.open("rb") as fh:
        head = fh.read(512)
    if looks_like_html(head, job.source):
        part.unlink()
        raise FetchError(
            f"{job.source}: the body is an HTML page, not the file: an error or login page? (refused)"
        )
    if job.size is not None and size != job.size:
        part.unlink()
        raise FetchError(f"{job.source}: {size} bytes, expected {job.size} (refused)")


def _is_html_url(url: str) -> bool:
    return url.lower().split("?", 1)[0].endswith((".html", ".htm"))
