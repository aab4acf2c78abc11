"""Catalog artefacts for STACK@VERSION at the paths fetch and stage expect; unknown names listed."""

from __future__ import annotations

import pytest

from egressmap.bundle.manifest import Serves
from egressmap.bundle.stacks import stack_artefacts
from egressmap.errors import ConfigError

ZIP = "pcluster-installer-bundle-3.14.0.1209-node-v20.18.3-Linux_x86_64-signed.zip"


def test_parallelcluster_gives_installer_its_checksum_file_and_nodejs() -> None:
    """Three files, by the shared path conventions."""
    artefacts, notes = stack_artefacts("parallelcluster@3.14.0")
    by_path = {a.path: a for a in artefacts}
    assert sorted(by_path) == [
        "nodejs/v20.18.3/node-v20.18.3-linux-x64.tar.xz",
        f"parallelcluster/3.14.0/{ZIP}",
        f"parallelcluster/3.14.0/{ZIP}-sha256sum",
    ]
    installer = by_path[f"parallelcluster/3.14.0/{ZIP}"]
    assert installer.checksum_url == installer.url + "-sha256sum"
    assert by_path[f"parallelcluster/3.14.0/{ZIP}-sha256sum"].url == installer.checksum_url
    assert Serves("parallelcluster/cli-pypi", "cli-install") in installer.serves
    assert by_path["nodejs/v20.18.3/node-v20.18.3-linux-x64.tar.xz"].checksum_url == (
        "https://nodejs.org/dist/v20.18.3/SHASUMS256.txt"
    )
    assert notes == []


def test_an_installer_without_a_published_checksum_says_so() -> None:
    """3.5.1's guide links no -sha256sum: no checksum artefact, a note."""
    artefacts, notes = stack_artefacts("parallelcluster@3.5.1")
    assert len(artefacts) == 2 and all(
        a.checksum_url is None for a in artefacts if "parallelcluster/" in a.path
    )
    assert notes == [
        "parallelcluster 3.5.1: no published checksum for the installer; its sha256 is recorded when fetched"
    ]


def test_a_cyclecloud_project_is_one_release_with_its_source_archive() -> None:
    """cyclecloud/projects/<name>/<version>, tag = version; 8.x reads as 8."""
    (art,), (note,) = stack_artefacts("cyclecloud@8.x", ["slurm@3.0.8"])
    assert (art.path, art.kind, art.repository, art.tag, art.source_archive) == (
        "cyclecloud/projects/slurm/3.0.8",
        "github-release",
        "Azure/cyclecloud-slurm",
        "3.0.8",
        True,
    )
    assert "cycle_server execute" in note and '"slurm"' in note


def test_a_project_without_a_version_takes_the_newest_known() -> None:
    """And the note says so."""
    (art,), (note,) = stack_artefacts("cyclecloud@8", ["htcondor"])
    assert art.tag == "1.1.0" and "the newest the catalog knows" in note


@pytest.mark.parametrize(
    ("spec", "projects", "message"),
    [
        ("nope@1", [], "unknown stack 'nope'; known: cyclecloud, parallelcluster"),
        (
            "parallelcluster@3.9.0",
            [],
            "no standalone installer known for parallelcluster 3.9.0; the catalog has one for 3.5.1, 3.14.0, 3.15.0",
        ),
        ("parallelcluster@9.0", [], "the catalog covers parallelcluster"),
        ("cyclecloud@8", [], "cyclecloud needs --project NAME[@VERSION]; known projects: gridengine@2.0.10"),
        (
            "cyclecloud@8",
            ["lsf"],
            "unknown project; known: gridengine@2.0.10, htcondor@1.0.1|1.1.0, pbspro@1.4.0, slurm@",
        ),
        (
            "cyclecloud@8",
            ["slurm@9.9.9"],
            "version 9.9.9 unknown to the catalog; known: 2.5.0, 2.5.1, 2.6.1, 3.0.8",
        ),
        ("cyclecloud@8", ["slurm@x"], "'x' is not a version"),
        ("parallelcluster@3.14.0", ["slurm"], "--project is for cyclecloud projects"),
        (
            "ssm-session-manager",
            [],
            "lists nothing to carry; stacks with artefacts: cyclecloud, parallelcluster",
        ),
    ],
)
def test_unknown_names_and_versions_list_the_known_ones(spec: str, projects: list[str], message: str) -> None:
    """One clear error per mistake."""
    with pytest.raises(ConfigError) as info:
        stack_artefacts(spec, projects)
    assert message in str(info.value)
