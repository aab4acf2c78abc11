"""Small file helpers for bundles: sha256 of a file, atomic writes, HTML sniffing, checksum files, ENOSPC."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from pathlib import Path

from ..errors import EgressmapError
from .net import DiskFull, FetchError

CHUNK = 1024 * 1024
PART = ".part"
"""A file being fetched: renamed to its bundle path only once it is complete and checked."""

_HTML_START = re.compile(rb"^\s*(<!doctype\s+html|<html|<head|<body|<!--)", re.IGNORECASE)
_GNU = re.compile(r"^\\?([0-9a-fA-F]{64})(?:\s+\*?(.+?))?\s*$")
_BSD = re.compile(r"^SHA256\s*\((.+)\)\s*=\s*([0-9a-fA-F]{64})\s*$")


def sha256_file(path: Path, start: bytes = b"") -> str:
    """The sha256 of a file's bytes."""
    digest = hashlib.sha256(start)
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def looks_like_html(head: bytes, url: str) -> bool:
    """True when a body starts like an HTML page and the URL is not one (an error or login page)."""
    if url.lower().split("?", 1)[0].endswith((".html", ".htm")):
        return False
    return bool(_HTML_START.match(head.removeprefix(b"\xef\xbb\xbf")))


def published_sha256(text: str, name: str, origin: str) -> str:
    """The sha256 a checksum file gives for ``name``: GNU (``HEX  NAME``, ``HEX *NAME``) or BSD lines.

    A file with a single hash and no name is that hash. ``ValueError`` naming ``origin`` when there is none
    for ``name`` (the message lists what the file does name).
    """
    found: dict[str, str] = {}
    bare: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        gnu, bsd = _GNU.match(line), _BSD.match(line)
        if gnu and gnu.group(2):
            found[gnu.group(2).strip().rsplit("/", 1)[-1]] = gnu.group(1).lower()
        elif gnu:
            bare.append(gnu.group(1).lower())
        elif bsd:
            found[bsd.group(1).strip().rsplit("/", 1)[-1]] = bsd.group(2).lower()
    if name in found:
        return found[name]
    if len(bare) == 1 and not found:
        return bare[0]
    listed = ", ".join(sorted(found)[:5]) or "no sha256 lines"
    raise ValueError(f"{origin} has no sha256 for {name} (it lists: {listed})")


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``path`` through a temporary sibling and a rename; a failure leaves no partial file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise disk_error(exc, path, len(data)) from None


def disk_error(exc: OSError, path: Path, needed: int | None) -> EgressmapError:
    """:class:`DiskFull` for ENOSPC/EFBIG/EDQUOT (saying how much was needed when known), else FetchError."""
    if exc.errno not in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return FetchError(f"writing {path}: {exc.strerror or exc}")
    what = "the file is too big for it" if exc.errno == errno.EFBIG else "no space left on device"
    need = f"; {needed} bytes were needed" if needed else ""
    return DiskFull(f"writing {path}: {what}{need} (free some space or fetch into another directory)")
