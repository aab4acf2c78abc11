"""The bundle tests' world: a fake GitHub and mirror on loopback, and manifests that point at it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egressmap.bundle.fetch import FetchOptions, fetch_bundle
from egressmap.bundle.manifest import Artefact, Manifest, Serves, dump_manifest
from egressmap.bundle.net import Where

from .fake_github import Blob, FakeGitHub, sha
from .recording_proxy import RecordingProxy

PC_HOST = "us-east-1-aws-parallelcluster.s3.amazonaws.com"
PC_VERSION = "3.14.0"
PC_ZIP = "pcluster-installer-bundle-3.14.0.1209-node-v20.18.3-Linux_x86_64-signed.zip"
PC_URL = f"https://{PC_HOST}/parallelcluster/{PC_VERSION}/installer/{PC_ZIP}"
PC_BODY = b"PK\x03\x04 a fake installer zip " * 200
SLURM_ASSETS = {
    "azure-slurm-pkg-3.0.8.tar.gz": Blob(b"\x1f\x8b packages " * 5000, break_first=True),
    "cyclecloud_api-8.1.0-py2.py3-none-any.whl": Blob(b"PK wheel " * 300),
    "slurm-23.11.9-1.el8.x86_64.rpm": Blob(b"\xed\xab\xee\xdb rpm " * 700),
}
SLURM_DIGESTS = {
    "azure-slurm-pkg-3.0.8.tar.gz": sha(SLURM_ASSETS["azure-slurm-pkg-3.0.8.tar.gz"].body),
    "cyclecloud_api-8.1.0-py2.py3-none-any.whl": sha(
        SLURM_ASSETS["cyclecloud_api-8.1.0-py2.py3-none-any.whl"].body
    ),
    "slurm-23.11.9-1.el8.x86_64.rpm": None,  # an older release: no digest, the sha256 is only recorded
}
SLURM_SOURCE = {
    "project.ini": b"[project]\nname = slurm\nversion = 3.0.8\n",
    "specs/default/cluster-init/scripts/00-install.sh": b"#!/bin/bash\necho install\n",
    "templates/slurm.txt": b"[cluster Slurm]\n",
}


PROXY_VARIABLES = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")


@pytest.fixture(autouse=True)
def _no_proxy_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests' own proxy settings only: none from the machine running them."""
    for name in (*PROXY_VARIABLES, "no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[RecordingProxy]:
    """egressmap's recording proxy on 127.0.0.1 (audit mode: everything allowed)."""
    running = RecordingProxy(tmp_path)
    yield running
    running.close()


@dataclass
class World:
    """The server and the manifests the tests fetch."""

    gh: FakeGitHub
    good: Path
    bad: Path

    def flags(self) -> list[str]:
        """Where from: the fake GitHub API, the installer's mirror, the test CA."""
        return [
            "--github-api",
            self.gh.api,
            "--mirror",
            f"{PC_HOST}={self.gh.base}/mirror",
            "--ca-file",
            str(self.gh.ca_file),
        ]


def good_manifest() -> Manifest:
    """A CycleCloud project release and the ParallelCluster installer with its checksum file."""
    return Manifest(
        planned_from="tests",
        artefacts=(
            Artefact(
                path="cyclecloud/projects/slurm/3.0.8",
                kind="github-release",
                repository="Azure/cyclecloud-slurm",
                tag="3.0.8",
                source_archive=True,
                serves=(Serves("github.com", "staging"),),
            ),
            Artefact(
                path=f"parallelcluster/{PC_VERSION}/{PC_ZIP}",
                url=PC_URL,
                checksum_url=f"{PC_URL}-sha256sum",
                serves=(Serves("parallelcluster-installer", "cli"),),
            ),
            Artefact(
                path=f"parallelcluster/{PC_VERSION}/{PC_ZIP}-sha256sum",
                url=f"{PC_URL}-sha256sum",
                serves=(Serves("parallelcluster-installer", "cli"),),
            ),
        ),
    )


def bad_manifest() -> Manifest:
    """A release with a wrong digest, a 0-byte and an HTML asset; a file sniffed as HTML; a wrong checksum."""
    return Manifest(
        planned_from="tests",
        artefacts=(
            Artefact(
                path="cyclecloud/projects/bad/1.0.0",
                kind="github-release",
                repository="Azure/cyclecloud-bad",
                tag="1.0.0",
            ),
            Artefact(path="downloads/example.test/login.bin", url="https://example.test/login.bin"),
            Artefact(
                path="downloads/example.test/tool.tar.gz",
                url="https://example.test/tool.tar.gz",
                checksum_url="https://example.test/SHASUMS256.txt",
            ),
        ),
    )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A fresh fake GitHub (each test counts its own requests) and the two manifests on disk."""
    gh = FakeGitHub(tmp_path)
    assets = {k: Blob(v.body, v.content_type, v.break_first) for k, v in SLURM_ASSETS.items()}
    gh.add_release("Azure/cyclecloud-slurm", "3.0.8", assets, SLURM_DIGESTS, SLURM_SOURCE)
    gh.blobs[f"/mirror/parallelcluster/{PC_VERSION}/installer/{PC_ZIP}"] = Blob(PC_BODY)
    sums = f"{sha(PC_BODY)}  {PC_ZIP}\n".encode()
    gh.blobs[f"/mirror/parallelcluster/{PC_VERSION}/installer/{PC_ZIP}-sha256sum"] = Blob(sums, "text/plain")
    bad = {
        "wrong.bin": Blob(b"not what was published " * 10),
        "empty.bin": Blob(b""),
        "error.bin": Blob(b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"),
    }
    gh.add_release("Azure/cyclecloud-bad", "1.0.0", bad, {"wrong.bin": "0" * 64}, {"README": b"x"})
    gh.blobs["/mirror-example/login.bin"] = Blob(b"\n  <!DOCTYPE html><title>Sign in</title>")
    gh.blobs["/mirror-example/tool.tar.gz"] = Blob(b"a tool " * 50)
    gh.blobs["/mirror-example/SHASUMS256.txt"] = Blob(
        f"{'1' * 64}  tool.tar.gz\n{'2' * 64}  other.tar.gz\n".encode(), "text/plain"
    )
    good, badm = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(dump_manifest(good_manifest()), encoding="utf-8")
    badm.write_text(dump_manifest(bad_manifest()), encoding="utf-8")
    yield World(gh, good, badm)
    gh.close()


@pytest.fixture
def fetched(world: World, tmp_path: Path) -> Path:
    """The good manifest fetched into tmp_path/bundle."""
    out = tmp_path / "bundle"
    where = Where.from_flags([f"{PC_HOST}={world.gh.base}/mirror"], world.gh.api)
    opts = FetchOptions(where=where, ca_file=str(world.gh.ca_file))
    fetch_bundle(world.good.read_text(), str(world.good), out, opts)
    return out


@pytest.fixture
def world_base(world: World) -> str:
    """The fake server's base URL."""
    return world.gh.base
