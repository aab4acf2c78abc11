"""bundle stage parallelcluster: the installer checked again, S3 layout, user data and isolated settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from egressmap.cli import main

from .conftest import PC_BODY, PC_VERSION, PC_ZIP
from .fake_github import sha


def test_stage_writes_installer_user_data_and_settings(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zip and its -sha256sum under the S3 prefix, user data pinning the sha256, the seed-002 settings."""
    stage = tmp_path / "stage"
    argv = ["bundle", "stage", "parallelcluster", str(fetched), "--version", PC_VERSION, "-o", str(stage)]
    assert main([*argv, "--bucket", "hpc-isolated"]) == 0
    files = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*") if p.is_file())
    assert files == [
        "admin-node-user-data.sh",
        "cluster-config-isolated.yaml",
        f"parallelcluster/{PC_VERSION}/{PC_ZIP}",
        f"parallelcluster/{PC_VERSION}/{PC_ZIP}-sha256sum",
    ]
    assert (stage / f"parallelcluster/{PC_VERSION}/{PC_ZIP}").read_bytes() == PC_BODY
    user_data = (stage / "admin-node-user-data.sh").read_text()
    assert f'SHA256="{sha(PC_BODY)}"' in user_data and 'BUCKET="hpc-isolated"' in user_data
    for line in (
        'aws s3 cp "s3://$BUCKET/$PREFIX/$ZIP" . --region "$REGION"',
        'echo "$SHA256  $ZIP" | sha256sum -c -',
        "bash install_pcluster.sh",
        "export AWS_STS_REGIONAL_ENDPOINTS=regional",
    ):
        assert line in user_data
    config = yaml.safe_load((stage / "cluster-config-isolated.yaml").read_text())
    assert config["Scheduling"]["SlurmSettings"]["Dns"] == {
        "DisableManagedDns": True,
        "UseEc2Hostnames": True,
    }
    out = capsys.readouterr().out
    assert (
        f"aws s3 cp {stage}/parallelcluster/{PC_VERSION}/ s3://hpc-isolated/parallelcluster/{PC_VERSION}/"
        in out
    )
    assert "--suppress-validators type:AdditionalIamPolicyValidator" in out
    assert "export AWS_STS_REGIONAL_ENDPOINTS=regional" in out


def test_an_unknown_version_lists_what_the_bundle_holds(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another version: exit 1, the versions the bundle holds."""
    argv = [
        "bundle",
        "stage",
        "parallelcluster",
        str(fetched),
        "--version",
        "3.9.0",
        "-o",
        str(tmp_path / "s"),
    ]
    assert main(argv) == 1
    assert f"has no ParallelCluster 3.9.0 installer; it holds: {PC_VERSION}" in capsys.readouterr().err


def test_a_changed_installer_is_refused(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The zip changed after fetch: refused before anything is staged."""
    (fetched / f"parallelcluster/{PC_VERSION}/{PC_ZIP}").write_bytes(b"PK changed")
    stage = tmp_path / "s"
    argv = ["bundle", "stage", "parallelcluster", str(fetched), "--version", PC_VERSION, "-o", str(stage)]
    assert main(argv) == 1
    assert "not what the lock says" in capsys.readouterr().err
    assert not stage.exists()


def test_without_a_bucket_the_placeholder_is_named(
    fetched: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No --bucket: a placeholder the steps tell the user to replace."""
    argv = [
        "bundle",
        "stage",
        "parallelcluster",
        str(fetched),
        "--version",
        PC_VERSION,
        "-o",
        str(tmp_path / "s"),
    ]
    assert main(argv) == 0
    assert "Replace YOUR-BUCKET" in capsys.readouterr().out
