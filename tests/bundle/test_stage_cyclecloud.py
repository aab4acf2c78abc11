"""bundle stage cyclecloud: the exact tree seed 003 builds by hand, the steps, and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from egressmap.cli import main

from .conftest import SLURM_ASSETS, SLURM_SOURCE

ASSETS = sorted(SLURM_ASSETS)


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() + ("/" if p.is_dir() else "") for p in root.rglob("*"))


def test_stage_lays_out_the_exact_tree(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """projects/slurm/3.0.8/ is the unpacked source with blobs/; projects/slurm/blobs/ holds the assets."""
    stage = tmp_path / "stage"
    assert main(["bundle", "stage", "cyclecloud", str(fetched), "--project", "slurm", "-o", str(stage)]) == 0
    assert _tree(stage) == [
        "projects/",
        "projects/slurm/",
        "projects/slurm/3.0.8/",
        "projects/slurm/3.0.8/blobs/",
        *[f"projects/slurm/3.0.8/blobs/{a}" for a in ASSETS],
        "projects/slurm/3.0.8/project.ini",
        "projects/slurm/3.0.8/specs/",
        "projects/slurm/3.0.8/specs/default/",
        "projects/slurm/3.0.8/specs/default/cluster-init/",
        "projects/slurm/3.0.8/specs/default/cluster-init/scripts/",
        "projects/slurm/3.0.8/specs/default/cluster-init/scripts/00-install.sh",
        "projects/slurm/3.0.8/templates/",
        "projects/slurm/3.0.8/templates/slurm.txt",
        "projects/slurm/blobs/",
        *[f"projects/slurm/blobs/{a}" for a in ASSETS],
    ]
    for a in ASSETS:
        assert (stage / "projects/slurm/blobs" / a).read_bytes() == SLURM_ASSETS[a].body
    assert (stage / "projects/slurm/3.0.8/project.ini").read_bytes() == SLURM_SOURCE["project.ini"]
    out = capsys.readouterr().out
    assert (
        "/opt/cycle_server/cycle_server execute 'select Name, Version, Url from cloud.project "
        'where name == "slurm" order by Version\''
    ) in out
    for step in (
        "cd projects/slurm/3.0.8 && cyclecloud project build",
        "mkdir -p /opt/cycle_server/work/staging/projects/slurm/3.0.8 /opt/cycle_server/work/staging/projects/slurm/blobs",
        "cp build/slurm/* /opt/cycle_server/work/staging/projects/slurm/3.0.8/",
        "cp ../blobs/* /opt/cycle_server/work/staging/projects/slurm/blobs/",
        "chown -R cycle_server:cycle_server /opt/cycle_server/work/staging",
    ):
        assert f"   {step}\n" in out
    assert (
        main(["bundle", "stage", "cyclecloud", str(fetched), "--project", "slurm@3.0.8", "-o", str(stage)])
        == 1
    )
    assert "already exists" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("project", "message"),
    [
        ("pbspro", "has no CycleCloud project 'pbspro'; it holds: slurm@3.0.8"),
        ("slurm@9.9.9", "has no slurm 9.9.9; it holds slurm 3.0.8"),
    ],
)
def test_an_unknown_project_or_version_lists_what_the_bundle_holds(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], project: str, message: str
) -> None:
    """A clear one-line error, exit 1, nothing staged."""
    stage = tmp_path / "stage"
    assert main(["bundle", "stage", "cyclecloud", str(fetched), "--project", project, "-o", str(stage)]) == 1
    assert message in capsys.readouterr().err
    assert not stage.exists()


def test_a_changed_file_is_not_staged(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An asset changed since fetch: refused, pointing at bundle verify."""
    (fetched / "cyclecloud/projects/slurm/3.0.8" / ASSETS[0]).write_bytes(b"changed")
    assert (
        main(["bundle", "stage", "cyclecloud", str(fetched), "--project", "slurm", "-o", str(tmp_path / "s")])
        == 1
    )
    assert "not what the lock says (run 'egressmap bundle verify')" in capsys.readouterr().err


def test_an_unfinished_bundle_cannot_be_staged(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No lock (a fetch cut short): a clear error."""
    half = tmp_path / "half"
    shutil.copytree(fetched, half)
    (half / "egressmap-bundle.lock.yaml").unlink()
    assert (
        main(["bundle", "stage", "cyclecloud", str(half), "--project", "slurm", "-o", str(tmp_path / "s")])
        == 1
    )
    assert "not a complete bundle" in capsys.readouterr().err
