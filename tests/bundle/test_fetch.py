"""bundle fetch against a fake GitHub and mirror on loopback (HTTPS, trustme): resume, checks, the lock."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.bundle.manifest import LOCK_NAME, MANIFEST_NAME, load_lock
from egressmap.cli import main

from .conftest import PC_VERSION, PC_ZIP, World


def test_fetch_resumes_the_broken_asset_and_locks_every_file(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The asset that broke off is resumed with a Range; every file is locked with how it was checked."""
    out = tmp_path / "bundle"
    assert main(["bundle", "fetch", str(world.good), "-o", str(out), *world.flags()]) == 0
    ranges = world.gh.ranges("/Azure/cyclecloud-slurm/releases/download/3.0.8/azure-slurm-pkg-3.0.8.tar.gz")
    assert ranges[0] is None and ranges[1] is not None and ranges[1].startswith("bytes=") and len(ranges) == 2
    lock = load_lock((out / LOCK_NAME).read_text())
    got = {f.path: f.checked for f in lock.files}
    assert got == {
        "cyclecloud/projects/slurm/3.0.8/azure-slurm-pkg-3.0.8.tar.gz": "github-digest",
        "cyclecloud/projects/slurm/3.0.8/cyclecloud-slurm-3.0.8.tar.gz": "recorded",
        "cyclecloud/projects/slurm/3.0.8/cyclecloud_api-8.1.0-py2.py3-none-any.whl": "github-digest",
        "cyclecloud/projects/slurm/3.0.8/slurm-23.11.9-1.el8.x86_64.rpm": "recorded",
        f"parallelcluster/{PC_VERSION}/{PC_ZIP}": "published",
        f"parallelcluster/{PC_VERSION}/{PC_ZIP}-sha256sum": "recorded",
    }
    urls = {f.url for f in lock.files}
    assert all(u.startswith(("https://github.com/", "https://us-east-1-aws")) for u in urls)
    assert (out / MANIFEST_NAME).read_bytes() == world.good.read_bytes()
    assert not list(out.rglob("*.part"))
    assert "6 files" in capsys.readouterr().out


def test_fetch_refuses_bad_files_naming_each_url_and_writes_no_lock(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong digest, a 0-byte file, HTML (by type and by body) and a wrong published sum: one line each."""
    out = tmp_path / "bundle"
    flags = [*world.flags(), "--mirror", f"example.test={world.gh.base}/mirror-example"]
    assert main(["bundle", "fetch", str(world.bad), "-o", str(out), *flags]) == 1
    err = capsys.readouterr().err
    base = f"{world.gh.base}/Azure/cyclecloud-bad/releases/download/1.0.0"
    assert "5 of 5 files not fetched; no lock written" in err
    assert f"{base}/wrong.bin: sha256 " in err and f"does not match {'0' * 64}" in err
    assert f"{base}/empty.bin: 0 bytes" in err
    assert f"{base}/error.bin: an HTML page (Content-Type text/html)" in err
    assert f"{world.gh.base}/mirror-example/login.bin: the body is an HTML page" in err
    assert "/mirror-example/tool.tar.gz: sha256 " in err and "from https://example.test/SHASUMS256.txt" in err
    assert not (out / LOCK_NAME).exists() and (out / MANIFEST_NAME).exists()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert files == [MANIFEST_NAME]  # every refused file was removed, none renamed into place


def test_fetch_twice_gives_the_same_lock_and_skips_checked_files(world: World, tmp_path: Path) -> None:
    """Byte-identical locks across runs (and two directories); checked files are not fetched again."""
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["bundle", "fetch", str(world.good), "-o", str(one), *world.flags(), "-q"]) == 0
    first = (one / LOCK_NAME).read_bytes()
    count = len(world.gh.requests)
    assert main(["bundle", "fetch", str(world.good), "-o", str(one), *world.flags(), "-q"]) == 0
    assert (one / LOCK_NAME).read_bytes() == first
    again = [p for p, _ in world.gh.requests[count:] if "/releases/download/" in p]
    assert again == []  # checked files, and recorded ones the previous lock vouches for, are kept
    assert main(["bundle", "fetch", str(world.good), "-o", str(two), *world.flags(), "-q"]) == 0
    assert (two / LOCK_NAME).read_bytes() == first


def test_an_interrupted_fetch_leaves_no_lock_and_the_next_run_resumes(world: World, tmp_path: Path) -> None:
    """With no retries the broken file stays a .part and no lock is written; the next run sends a Range."""
    out = tmp_path / "bundle"
    assert main(["bundle", "fetch", str(world.good), "-o", str(out), *world.flags(), "--retries", "0"]) == 1
    part = out / "cyclecloud/projects/slurm/3.0.8/azure-slurm-pkg-3.0.8.tar.gz.part"
    assert part.is_file() and not (out / LOCK_NAME).exists()
    have = part.stat().st_size
    assert have > 0
    assert main(["bundle", "fetch", str(world.good), "-o", str(out), *world.flags(), "--retries", "0"]) == 0
    ranges = world.gh.ranges("/Azure/cyclecloud-slurm/releases/download/3.0.8/azure-slurm-pkg-3.0.8.tar.gz")
    assert ranges == [None, f"bytes={have}-"]
    assert (out / LOCK_NAME).is_file() and not part.exists()
