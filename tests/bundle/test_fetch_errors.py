"""bundle fetch on bad input: unknown release, no network, a full disk, a manifest of another version."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from egressmap.bundle.manifest import LOCK_NAME, MANIFEST_NAME, Artefact, Manifest, dump_manifest
from egressmap.cli import main

from .conftest import World
from .fake_github import Blob

SRC = str(Path(__file__).parents[2] / "src")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_an_unknown_tag_is_a_clear_404(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release tag GitHub does not have: named with the repository, exit 1, no lock."""
    manifest = tmp_path / "m.yaml"
    release = Artefact(
        path="cyclecloud/projects/slurm/9.9.9",
        kind="github-release",
        repository="Azure/cyclecloud-slurm",
        tag="9.9.9",
    )
    manifest.write_text(dump_manifest(Manifest("tests", (release,))))
    out = tmp_path / "b"
    assert main(["bundle", "fetch", str(manifest), "-o", str(out), *world.flags()]) == 1
    err = capsys.readouterr().err
    assert "unknown release: Azure/cyclecloud-slurm has no release tagged '9.9.9'" in err
    assert f"404 from {world.gh.api}/repos/Azure/cyclecloud-slurm/releases/tags/9.9.9" in err
    assert len(err.strip().splitlines()) == 1 and not (out / LOCK_NAME).exists()


def test_an_http_error_names_the_url(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A file the mirror does not have: HTTP 404 from the mirror's URL."""
    manifest = tmp_path / "m.yaml"
    gone = Artefact(path="downloads/example.test/gone.bin", url="https://example.test/gone.bin")
    manifest.write_text(dump_manifest(Manifest("tests", (gone,))))
    flags = [*world.flags(), "--mirror", f"example.test={world.gh.base}/mirror-example"]
    assert main(["bundle", "fetch", str(manifest), "-o", str(tmp_path / "b"), *flags]) == 1
    err = capsys.readouterr().err
    assert f"HTTP 404 Not Found from {world.gh.base}/mirror-example/gone.bin" in err


def test_no_network_names_the_host(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A closed port: connection refused, naming host:port, for each file; no lock."""
    port = _closed_port()
    out = tmp_path / "b"
    flags = ["--github-api", f"https://127.0.0.1:{port}/api/v3", "--mirror", f"https://127.0.0.1:{port}"]
    assert main(["bundle", "fetch", str(world.good), "-o", str(out), *flags]) == 1
    err = capsys.readouterr().err
    assert f"cannot connect to 127.0.0.1:{port}: connection refused" in err
    assert not (out / LOCK_NAME).exists()


def test_a_manifest_of_another_version_writes_nothing(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """schema .../9: refused before the output directory is even created."""
    manifest = tmp_path / "m.yaml"
    manifest.write_text(world.good.read_text().replace("bundle-manifest/1", "bundle-manifest/9"))
    out = tmp_path / "b"
    assert main(["bundle", "fetch", str(manifest), "-o", str(out), *world.flags()]) == 1
    err = capsys.readouterr().err
    assert "egressmap.bundle-manifest/9 is another version of this file" in err
    assert not out.exists()


def _tmpfs_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = 'd=$(mktemp -d) && mount -t tmpfs -o size=64k tmpfs "$d"'
    done = subprocess.run(["unshare", "-Urm", "sh", "-c", probe], capture_output=True, check=False)
    return done.returncode == 0


def _fetch_on_small_disk(tmp_path: Path, manifest: Path, flags: list[str], size: str) -> tuple[int, str, str]:
    """Run fetch into a small tmpfs (a private mount namespace); its exit code, stderr, and the files left."""
    disk = tmp_path / "disk"
    disk.mkdir()
    fetch = [sys.executable, "-m", "egressmap", "bundle", "fetch", str(manifest), "-o", f"{disk}/b", *flags]
    script = (
        f'mount -t tmpfs -o size={size} tmpfs "{disk}" || exit 99; '
        '"$@"; rc=$?; echo "rc=$rc"; find "' + str(disk) + '" -type f | sort'
    )
    env = {**os.environ, "PYTHONPATH": SRC}
    done = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", script, "sh", *fetch],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    lines = done.stdout.splitlines()
    rc = int(next(line for line in lines if line.startswith("rc="))[3:])
    files = "\n".join(line.removeprefix(f"{disk}/b/") for line in lines if line.startswith(str(disk)))
    return rc, done.stderr, files


@pytest.mark.skipif(not _tmpfs_works(), reason="needs unshare -Urm and tmpfs mounts")
def test_a_full_disk_mid_write_says_how_much_and_leaves_no_lock(world: World, tmp_path: Path) -> None:
    """A file of unknown size bigger than a 64 KiB tmpfs: ENOSPC, the bytes needed, exit 1, no lock."""
    world.gh.blobs["/mirror-example/big.bin"] = Blob(b"x" * 300_000)
    manifest = tmp_path / "m.yaml"
    big = Artefact(path="downloads/example.test/big.bin", url="https://example.test/big.bin")
    manifest.write_text(dump_manifest(Manifest("tests", (big,))))
    flags = [*world.flags(), "--mirror", f"example.test={world.gh.base}/mirror-example"]
    rc, err, files = _fetch_on_small_disk(tmp_path, manifest, flags, "64k")
    assert rc == 1
    assert "big.bin.part: no space left on device; 300000 bytes were needed" in err
    assert LOCK_NAME not in files and MANIFEST_NAME in files


@pytest.mark.skipif(not _tmpfs_works(), reason="needs unshare -Urm and tmpfs mounts")
def test_a_full_disk_known_up_front_fetches_nothing(world: World, tmp_path: Path) -> None:
    """Release assets whose sizes the API gives and that cannot fit: refused before any download."""
    rc, err, files = _fetch_on_small_disk(tmp_path, world.good, world.flags(), "32k")
    assert rc == 1
    assert "more bytes but only" in err and "are free" in err
    assert files.splitlines() == [MANIFEST_NAME]
