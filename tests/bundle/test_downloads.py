"""Download-like URLs and their bundle paths."""

from __future__ import annotations

import pytest

from egressmap.bundle.downloads import bundle_path, is_download_like
from egressmap.bundle.manifest import BundleError


@pytest.mark.parametrize(
    "url",
    [
        "https://e.com/a/tool-1.0.zip",
        "https://e.com/a/tool.tar.gz",
        "https://e.com/a/tool.tgz",
        "https://e.com/a/tool.tar.xz",
        "https://e.com/a/p-1.0-1.el9.x86_64.rpm",
        "https://e.com/a/p_1.0_amd64.deb",
        "https://e.com/a/p-1.0-py3-none-any.whl",
        "https://e.com/a/NVIDIA-Linux.run",
        "https://e.com/a/install.sh",
        "https://e.com/a/key.gpg",
        "https://e.com/a/key.asc",
        "https://e.com/a/repo.key",
        "https://e.com/a/RPM-GPG-KEY-EPEL-9",
    ],
)
def test_archives_packages_installers_and_keys_are_downloads(url: str) -> None:
    """Each suffix the brief names counts."""
    assert is_download_like(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://e.com/repodata/repomd.xml",
        "http://archive.ubuntu.com/ubuntu/dists/jammy/InRelease",
        "https://pypi.org/simple/requests/",
        "https://e.com/",
        "ftp://e.com/pub/tool.tar.gz",
        "https://docs.e.com/guide/install.html",
    ],
)
def test_metadata_pages_and_other_schemes_are_not(url: str) -> None:
    """Indexes, pages and non-http schemes are not carried as files."""
    assert not is_download_like(url)


def test_paths_are_host_then_url_path() -> None:
    """Default ports vanish; others are kept beside the host; %-escapes are decoded."""
    assert bundle_path("https://E.com/a//b/t%201.zip") == "downloads/e.com/a/b/t 1.zip"
    assert bundle_path("https://e.com:8443/t.zip") == "downloads/e.com_8443/t.zip"


@pytest.mark.parametrize("url", ["https://e.com/a/%2e%2e/x.zip", "https://e.com/", "https://e.com/a/%0a.zip"])
def test_a_path_that_could_escape_the_bundle_is_refused(url: str) -> None:
    """``..``, nothing, or a control character."""
    with pytest.raises(BundleError):
        bundle_path(url)
