"""A release's files through the (fake) GitHub API: every page of assets, digests, canonical URLs."""

from __future__ import annotations

from egressmap.bundle.github import archive_name, release_files
from egressmap.bundle.manifest import Artefact
from egressmap.bundle.net import Client, Where

from .conftest import SLURM_ASSETS, SLURM_DIGESTS, World


def test_every_page_of_assets_with_canonical_urls(world: World) -> None:
    """Three assets over two API pages, the digests given, github.com in the lock URL, the fake as source."""
    release = Artefact(
        path="cyclecloud/projects/slurm/3.0.8",
        kind="github-release",
        repository="Azure/cyclecloud-slurm",
        tag="3.0.8",
        source_archive=True,
    )
    files = release_files(Client(str(world.gh.ca_file)), Where.from_flags([], world.gh.api), release)
    names = sorted(SLURM_ASSETS) + [archive_name("Azure/cyclecloud-slurm", "3.0.8")]
    assert [f.path for f in files] == sorted(f"cyclecloud/projects/slurm/3.0.8/{n}" for n in names)
    by_name = {f.path.rsplit("/", 1)[1]: f for f in files}
    for name, blob in SLURM_ASSETS.items():
        f = by_name[name]
        assert f.size == len(blob.body) and f.sha256 == SLURM_DIGESTS[name]
        assert f.url == f"https://github.com/Azure/cyclecloud-slurm/releases/download/3.0.8/{name}"
        assert f.source == f"{world.gh.base}/Azure/cyclecloud-slurm/releases/download/3.0.8/{name}"
    archive = by_name["cyclecloud-slurm-3.0.8.tar.gz"]
    assert archive.url == "https://github.com/Azure/cyclecloud-slurm/archive/refs/tags/3.0.8.tar.gz"
    assert archive.source == f"{world.gh.base}/Azure/cyclecloud-slurm/archive/refs/tags/3.0.8.tar.gz"
    pages = [p for p, _ in world.gh.requests if "/assets?" in p]
    assert len(pages) == 2 and pages[1].endswith("&page=2")
