"""Catalog artefacts: the files a stack needs carried into an isolated network, each with its source.

A catalog file's ``artefacts:`` section lists, per role:

- ``pcluster-installer``: the ParallelCluster standalone installer of one version (its URL, its published
  ``-sha256sum`` file when the guide links one, and the Node.js version the installer bundles, which is the
  Node.js the CLI of that version runs on). Build number and Node.js version are not derivable from the
  ParallelCluster version, so each version that has an installer is listed with the page that gave its URL.
- ``cyclecloud-project``: a CycleCloud cluster project (its GitHub repository, and the release versions a
  source names). A release's assets are only known when it is fetched.

Checked after the schema (:func:`parse_artefacts`): ids and (role, version or project) unique; ``serves``
names entries of the same file; an installer's file name carries its version and Node.js version; its checksum
URL is the installer URL plus ``-sha256sum``.

>>> a = CatalogArtefact("x", "pcluster-installer", "p", "cli-install", ("cli-pypi",), "https://s", version="3.5.1",
...     url="https://h/parallelcluster/3.5.1/installer/pcluster-installer-bundle-3.5.1.36-node-v16.19.0-L.zip",
...     node="16.19.0")
>>> a.file_name, a.nodejs_url
('pcluster-installer-bundle-3.5.1.36-node-v16.19.0-L.zip', 'https://nodejs.org/dist/v16.19.0/node-v16.19.0-linux-x64.tar.xz')
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..errors import ConfigError

Role = Literal["pcluster-installer", "cyclecloud-project"]
ROLES: tuple[Role, ...] = ("pcluster-installer", "cyclecloud-project")
NODEJS_DIST = "https://nodejs.org/dist"
"""Where Node.js releases live: ``v<ver>/node-v<ver>-linux-x64.tar.xz`` beside ``v<ver>/SHASUMS256.txt``."""


@dataclass(frozen=True, slots=True)
class CatalogArtefact:
    """One sourced artefact line of a stack's catalog."""

    id: str
    role: Role
    purpose: str
    phase: str
    serves: tuple[str, ...]
    """Ids of this file's entries that the artefact stands in for (reached no more once it is carried)."""
    source: str
    version: str = ""
    """The stack version (``pcluster-installer``)."""
    url: str = ""
    checksum_url: str = ""
    """The published checksum file's URL, when the source links one."""
    node: str = ""
    """The Node.js version the installer bundles (and the CLI of this version runs on)."""
    project: str = ""
    """The CycleCloud project name (``cyclecloud-project``)."""
    repository: str = ""
    """``OWNER/NAME`` on GitHub (``cyclecloud-project``)."""
    versions: tuple[str, ...] = ()
    """Release versions (= tags) a source names (``cyclecloud-project``), oldest first."""
    confidence: str = "documented"
    notes: str = ""

    @property
    def file_name(self) -> str:
        """The last path segment of ``url``."""
        return self.url.rsplit("/", 1)[-1]

    @property
    def nodejs_url(self) -> str:
        """The Linux x64 Node.js tarball of ``node`` on nodejs.org."""
        return f"{NODEJS_DIST}/v{self.node}/node-v{self.node}-linux-x64.tar.xz"

    @property
    def nodejs_checksum_url(self) -> str:
        """The release's ``SHASUMS256.txt``."""
        return f"{NODEJS_DIST}/v{self.node}/SHASUMS256.txt"


class ArtefactError(ConfigError):
    """A catalog artefact breaks a rule the schema cannot say."""


def parse_artefacts(
    raw: Sequence[dict[str, Any]], origin: str, entry_ids: Iterable[str]
) -> tuple[CatalogArtefact, ...]:
    """Build and check a file's ``artefacts`` (already schema-valid)."""
    known = set(entry_ids)
    seen_ids: set[str] = set()
    seen_keys: set[tuple[str, str]] = set()
    out = []
    for item in raw:
        where = f"{origin}: artefact {item['id']!r}"
        art = CatalogArtefact(
            id=item["id"],
            role=item["role"],
            purpose=item["purpose"],
            phase=item["phase"],
            serves=tuple(item["serves"]),
            source=item["source"],
            version=item.get("version", ""),
            url=item.get("url", ""),
            checksum_url=item.get("checksum_url", ""),
            node=item.get("node", ""),
            project=item.get("project", ""),
            repository=item.get("repository", ""),
            versions=tuple(item.get("versions", ())),
            confidence=item.get("confidence", "documented"),
            notes=item.get("notes", ""),
        )
        if art.id in seen_ids:
            raise ArtefactError(f"{where}: duplicate id")
        seen_ids.add(art.id)
        key = (art.role, art.version or art.project)
        if key in seen_keys:
            raise ArtefactError(f"{where}: a second {art.role} for {key[1]}")
        seen_keys.add(key)
        unknown = sorted(set(art.serves) - known)
        if unknown:
            raise ArtefactError(f"{where}: serves {unknown}, not entries of this file")
        if art.role == "pcluster-installer":
            _check_installer(art, where)
        out.append(art)
    return tuple(out)


def _check_installer(art: CatalogArtefact, where: str) -> None:
    name = art.file_name
    if f"-{art.version}." not in name or f"-node-v{art.node}-" not in name:
        raise ArtefactError(
            f"{where}: file name {name!r} does not carry version {art.version} and node v{art.node}"
        )
    if f"/parallelcluster/{art.version}/" not in art.url:
        raise ArtefactError(f"{where}: url is not under parallelcluster/{art.version}/")
    if art.checksum_url and art.checksum_url != art.url + "-sha256sum":
        raise ArtefactError(f"{where}: checksum_url must be the installer url plus '-sha256sum'")
