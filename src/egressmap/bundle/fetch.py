"""``bundle fetch``: every file a manifest names, fetched in parallel, checked, and recorded in the lock.

Order on disk, so that a bundle that was cut short never looks complete: an old lock is removed first, then
the manifest's copy (:data:`~.manifest.MANIFEST_NAME`) is written, then the files arrive as ``PATH.part`` and
are renamed once checked, and the lock (:data:`~.manifest.LOCK_NAME`) is written last, atomically, only when
every file was fetched and checked. Running it again resumes the ``.part`` files and keeps, without a
download, each file already in place that still has its published sha256 or, when nothing is published,
the size and sha256 the previous lock recorded (read into memory before that lock is removed, and used only
when it was written for the same manifest bytes).

Each file's sha256 is checked against the strongest thing published for it: the artefact's ``checksum_url``
(a ``sha256sum``-style file, such as the ParallelCluster installer's ``-sha256sum`` or Node.js's
``SHASUMS256.txt``), the GitHub release asset's ``digest``, or the manifest's ``sha256``; otherwise it is only
recorded (``checked: recorded``).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from ..errors import EgressmapError
from ..verify.proxyenv import ProxyChoice
from .download import Job, Observer, Quiet, fetch_file
from .files import PART, atomic_write, disk_error, published_sha256
from .github import release_files
from .manifest import (
    LOCK_NAME,
    MANIFEST_NAME,
    Artefact,
    BundleError,
    Lock,
    LockedFile,
    dump_lock,
    load_lock,
    load_manifest,
)
from .net import Client, DiskFull, FetchError, ProxyUnreachable, Where

log = logging.getLogger("egressmap")
T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch: parallel jobs, retries of a broken download, where from, which CA, the read timeout, proxies."""

    jobs: int = 4
    retries: int = 3
    where: Where = field(default_factory=Where)
    ca_file: str | None = None
    timeout: float = 60.0
    proxies: ProxyChoice | None = None
    """The proxy for each URL (``--proxy``, the proxy variables); None: every URL direct."""


def fetch_bundle(
    manifest_text: str,
    origin: str,
    out: Path,
    options: FetchOptions | None = None,
    observer: Observer | None = None,
) -> Lock:
    """Fetch what the manifest names into ``out``; the lock written there. Raises when any file failed."""
    opts = options or FetchOptions()
    seen = observer or Quiet()
    manifest = load_manifest(manifest_text, origin)  # another version or a bad file: nothing written
    data = manifest_text.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    client = Client(opts.ca_file, opts.timeout, opts.jobs, opts.proxies)
    prior = _previous(out / LOCK_NAME, digest)
    try:
        return _fetch_into(out, manifest.artefacts, data, digest, prior, client, opts, seen)
    finally:
        client.close()


def _fetch_into(
    out: Path,
    artefacts: Sequence[Artefact],
    data: bytes,
    digest: str,
    prior: Mapping[str, LockedFile],
    client: Client,
    opts: FetchOptions,
    seen: Observer,
) -> Lock:
    """The steps of :func:`fetch_bundle` that write into ``out``, in the order described above."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise disk_error(exc, out, None) from None
    (out / LOCK_NAME).unlink(missing_ok=True)  # being changed: it must not look complete
    atomic_write(out / MANIFEST_NAME, data)
    jobs, failures = _resolve(artefacts, client, opts)
    _stop_on_proxy(failures)
    _check_space(out, jobs)
    seen.planned(len(jobs), _total(jobs))
    stop = threading.Event()

    def one(job: Job) -> LockedFile:
        try:
            return fetch_file(client, job, out, seen, opts.retries, stop, prior.get(job.path))
        except (DiskFull, ProxyUnreachable):
            stop.set()
            raise

    locked, failed = _parallel(one, jobs, opts.jobs, key=lambda j: j.path)
    failures.extend(failed)
    _stop_on_proxy(failures)
    if failures:
        raise _summary(failures, len(jobs))
    lock = Lock(manifest_sha256=digest, files=tuple(locked))
    atomic_write(out / LOCK_NAME, dump_lock(lock).encode("utf-8"))
    return lock


def _previous(path: Path, digest: str) -> dict[str, LockedFile]:
    """The previous lock's files by path, when it was written for the same manifest bytes; else nothing."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        log.info("not reusing %s: %s", path, exc)
        return {}
    try:
        old = load_lock(text, str(path))
    except BundleError as exc:
        log.info("not reusing %s: %s", path, exc)
        return {}
    return {f.path: f for f in old.files} if old.manifest_sha256 == digest else {}


