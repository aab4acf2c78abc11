"""One file: a server that ignores the Range restarts cleanly; a stale .part is resumed or replaced."""

from __future__ import annotations

import threading
from pathlib import Path

from egressmap.bundle.download import Job, Quiet, fetch_file
from egressmap.bundle.net import Client

from .conftest import World
from .fake_github import Blob, sha

BODY = bytes(range(256)) * 400


def _job(world: World, name: str) -> Job:
    return Job(
        path=f"d/{name}",
        url=f"https://example.test/{name}",
        source=f"{world.gh.base}/files/{name}",
        artefact=f"d/{name}",
        sha256=sha(BODY),
        checked="manifest",
        against="the manifest",
    )


def test_a_server_that_ignores_range_restarts_the_file(world: World, tmp_path: Path) -> None:
    """It breaks off, then answers the Range with the whole file (200): the .part is rewritten, not appended."""
    world.gh.blobs["/files/a.bin"] = Blob(BODY, break_first=True, honour_range=False)
    got = fetch_file(
        Client(str(world.gh.ca_file)), _job(world, "a.bin"), tmp_path, Quiet(), 2, threading.Event()
    )
    assert got.sha256 == sha(BODY) and (tmp_path / "d/a.bin").read_bytes() == BODY
    assert world.gh.ranges("/files/a.bin")[1] is not None


def test_a_stale_part_from_an_earlier_run_is_resumed(world: World, tmp_path: Path) -> None:
    """A .part holding the first bytes: one request with a Range, the file completed and checked."""
    world.gh.blobs["/files/b.bin"] = Blob(BODY)
    (tmp_path / "d").mkdir()
    (tmp_path / "d/b.bin.part").write_bytes(BODY[:1000])
    fetch_file(Client(str(world.gh.ca_file)), _job(world, "b.bin"), tmp_path, Quiet(), 0, threading.Event())
    assert world.gh.ranges("/files/b.bin") == ["bytes=1000-"]
    assert (tmp_path / "d/b.bin").read_bytes() == BODY and not (tmp_path / "d/b.bin.part").exists()


def test_a_checked_file_already_there_is_not_fetched(world: World, tmp_path: Path) -> None:
    """The file is in place with the expected sha256: no request."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d/c.bin").write_bytes(BODY)
    fetch_file(Client(str(world.gh.ca_file)), _job(world, "c.bin"), tmp_path, Quiet(), 0, threading.Event())
    assert world.gh.requests == []
