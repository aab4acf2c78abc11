"""From plan to stage through the command line: what `bundle plan` writes, `bundle fetch` fetches (from the fake
GitHub and a mirror on loopback), `bundle verify` accepts and `bundle stage` lays out."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.cli import main

from .conftest import PC_BODY, PC_HOST, PC_VERSION, PC_ZIP, SLURM_ASSETS, World
from .fake_github import Blob, sha

NODE = "node-v20.18.3-linux-x64.tar.xz"
NODE_BODY = b"\xfd7zXZ a fake node " * 300


def test_plan_fetch_verify_stage(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    gh = world.gh
    gh.blobs[f"/node/dist/v20.18.3/{NODE}"] = Blob(NODE_BODY)
    gh.blobs["/node/dist/v20.18.3/SHASUMS256.txt"] = Blob(
        f"{'3' * 64}  node-v20.18.3-darwin-arm64.tar.gz\n{sha(NODE_BODY)}  {NODE}\n".encode(), "text/plain"
    )
    pc, cc = tmp_path / "pc.yaml", tmp_path / "cc.yaml"
    assert main(["bundle", "plan", "--stack", f"parallelcluster@{PC_VERSION}", "-o", str(pc)]) == 0
    assert main(["bundle", "plan", "--stack", "cyclecloud@8", "--project", "slurm@3.0.8", "-o", str(cc)]) == 0
    assert PC_ZIP in pc.read_text() and "Azure/cyclecloud-slurm" in cc.read_text()
    flags = [
        "--github-api",
        gh.api,
        "--mirror",
        f"{PC_HOST}={gh.base}/mirror",
        "--mirror",
        f"nodejs.org={gh.base}/node",
        "--ca-file",
        str(gh.ca_file),
    ]
    for manifest, out in ((pc, tmp_path / "pc"), (cc, tmp_path / "cc")):
        assert main(["bundle", "fetch", str(manifest), "-o", str(out), "-q", *flags]) == 0, (
            capsys.readouterr()
        )
        assert main(["bundle", "verify", str(out)]) == 0
    lock = (tmp_path / "pc" / "egressmap-bundle.lock.yaml").read_text()
    assert (
        f"url: https://{PC_HOST}/parallelcluster/{PC_VERSION}/installer/{PC_ZIP}\n" in lock
    )  # not the mirror
    assert "checked: published" in lock
    stage = tmp_path / "stage"
    assert (
        main(["bundle", "stage", "cyclecloud", str(tmp_path / "cc"), "--project", "slurm", "-o", str(stage)])
        == 0
    )
    assert sorted(p.name for p in (stage / "projects/slurm/blobs").iterdir()) == sorted(SLURM_ASSETS)
    pcs = tmp_path / "pcstage"
    args = [
        "bundle",
        "stage",
        "parallelcluster",
        str(tmp_path / "pc"),
        "--version",
        PC_VERSION,
        "-o",
        str(pcs),
    ]
    assert main(args) == 0
    assert (pcs / "parallelcluster" / PC_VERSION / PC_ZIP).read_bytes() == PC_BODY


def test_loading_the_cli_leaves_the_bundle_machinery_alone() -> None:
    """Every command pays for the CLI's imports: urllib3, rich's progress and the fetch code wait for a fetch."""
    import subprocess
    import sys

    heavy = ("urllib3", "rich.progress", "egressmap.bundle.fetch", "egressmap.bundle.stage_cyclecloud")
    code = f"import sys, egressmap.cli; egressmap.cli.parser(); print([m for m in {heavy!r} if m in sys.modules])"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