def _stop_on_proxy(failures: list[tuple[str, EgressmapError]]) -> None:
    """An unreachable proxy is the one line to show: every file through it failed the same way."""
    for _, exc in failures:
        if isinstance(exc, ProxyUnreachable):
            raise ProxyUnreachable(f"{exc}; no lock written")


def _resolve(
    artefacts: Sequence[Artefact], client: Client, opts: FetchOptions
) -> tuple[list[Job], list[tuple[str, EgressmapError]]]:
    """Every file to fetch (release listings and checksum files read in parallel), and what failed."""
    sums: dict[str, str] = {}
    lock = threading.Lock()

    def checksum_text(url: str) -> str:
        with lock:
            if url in sums:
                return sums[url]
        body, _ = client.small(opts.where.source(url))
        text = body.decode("utf-8", errors="replace")
        with lock:
            sums[url] = text
        return text

    def one(a: Artefact) -> list[Job]:
        if a.kind == "github-release":
            return [
                Job(
                    path=f.path,
                    url=f.url,
                    source=f.source,
                    artefact=a.path,
                    size=f.size,
                    sha256=f.sha256,
                    checked="github-digest" if f.sha256 else "recorded",
                    against="the GitHub release asset digest",
                )
                for f in release_files(client, opts.where, a)
            ]
        return [_file_job(a, opts.where, checksum_text)]

    found, failures = _parallel(one, list(artefacts), opts.jobs, key=lambda a: a.path)
    jobs = [job for group in found for job in group]
    paths = [j.path for j in jobs]
    for dup in sorted({p for p in paths if paths.count(p) > 1}):
        failures.append((dup, FetchError(f"two files would land at {dup} (check the manifest)")))
    return sorted(jobs, key=lambda j: j.path), failures


def _file_job(a: Artefact, where: Where, checksum_text: Callable[[str], str]) -> Job:
    job = Job(path=a.path, url=a.url, source=where.source(a.url), artefact=a.path, size=a.size)
    if a.checksum_url:
        name = unquote(urlsplit(a.url).path.rsplit("/", 1)[-1])
        try:
            sha = published_sha256(checksum_text(a.checksum_url), name, a.checksum_url)
        except ValueError as exc:
            raise FetchError(str(exc)) from None
        if a.sha256 is not None and a.sha256 != sha:
            raise FetchError(
                f"{a.url}: the manifest's sha256 {a.sha256} differs from {sha} published at {a.checksum_url}"
            )
        return Job(**{**job.__dict__, "sha256": sha, "checked": "published", "against": a.checksum_url})
    if a.sha256 is not None:
        return Job(**{**job.__dict__, "sha256": a.sha256, "checked": "manifest", "against": "the manifest"})
    return job


def _parallel(
    work: Callable[[T], R], items: list[T], jobs: int, key: Callable[[T], str]
) -> tuple[list[R], list[tuple[str, EgressmapError]]]:
    """Run ``work`` over ``items`` on ``jobs`` threads; results in order, and each item's error."""
    results: list[R] = []
    failures: list[tuple[str, EgressmapError]] = []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = [(item, pool.submit(work, item)) for item in items]
        for item, future in futures:
            try:
                results.append(future.result())
            except EgressmapError as exc:
                failures.append((key(item), exc))
    return results, failures


def _total(jobs: Sequence[Job]) -> int | None:
    sizes = [j.size for j in jobs]
    return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)


def _check_space(out: Path, jobs: Sequence[Job]) -> None:
    """Refuse up front when the sizes that are known already need more than the free space."""
    needed = 0
    for job in jobs:
        if job.size is None or (out / job.path).is_file():
            continue
        part = out / (job.path + PART)
        needed += job.size - (part.stat().st_size if part.is_file() else 0)
    free = shutil.disk_usage(out).free
    if needed > free:
        raise DiskFull(
            f"{out}: the bundle needs {needed} more bytes but only {free} are free "
            "(free some space or fetch into another directory)"
        )


def _summary(failures: list[tuple[str, EgressmapError]], total: int) -> EgressmapError:
    """The error to raise: the only one as it is, or a count and one line per file (disk full first)."""
    failures.sort(key=lambda f: (not isinstance(f[1], DiskFull), f[0]))
    if len(failures) == 1:
        return failures[0][1]
    lines = "\n".join(f"  {path}: {exc}" for path, exc in failures)
    head = f"{len(failures)} of {max(total, len(failures))} files not fetched; no lock written"
    return FetchError(f"{head} (run again to resume what broke off):\n{lines}")
