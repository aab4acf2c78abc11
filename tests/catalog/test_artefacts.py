"""Catalog artefacts: every one sourced, installer names consistent, bad lines refused with their id."""

from __future__ import annotations

import re

import pytest
from packaging.version import Version

from egressmap.catalog import bundled, parse_catalog
from egressmap.catalog.artefacts import ArtefactError, CatalogArtefact, parse_artefacts

_BASE = """schema: egressmap.catalog/1
stack: demo
title: Demo
provider: aws
versions: ["3.0"]
entries:
  - id: cli-pypi
    hosts: [pypi.org]
    ports: [443]
    protocol: https
    purpose: pip
    component: cli
    phase: cli-install
    confidence: documented
    source: https://example.com/doc
artefacts:
"""
_URL = "https://b.example.com/parallelcluster/3.0.1/installer/pcluster-installer-bundle-3.0.1.7-node-v16.1.0-Linux.zip"


def _installer(**over: str) -> str:
    fields = {
        "id": "installer-3.0.1",
        "role": "pcluster-installer",
        "version": '"3.0.1"',
        "url": _URL,
        "node": '"16.1.0"',
        "purpose": "installer",
        "phase": "cli-install",
        "serves": "[cli-pypi]",
        "source": "https://example.com/doc",
        **over,
    }
    return "  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items() if v) + "\n"


def test_every_bundled_artefact_names_a_https_source() -> None:
    """Each artefact cites where its URL or versions come from."""
    artefacts = [a for cat in bundled().values() for a in cat.artefacts]
    assert len(artefacts) >= 7
    for a in artefacts:
        assert re.match(r"^https://\S+$", a.source), a.id


def test_bundled_installers_carry_their_version_and_node_in_the_file_name() -> None:
    """The known installers, sorted, with checksum files where the guide links one."""
    cat = bundled()["parallelcluster"]
    installers = sorted(
        (a for a in cat.artefacts if a.role == "pcluster-installer"), key=lambda a: Version(a.version)
    )
    assert [(a.version, a.node, bool(a.checksum_url)) for a in installers] == [
        ("3.5.1", "16.19.0", False),
        ("3.14.0", "20.18.3", True),
        ("3.15.0", "22.22.0", True),
    ]
    assert all(f"-{a.version}." in a.file_name for a in installers)


def test_bundled_projects_name_their_repositories() -> None:
    """CycleCloud projects: name, repository and versions."""
    projects = {a.project: (a.repository, a.versions) for a in bundled()["cyclecloud"].artefacts}
    assert projects["slurm"] == ("Azure/cyclecloud-slurm", ("2.5.0", "2.5.1", "2.6.1", "3.0.8"))
    assert set(projects) == {"slurm", "pbspro", "gridengine", "htcondor"}


def test_a_good_installer_line_loads() -> None:
    """A minimal file with one installer."""
    cat = parse_catalog(_BASE + _installer(), "demo.yaml")
    assert cat.artefacts[0].nodejs_checksum_url == "https://nodejs.org/dist/v16.1.0/SHASUMS256.txt"


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"node": '"18.0.0"'}, "does not carry version 3.0.1 and node v18.0.0"),
        ({"serves": "[nope]"}, "serves ['nope'], not entries of this file"),
        ({"checksum_url": "https://b.example.com/other-sha256sum"}, "plus '-sha256sum'"),
        (
            {"version": '"3.0.2"', "url": _URL.replace("3.0.1.7", "3.0.2.7")},
            "not under parallelcluster/3.0.2/",
        ),
        ({"source": "http://insecure.example.com"}, "artefact 'installer-3.0.1' (artefacts[0])"),
        ({"project": "slurm"}, "artefact 'installer-3.0.1'"),
    ],
)
def test_a_bad_installer_line_is_refused_by_id(over: dict[str, str], message: str) -> None:
    """Each rule names the artefact."""
    with pytest.raises(Exception, match=re.escape(message)):
        parse_catalog(_BASE + _installer(**over), "demo.yaml")


def test_two_installers_of_one_version_are_refused() -> None:
    """One installer per version."""
    line = {
        "id": "a",
        "role": "pcluster-installer",
        "purpose": "p",
        "phase": "cli-install",
        "serves": ["x"],
        "source": "https://s",
        "version": "3.0.1",
        "url": _URL,
        "node": "16.1.0",
    }
    with pytest.raises(ArtefactError, match="a second pcluster-installer for 3.0.1"):
        parse_artefacts([line, {**line, "id": "b"}], "f.yaml", ["x"])
    with pytest.raises(ArtefactError, match="duplicate id"):
        parse_artefacts([line, {**line, "version": "3.0.2"}], "f.yaml", ["x"])


def test_the_node_urls_follow_the_dist_layout() -> None:
    """nodejs.org/dist/v<ver>/node-v<ver>-linux-x64.tar.xz."""
    a = CatalogArtefact("n", "pcluster-installer", "p", "cli-install", (), "https://s", node="20.1.0")
    assert a.nodejs_url == "https://nodejs.org/dist/v20.1.0/node-v20.1.0-linux-x64.tar.xz"
