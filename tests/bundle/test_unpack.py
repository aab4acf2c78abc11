"""Safe unpacking: members outside the top directory, links out and devices are refused."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from egressmap.bundle.manifest import BundleError
from egressmap.bundle.unpack import unpack_top


def _archive(tmp_path: Path, members: list[tarfile.TarInfo]) -> Path:
    path = tmp_path / "a.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for m in members:
            tar.addfile(m, io.BytesIO(b"x" * m.size) if m.isfile() else None)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    m = tarfile.TarInfo(name)
    m.type, m.linkname = kind, link
    m.size = 1 if kind == tarfile.REGTYPE else 0
    return m


def test_a_good_archive_becomes_the_target(tmp_path: Path) -> None:
    """top/ becomes the target; an inside link is kept."""
    archive = _archive(tmp_path, [_member("p-1/a.txt"), _member("p-1/l", tarfile.SYMTYPE, "a.txt")])
    unpack_top(archive, "p-1", tmp_path / "out")
    assert (tmp_path / "out/a.txt").read_bytes() == b"x" and (tmp_path / "out/l").is_symlink()


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_member("../evil"), "outside p-1/"),
        (_member("/etc/evil"), "outside p-1/"),
        (_member("p-1/../../evil"), "outside p-1/"),
        (_member("other/a"), "outside p-1/"),
        (_member("p-1/l", tarfile.SYMTYPE, "../../etc/passwd"), "points outside p-1/"),
        (_member("p-1/l", tarfile.SYMTYPE, "/etc/passwd"), "points outside p-1/"),
        (_member("p-1/h", tarfile.LNKTYPE, "etc/passwd"), "points outside p-1/"),
        (_member("p-1/dev", tarfile.CHRTYPE), "device or FIFO"),
    ],
)
def test_unsafe_members_are_refused_and_nothing_is_written(
    tmp_path: Path, member: tarfile.TarInfo, message: str
) -> None:
    """Every unsafe member is refused before anything is unpacked."""
    archive = _archive(tmp_path, [_member("p-1/a.txt"), member])
    with pytest.raises(BundleError, match=message):
        unpack_top(archive, "p-1", tmp_path / "out")
    assert not (tmp_path / "out").exists() and not (tmp_path.parent / "evil").exists()


def test_a_damaged_archive_is_a_clear_error(tmp_path: Path) -> None:
    """Not a tar: BundleError pointing at bundle verify."""
    bad = tmp_path / "a.tar.gz"
    bad.write_bytes(b"\x1f\x8b not really")
    with pytest.raises(BundleError, match="cannot unpack"):
        unpack_top(bad, "p-1", tmp_path / "out")
