"""bundle verify: one flipped byte, a missing file, an extra one, the manifest copy changed; --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egressmap.bundle.manifest import LOCK_NAME, MANIFEST_NAME
from egressmap.cli import main

from .conftest import PC_VERSION, PC_ZIP

WHL = "cyclecloud/projects/slurm/3.0.8/cyclecloud_api-8.1.0-py2.py3-none-any.whl"


def test_a_fetched_bundle_verifies(fetched: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Right after fetch: every file as locked, exit 0."""
    assert main(["bundle", "verify", str(fetched)]) == 0
    assert (
        capsys.readouterr()
        .out.strip()
        .endswith("6 files in the lock, 6 as locked, 0 missing, 0 changed, 0 extra")
    )


def test_one_flipped_byte_is_caught(fetched: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Same size, one byte different: changed, with both sha256; exit 1."""
    path = fetched / WHL
    data = bytearray(path.read_bytes())
    data[100] ^= 0x01
    path.write_bytes(bytes(data))
    assert main(["bundle", "verify", str(fetched)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"changed  {WHL}: sha256 ") and "the lock says" in out[0]
    assert out[-1].endswith("6 files in the lock, 5 as locked, 0 missing, 1 changed, 0 extra")


def test_missing_extra_and_manifest_changes_as_json(
    fetched: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A removed file, a stray .part, a truncated file and an edited manifest copy, in one JSON report."""
    (fetched / f"parallelcluster/{PC_VERSION}/{PC_ZIP}-sha256sum").unlink()
    (fetched / "downloads").mkdir()
    (fetched / "downloads/stray.bin.part").write_bytes(b"x")
    (fetched / WHL).write_bytes(b"short")
    (fetched / MANIFEST_NAME).write_text((fetched / MANIFEST_NAME).read_text() + "# edited\n")
    assert main(["bundle", "verify", str(fetched), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc == {
        "schema": "egressmap.bundle-verify/1",
        "ok": False,
        "checked": 6,
        "missing": [f"parallelcluster/{PC_VERSION}/{PC_ZIP}-sha256sum"],
        "changed": [
            {"path": WHL, "reason": "size 5, the lock says 2700"},
            {"path": MANIFEST_NAME, "reason": "not the manifest the lock was written for"},
        ],
        "extra": ["downloads/stray.bin.part"],
    }


def test_a_directory_without_a_lock_is_not_a_bundle(
    fetched: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unfinished fetch (no lock): a clear error, exit 1."""
    (fetched / LOCK_NAME).unlink()
    assert main(["bundle", "verify", str(fetched)]) == 1
    assert f"no {LOCK_NAME}: not a complete bundle" in capsys.readouterr().err
