"""The admin node's user data that `bundle stage parallelcluster` writes, run for real: bash, sha256sum and unzip
as on the node; `curl` (instance metadata), `aws` (the S3 copy) and `pcluster` are stand-ins on PATH, so nothing
leaves the machine; /opt is a tmpfs in a private mount namespace, where the script installs."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from egressmap.bundle.stage_parallelcluster import StagedInstaller, user_data

ZIP = "pcluster-installer-bundle-3.14.0.1209-node-v20.18.3-Linux_x86_64-signed.zip"
STANDINS = {
    "curl": '#!/bin/sh\ncase "$*" in *api/token*) echo token;; *placement/region*) echo us-east-1;; esac\n',
    # aws s3 cp s3://BUCKET/PREFIX/ZIP . --region R: copied from the staged directory; the call is recorded
    "aws": '#!/bin/sh\necho "$@" >> "$LOG"\ncp "$STAGED/$(basename "$3")" "$4"\n',
    "pcluster": '#!/bin/sh\necho "pcluster $*" >> "$LOG"\n',
}


def _works() -> bool:
    if shutil.which("unshare") is None or shutil.which("unzip") is None:
        return False
    probe = "mount -t tmpfs tmpfs /opt"
    return (
        subprocess.run(["unshare", "-Urm", "sh", "-c", probe], capture_output=True, check=False).returncode
        == 0
    )


def _run(tmp_path: Path, body: bytes, pinned: bytes) -> tuple[int, str, str]:
    """Stage ``body`` as the installer zip, pin the sha256 of ``pinned`` in the user data, run it."""
    staged, bin_dir = tmp_path / "staged", tmp_path / "bin"
    staged.mkdir()
    bin_dir.mkdir()
    (staged / ZIP).write_bytes(body)
    for name, text in STANDINS.items():
        (bin_dir / name).write_text(text)
        (bin_dir / name).chmod(0o755)
    info = StagedInstaller(
        "3.14.0", ZIP, hashlib.sha256(pinned).hexdigest(), staged, "hpc-isolated", "pc/3.14.0"
    )
    script = tmp_path / "user-data.sh"
    script.write_text(user_data(info))
    log = tmp_path / "calls.log"
    inner = (
        f'mount -t tmpfs tmpfs /opt && PATH="{bin_dir}:$PATH" LOG="{log}" STAGED="{staged}" '
        f'bash "{script}"; code=$?; ls /opt/pcluster-installer/pcluster-installer-bundle 2>/dev/null; '
        "cat /opt/installed 2>/dev/null; exit $code"
    )
    done = subprocess.run(["unshare", "-Urm", "sh", "-c", inner], capture_output=True, text=True, check=False)
    return done.returncode, done.stdout, log.read_text() if log.exists() else ""


def _installer_zip(tmp_path: Path) -> bytes:
    path = tmp_path / "installer.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("install_pcluster.sh", 'echo "installed from $(pwd)" > /opt/installed\n')
        z.writestr("README", "a stand-in installer\n")
    return path.read_bytes()


pytestmark = pytest.mark.skipif(not _works(), reason="needs unshare -Urm, a tmpfs mount and unzip")


def test_the_user_data_copies_checks_unzips_and_installs(tmp_path: Path) -> None:
    body = _installer_zip(tmp_path)
    code, out, calls = _run(tmp_path, body, pinned=body)
    assert code == 0, out
    assert "installed from /opt/pcluster-installer/pcluster-installer-bundle" in out
    assert f"s3 cp s3://hpc-isolated/pc/3.14.0/{ZIP} . --region us-east-1" in calls
    assert "pcluster version" in calls


def test_a_changed_installer_stops_the_user_data_before_it_runs(tmp_path: Path) -> None:
    body = _installer_zip(tmp_path)
    code, out, calls = _run(tmp_path, body, pinned=body + b"\0")
    assert code != 0
    assert f"{ZIP}: FAILED" in out  # sha256sum -c said why
    assert "installed from" not in out and "pcluster version" not in calls
