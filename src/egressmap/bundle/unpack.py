"""Unpack a source archive safely: every member under one top directory, nothing outside, no links out.

Each member is checked before anything is written (no absolute path, no ``..``, no device or FIFO, a link's
target inside the archive's top directory); extraction then uses the standard library's ``data`` filter
(https://docs.python.org/3/library/tarfile.html#tarfile.data_filter), which refuses the same things again and
drops set-uid bits and group/other write permissions.
"""

from __future__ import annotations

import posixpath
import shutil
import tarfile
import tempfile
from pathlib import Path

from .manifest import BundleError


def unpack_top(archive: Path, top: str, target: Path) -> None:
    """Unpack ``archive`` (a .tar.gz whose members are all under ``top/``) so that ``top/`` becomes ``target``."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            members = tar.getmembers()
            for m in members:
                _check(m, top, archive)
            with tempfile.TemporaryDirectory(dir=target.parent, prefix=".unpack-") as tmp:
                tar.extractall(tmp, members=members, filter="data")
                src = Path(tmp) / top
                if not src.is_dir():
                    raise BundleError(f"{archive}: no {top}/ directory in the archive")
                shutil.move(str(src), str(target))
    except (tarfile.TarError, EOFError) as exc:
        raise BundleError(f"{archive}: cannot unpack ({exc}); run 'egressmap bundle verify'") from None


def _check(m: tarfile.TarInfo, top: str, archive: Path) -> None:
    name = m.name.rstrip("/")
    norm = posixpath.normpath(name)
    if name.startswith("/") or norm != name.removeprefix("./") or norm.split("/", 1)[0] != top:
        raise BundleError(f"{archive}: member {m.name!r} is outside {top}/ (refused)")
    if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
        raise BundleError(f"{archive}: member {m.name!r} is a device or FIFO (refused)")
    if m.issym() or m.islnk():
        base = posixpath.dirname(norm) if m.issym() else ""
        dest = posixpath.normpath(posixpath.join(base, m.linkname))
        if m.linkname.startswith("/") or dest.split("/", 1)[0] != top:
            raise BundleError(f"{archive}: link {m.name!r} -> {m.linkname!r} points outside {top}/ (refused)")
