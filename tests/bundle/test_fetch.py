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
