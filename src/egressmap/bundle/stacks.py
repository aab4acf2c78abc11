"""Artefacts from the catalog: what a stack version needs carried, at the paths ``fetch`` and ``stage`` expect.

- ParallelCluster ``V``: the standalone installer at ``parallelcluster/V/<zip>`` (``checksum_url`` its
  published ``-sha256sum``), that checksum file itself at ``parallelcluster/V/<zip>-sha256sum``, and the
  Node.js the CLI runs on at ``nodejs/v<node>/node-v<node>-linux-x64.tar.xz`` (``checksum_url`` the release's
  ``SHASUMS256.txt``) for a pip-installed CLI.
- CycleCloud ``--project NAME[@VERSION]``: one ``github-release`` artefact at
  ``cyclecloud/projects/NAME/VERSION`` (repository, tag = version, the tag's source archive too).

Every unknown name or version is a :class:`~egressmap.errors.ConfigError` listing the known ones.
"""

from __future__ import annotations

from collections.abc import Sequence

from packaging.version import InvalidVersion, Version

from ..catalog import bundled, resolve
from ..catalog.artefacts import CatalogArtefact
from ..errors import ConfigError
from .manifest import Artefact, Serves

CYCLECLOUD_QUERY = (
    "/opt/cycle_server/cycle_server execute "
    "'select Name, Version, Url from cloud.project where name == \"{name}\" order by Version'"
)
"""Which versions of a project a running CycleCloud knows (it usually wants the highest)."""


def stack_artefacts(spec: str, projects: Sequence[str] = ()) -> tuple[list[Artefact], list[str]]:
    """The artefacts and manifest notes for ``STACK[@VERSION]`` (``8.x`` is read as ``8``) and its projects."""
    name, _, text = spec.partition("@")
    text = text.strip()
    if text.lower().endswith(".x"):
        text = text[:-2]
    cat, version = resolve(f"{name}@{text}" if text else name)
    if not cat.artefacts:
        having = sorted(c.stack for c in bundled().values() if c.artefacts)
        raise ConfigError(
            f"{cat.stack}: the catalog lists nothing to carry; stacks with artefacts: {', '.join(having)}"
        )
    if cat.stack == "cyclecloud":
        if not projects:
            raise ConfigError(
                f"cyclecloud needs --project NAME[@VERSION]; known projects: {_project_names(cat.artefacts)}"
            )
        artefacts: list[Artefact] = []
        notes: list[str] = []
        for wanted in projects:
            art, note = _project(cat.artefacts, wanted)
            artefacts.append(art)
            notes.append(note)
        return artefacts, notes
    if projects:
        raise ConfigError(f"--project is for cyclecloud projects, not {cat.stack}")
    return _installer(cat.stack, cat.artefacts, version)


def _installer(
    stack: str, known: Sequence[CatalogArtefact], version: Version
) -> tuple[list[Artefact], list[str]]:
    installers = [a for a in known if a.role == "pcluster-installer"]
    art = next((a for a in installers if Version(a.version) == version), None)
    if art is None:
        versions = ", ".join(a.version for a in sorted(installers, key=lambda a: Version(a.version)))
        raise ConfigError(
            f"no standalone installer known for {stack} {version}; the catalog has one for {versions} "
            f"(pass --stack {stack}@VERSION)"
        )
    serves = tuple(Serves(f"{stack}/{e}", art.phase) for e in art.serves)
    base = f"{stack}/{art.version}/{art.file_name}"
    out = [
        Artefact(
            path=base,
            url=art.url,
            checksum_url=art.checksum_url or None,
            serves=serves,
            note=f"{art.purpose} (catalog {stack}/{art.id}: {art.source})",
        )
    ]
    notes = []
    if art.checksum_url:
        out.append(
            Artefact(
                path=f"{base}-sha256sum",
                url=art.checksum_url,
                serves=serves,
                note=f"the installer's published checksum file (catalog {stack}/{art.id})",
            )
        )
    else:
        notes.append(
            f"{stack} {art.version}: no published checksum for the installer; its sha256 is recorded when fetched"
        )
    out.append(
        Artefact(
            path=f"nodejs/v{art.node}/node-v{art.node}-linux-x64.tar.xz",
            url=art.nodejs_url,
            checksum_url=art.nodejs_checksum_url,
            serves=(Serves(f"{stack}/cli-nodejs", art.phase),),
            note=f"Node.js {art.node}, the version the {stack} {art.version} installer bundles: for a pip-installed CLI",
        )
    )
    return out, notes


def _project(known: Sequence[CatalogArtefact], wanted: str) -> tuple[Artefact, str]:
    name, _, text = wanted.partition("@")
    name = name.strip().lower()
    art = next((a for a in known if a.role == "cyclecloud-project" and a.project == name), None)
    if art is None:
        raise ConfigError(f"--project {wanted!r}: unknown project; known: {_project_names(known)}")
    if text:
        try:
            version = str(Version(text.strip()))
        except InvalidVersion:
            raise ConfigError(f"--project {wanted!r}: {text!r} is not a version") from None
        if version not in art.versions:
            raise ConfigError(
                f"--project {wanted!r}: version {version} unknown to the catalog; known: {', '.join(art.versions)} "
                f"(a running CycleCloud's: {CYCLECLOUD_QUERY.format(name=name)})"
            )
    else:
        version = art.versions[-1]
    note = (
        f"cyclecloud {name} {version}"
        + ("" if text else " (the newest the catalog knows)")
        + f": the version a running CycleCloud wants: {CYCLECLOUD_QUERY.format(name=name)}"
    )
    return (
        Artefact(
            path=f"cyclecloud/projects/{name}/{version}",
            kind="github-release",
            repository=art.repository,
            tag=version,
            source_archive=True,
            serves=tuple(Serves(f"cyclecloud/{e}", art.phase) for e in art.serves),
            note=f"{art.purpose} (catalog cyclecloud/{art.id}: {art.source})",
        ),
        note,
    )


def _project_names(known: Sequence[CatalogArtefact]) -> str:
    return ", ".join(
        f"{a.project}@{'|'.join(a.versions)}"
        for a in sorted(known, key=lambda a: a.project)
        if a.role == "cyclecloud-project"
    )
