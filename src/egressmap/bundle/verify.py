"""``bundle verify``: every file of a fetched bundle against its lock (missing, changed, extra).

The lock and the manifest copy are not files of the bundle; the manifest copy is checked against the sha256
the lock recorded for it. ``.part`` files (an unfinished fetch) count as extra.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from .files import sha256_file
from .manifest import LOCK_NAME, MANIFEST_NAME, read_bundle


@dataclass(frozen=True)
class Changed:
    """A file that is not what the lock says."""

    path: str
    reason: str


@dataclass(frozen=True)
class VerifyReport:
    """What ``bundle verify`` found; ``ok`` when nothing is missing, changed or extra."""

    checked: int
    missing: tuple[str, ...] = ()
    changed: tuple[Changed, ...] = field(default=())
    extra: tuple[str, ...] = ()

    @property
    def intact(self) -> int:
        """How many locked files are as locked."""
        return self.checked - len(self.missing) - sum(c.path != MANIFEST_NAME for c in self.changed)

    @property
    def ok(self) -> bool:
        """True when the bundle is exactly what the lock says."""
        return not (self.missing or self.changed or self.extra)


def verify_bundle(directory: str) -> VerifyReport:
    """Check every locked file's size and sha256, and look for files the lock does not name."""
    manifest_copy = Path(directory) / MANIFEST_NAME
    _, lock = read_bundle(directory)
    root = Path(directory)
    missing: list[str] = []
    changed: list[Changed] = []
    for f in lock.files:
        path = root / f.path
        if not path.is_file():
            missing.append(f.path)
            continue
        size = path.stat().st_size
        if size != f.size:
            changed.append(Changed(f.path, f"size {size}, the lock says {f.size}"))
            continue
        sha = sha256_file(path)
        if sha != f.sha256:
            changed.append(Changed(f.path, f"sha256 {sha}, the lock says {f.sha256}"))
    if hashlib.sha256(manifest_copy.read_bytes()).hexdigest() != lock.manifest_sha256:
        changed.append(Changed(MANIFEST_NAME, "not the manifest the lock was written for"))
    locked = {f.path for f in lock.files} | {LOCK_NAME, MANIFEST_NAME}
    extra = sorted(p for p in _files(root) if p not in locked)
    return VerifyReport(
        checked=len(lock.files),
        missing=tuple(sorted(missing)),
        changed=tuple(sorted(changed, key=lambda c: c.path)),
        extra=tuple(extra),
    )


def _files(root: Path) -> list[str]:
    """Every file (and link) under ``root``, relative, ``/``-separated."""
    out: list[str] = []
    for base, dirs, names in os.walk(root):
        rel = Path(base).relative_to(root)
        out.extend((rel / n).as_posix() for n in names)
        out.extend((rel / d).as_posix() for d in dirs if (Path(base) / d).is_symlink())
    return out
