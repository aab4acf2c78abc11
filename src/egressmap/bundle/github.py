"""A GitHub release's files: its assets (listed through the REST API, every page) and its tag's source archive.

API (https://docs.github.com/en/rest/releases/releases#get-a-release-by-tag-name and
https://docs.github.com/en/rest/releases/assets#list-release-assets): ``GET {api}/repos/{owner}/{repo}/releases/
tags/{tag}`` gives the release's ``id``; ``GET {api}/repos/{owner}/{repo}/releases/{id}/assets?per_page=100``
lists the assets, further pages in the ``Link`` header's ``rel="next"``. Each asset has ``name``, ``size``,
``browser_download_url``, ``state`` and, on github.com since 2025, ``digest`` (``sha256:HEX``). The tag's source
archive is ``https://github.com/{owner}/{repo}/archive/refs/tags/{tag}.tar.gz`` and unpacks to
``{repo}-{tag}/`` (the layout seed 003's ``tar -xf`` relies on).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .manifest import Artefact, BundleError, check_path
from .net import GITHUB_WEB, Client, FetchError, Where

_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')
MAX_PAGES = 50


@dataclass(frozen=True)
class ReleaseFile:
    """One file of a release: where it goes in the bundle, its canonical URL and where it is fetched from."""

    path: str
    url: str
    source: str
    size: int | None = None
    sha256: str | None = None
    """The asset's ``digest`` when GitHub gives one."""


def archive_name(repository: str, tag: str) -> str:
    """``{repo}-{tag}.tar.gz``: the source archive's name in the bundle (and its top directory, less ``.tar.gz``)."""
    return f"{repository.split('/', 1)[1]}-{tag}.tar.gz"


def release_files(client: Client, where: Where, artefact: Artefact) -> list[ReleaseFile]:
    """The release's assets (and source archive when asked), sorted by path; FetchError naming what is wrong."""
    owner_repo, tag = artefact.repository, artefact.tag
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    token = os.environ.get("GITHUB_TOKEN")
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{where.github_api}/repos/{owner_repo}/releases/tags/{quote(tag, safe='')}"
    try:
        release, _ = client.json(url, headers)
    except FetchError as exc:
        if str(exc).startswith("HTTP 404"):
            raise FetchError(
                f"unknown release: {owner_repo} has no release tagged {tag!r} (or no such repository): "
                f"404 from {url}"
            ) from None
        raise
    if not isinstance(release, dict) or "id" not in release:
        raise FetchError(f"{url}: not a GitHub release (no 'id')")
    files = [_asset(item, artefact, where) for item in _assets(client, where, owner_repo, release, headers)]
    if artefact.source_archive:
        name = archive_name(owner_repo, tag)
        tail = f"/{owner_repo}/archive/refs/tags/{quote(tag)}.tar.gz"
        files.append(
            ReleaseFile(
                path=f"{artefact.path}/{name}",
                url=GITHUB_WEB + tail,
                source=where.source(where.github_web + tail),
            )
        )
    paths = [f.path for f in files]
    if len(set(paths)) != len(paths):
        raise FetchError(f"{owner_repo}@{tag}: two release files share a name")
    return sorted(files, key=lambda f: f.path)


def _assets(
    client: Client, where: Where, owner_repo: str, release: dict[str, Any], headers: dict[str, str]
) -> list[dict[str, Any]]:
    url: str | None = f"{where.github_api}/repos/{owner_repo}/releases/{release['id']}/assets?per_page=100"
    out: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return [a for a in out if a.get("state", "uploaded") == "uploaded"]
        page, got = client.json(url, headers)
        if not isinstance(page, list):
            raise FetchError(f"{url}: not a list of release assets")
        out.extend(a for a in page if isinstance(a, dict))
        found = _NEXT.search(got.get("link", ""))
        url = found.group(1) if found else None
    raise FetchError(f"{owner_repo}: more than {MAX_PAGES} pages of release assets")


def _asset(item: dict[str, Any], artefact: Artefact, where: Where) -> ReleaseFile:
    name = str(item.get("name", ""))
    path = f"{artefact.path}/{name}"
    try:
        check_path(path)
        if "/" in name:
            raise BundleError(f"asset name {name!r} has a '/'")
    except BundleError as exc:
        raise FetchError(f"{artefact.repository}@{artefact.tag}: {exc}") from None
    digest = item.get("digest")
    sha = None
    if isinstance(digest, str) and digest.startswith("sha256:"):
        sha = digest.removeprefix("sha256:").lower()
    size = item.get("size")
    download = str(item.get("browser_download_url") or "")
    tail = f"/{artefact.repository}/releases/download/{quote(artefact.tag)}/{quote(name)}"
    return ReleaseFile(
        path=path,
        url=GITHUB_WEB + tail,
        source=where.source(download or where.github_web + tail),
        size=size if isinstance(size, int) and size > 0 else None,
        sha256=sha,
    )
