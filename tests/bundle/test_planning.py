"""bundle plan end to end: byte-identical manifests whatever the order, and clear refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.bundle.manifest import load_manifest
from egressmap.cli import main

from .test_evidence import LOG

DATA = Path(__file__).parent.parent / "data"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["bundle", "plan", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def _two_policies(tmp_path: Path) -> tuple[Path, Path]:
    lines = LOG.splitlines(keepends=True)
    paths = []
    for n, part in enumerate((lines[:2], lines[2:])):
        log = tmp_path / f"log{n}.log"
        log.write_text("".join(part) + lines[0])
        out = tmp_path / f"p{n}.yaml"
        assert main(["build", str(log), "-q", "-o", str(out)]) == 0
        paths.append(out)
    return paths[0], paths[1]


def test_manifests_are_byte_identical_across_runs_and_input_orders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two policies and a stack, in either order, twice: the same bytes."""
    capsys.readouterr()
    a, b = _two_policies(tmp_path)
    outs = []
    for order in ((a, b), (b, a), (a, b)):
        code, out, err = _run(capsys, *map(str, order), "--stack", "parallelcluster@3.14.0")
        assert code == 0 and "5 files, 0 releases" in err
        outs.append(out)
    assert outs[0] == outs[1] == outs[2]
    manifest = load_manifest(outs[0])
    tool = next(x for x in manifest.artefacts if x.path.endswith("tool-1.2.tar.gz"))
    assert tool.serves[0].entry == "download.example.org"


def test_a_cluster_config_brings_its_versions_installer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Seed 002's isolated config: the installer for the catalog's newest version, unless --stack says."""
    config = str(DATA / "configs" / "seed002-isolated.yaml")
    code, out, _ = _run(capsys, config)
    assert code == 0 and "parallelcluster/3.14.0/pcluster-installer-bundle-3.14.0.1209" in out
    code, out, _ = _run(capsys, config, "--stack", "parallelcluster@3.5.1", "-o", str(tmp_path / "m.yaml"))
    assert code == 0 and out == ""
    assert "3.5.1.36" in (tmp_path / "m.yaml").read_text()


def test_a_policy_with_no_downloads_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Only a doc link: exit 1, one line, nothing written."""
    log = tmp_path / "doc.log"
    log.write_text("see https://docs.example.org/guide/install.html for details\n")
    policy = tmp_path / "p.yaml"
    assert main(["build", str(log), "-q", "-o", str(policy)]) == 0
    capsys.readouterr()
    code, out, err = _run(capsys, str(policy), "-o", str(tmp_path / "m.yaml"))
    assert code == 1 and out == ""
    assert "no download-like entries with full URLs" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "m.yaml").exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give a policy, a scan report or a cluster config, or --stack"),
        (("--stack", "cyclecloud@8", "--project", "nope"), "unknown project; known:"),
        (("--stack", "cyclecloud@8", "--project", "slurm@0.1"), "version 0.1 unknown to the catalog"),
        (("--stack", "parallelcluster@3.9.0"), "no standalone installer known for parallelcluster 3.9.0"),
        (("--stack", "nope@1"), "unknown stack 'nope'"),
        (("--project", "slurm"), "--project needs --stack cyclecloud@VERSION"),
        (("missing.yaml",), "missing.yaml: cannot read"),
    ],
)
def test_bad_input_is_one_clear_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    """Exit 1, no traceback."""
    code, out, err = _run(capsys, *argv)
    assert code == 1 and out == "" and message in err


def test_a_file_that_is_no_input_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Neither policy, report nor config: the config loader says what it is not."""
    path = tmp_path / "x.yaml"
    path.write_text("hello: world\n")
    code, _, err = _run(capsys, str(path))
    assert code == 1 and "x.yaml" in err
