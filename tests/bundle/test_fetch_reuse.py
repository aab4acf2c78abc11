"""A second bundle fetch into the same directory keeps what the previous lock recorded and fetches the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.bundle.manifest import LOCK_NAME, load_lock
from egressmap.cli import main

from .conftest import PC_VERSION, PC_ZIP, World

RPM = "cyclecloud/projects/slurm/3.0.8/slurm-23.11.9-1.el8.x86_64.rpm"
DOWNLOADS = "/releases/download/"


def _fetch(world: World, out: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """Run bundle fetch (quiet); its summary line."""
    capsys.readouterr()
    assert main(["bundle", "fetch", str(world.good), "-o", str(out), *world.flags(), "-q"]) == 0
    return capsys.readouterr().out


def test_a_second_run_downloads_nothing_and_writes_the_same_lock(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Recorded files (the tag archive, an asset with no digest) are kept by the lock's size and sha256."""
    out = tmp_path / "bundle"
    assert "6 fetched, 0 kept" in _fetch(world, out, capsys)
    first = (out / LOCK_NAME).read_bytes()
    count = len(world.gh.requests)
    assert "0 fetched, 6 kept" in _fetch(world, out, capsys)
    assert (out / LOCK_NAME).read_bytes() == first
    asked = sorted(p for p, _ in world.gh.requests[count:])
    assert [p for p in asked if DOWNLOADS in p or "/archive/" in p] == []
    checksum = f"/mirror/parallelcluster/{PC_VERSION}/installer/{PC_ZIP}-sha256sum"
    assert [p for p in asked if not p.startswith("/api/")] == [checksum]  # read as the zip's published sum


def test_a_file_changed_between_runs_is_fetched_again(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One flipped byte in a recorded file (same size): only that file is downloaded again."""
    out = tmp_path / "bundle"
    _fetch(world, out, capsys)
    first = (out / LOCK_NAME).read_bytes()
    body = bytearray((out / RPM).read_bytes())
    body[10] ^= 0xFF
    (out / RPM).write_bytes(bytes(body))
    count = len(world.gh.requests)
    assert "1 fetched, 5 kept" in _fetch(world, out, capsys)
    again = [p for p, _ in world.gh.requests[count:] if DOWNLOADS in p or "/archive/" in p]
    assert again == ["/Azure/cyclecloud-slurm/releases/download/3.0.8/slurm-23.11.9-1.el8.x86_64.rpm"]
    assert (out / LOCK_NAME).read_bytes() == first


def test_a_lock_for_another_manifest_is_not_reused(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The old lock names other manifest bytes: recorded files are fetched again, published ones kept."""
    out = tmp_path / "bundle"
    _fetch(world, out, capsys)
    lock = out / LOCK_NAME
    old = load_lock(lock.read_text())
    lock.write_text(lock.read_text().replace(old.manifest_sha256, "0" * 64))
    assert "3 fetched, 3 kept" in _fetch(world, out, capsys)
    assert load_lock(lock.read_text()) == old


def test_an_unreadable_old_lock_is_ignored(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A damaged old lock is only a lost shortcut: the recorded files are fetched again and a new lock written."""
    out = tmp_path / "bundle"
    _fetch(world, out, capsys)
    (out / LOCK_NAME).write_text("files: [not, a, lock\n")
    assert "3 fetched, 3 kept" in _fetch(world, out, capsys)
    assert load_lock((out / LOCK_NAME).read_text()).files
