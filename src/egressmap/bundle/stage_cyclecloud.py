"""``bundle stage cyclecloud``: a CycleCloud project release laid out the way seed 003 stages it by hand.

Seed 003 (CycleCloud, "Operating in a locked down network", Project Updates from GitHub): download the tag's
source archive, ``tar -xf`` it, ``mkdir blobs`` in it and put every release artefact there; on the CycleCloud
server ``cyclecloud project build``, then copy ``build/<name>/*`` into
``/opt/cycle_server/work/staging/projects/<name>/<version>/`` and ``blobs/*`` into
``/opt/cycle_server/work/staging/projects/<name>/blobs/``, and ``chown -R cycle_server:cycle_server``. The
version a running CycleCloud wants comes from ``cycle_server execute 'select Name, Version, Url from
cloud.project where name == "<name>" order by Version'`` (azure-docs ``running-in-locked-down-network.md``).

The stage directory gets ``projects/<name>/<version>/`` (the unpacked source, its ``blobs/`` holding the release
assets: ready for ``cyclecloud project build``) and ``projects/<name>/blobs/`` (the same assets, as they go into
the staging directory).
"""

from __future__ import annotations

import configparser
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .files import disk_error, sha256_file
from .github import archive_name
from .manifest import Artefact, BundleError, LockedFile, read_bundle
from .unpack import unpack_top

STAGING = "/opt/cycle_server/work/staging/projects"
_PROJECT_PATH = re.compile(r"^cyclecloud/projects/([^/]+)/([^/]+)$")


@dataclass(frozen=True)
class Project:
    """One CycleCloud project release in a bundle."""

    name: str
    version: str
    artefact: Artefact
    files: tuple[LockedFile, ...]


@dataclass(frozen=True)
class Staged:
    """What ``stage_cyclecloud`` laid out."""

    name: str
    version: str
    project_dir: Path
    blobs_dir: Path
    build_name: str
    """The name ``cyclecloud project build`` writes under ``build/`` (``project.ini``'s ``name``)."""


def projects(bundle: str) -> dict[tuple[str, str], Project]:
    """The bundle's CycleCloud projects by (name, version)."""
    manifest, lock = read_bundle(bundle)
    found: dict[tuple[str, str], Project] = {}
    for a in manifest.artefacts:
        m = _PROJECT_PATH.match(a.path)
        if a.kind != "github-release" or m is None:
            continue
        files = tuple(f for f in lock.files if f.artefact == a.path)
        found[(m.group(1), m.group(2))] = Project(m.group(1), m.group(2), a, files)
    return found


def choose(found: dict[tuple[str, str], Project], wanted: str, bundle: str) -> Project:
    """``NAME`` (the only version there) or ``NAME@VERSION``; BundleError listing what the bundle holds."""
    name, _, version = wanted.partition("@")
    held = ", ".join(f"{n}@{v}" for n, v in sorted(found)) or "no CycleCloud projects"
    versions = sorted(v for n, v in found if n == name)
    if not versions:
        raise BundleError(f"{bundle} has no CycleCloud project {name!r}; it holds: {held}")
    if not version:
        if len(versions) > 1:
            raise BundleError(
                f"{bundle} holds {name} {', '.join(versions)}: choose one with --project {name}@VERSION"
            )
        version = versions[0]
    if (name, version) not in found:
        raise BundleError(f"{bundle} has no {name} {version}; it holds {name} {', '.join(versions)}")
    return found[(name, version)]


def stage_cyclecloud(bundle: str, wanted: str, out: Path) -> Staged:
    """Lay out the project under ``out/projects/``; BundleError when it cannot (nothing half-staged is left)."""
    project = choose(projects(bundle), wanted, bundle)
    root = Path(bundle)
    for f in project.files:
        _check_file(root, f, bundle)
    a = project.artefact
    source = f"{a.path}/{archive_name(a.repository, a.tag)}"
    if source not in {f.path for f in project.files}:
        raise BundleError(f"{bundle}: no source archive {source} for {project.name} {project.version}")
    assets = sorted((f for f in project.files if f.path != source), key=lambda f: f.path)
    base = out / "projects" / project.name
    target, blobs = base / project.version, base / "blobs"
    if target.exists():
        raise BundleError(f"{target} already exists: remove it or stage into another -o directory")
    _refuse_blob_clashes(root, assets, blobs)
    try:
        base.mkdir(parents=True, exist_ok=True)
        unpack_top(root / source, archive_name(a.repository, a.tag).removesuffix(".tar.gz"), target)
        (target / "blobs").mkdir(exist_ok=True)
        blobs.mkdir(exist_ok=True)
        for f in assets:
            name = f.path.rsplit("/", 1)[1]
            shutil.copyfile(root / f.path, target / "blobs" / name)
            shutil.copyfile(root / f.path, blobs / name)
    except OSError as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise disk_error(exc, Path(exc.filename or base), None) from None
    return Staged(project.name, project.version, target, blobs, _build_name(target, project.name))


def _check_file(root: Path, f: LockedFile, bundle: str) -> None:
    path = root / f.path
    if not path.is_file() or path.stat().st_size != f.size or sha256_file(path) != f.sha256:
        raise BundleError(
            f"{bundle}: {f.path} is missing or not what the lock says (run 'egressmap bundle verify')"
        )


def _refuse_blob_clashes(root: Path, assets: list[LockedFile], blobs: Path) -> None:
    """Another version's blob of the same name must be the same file."""
    for f in assets:
        there = blobs / f.path.rsplit("/", 1)[1]
        if there.exists() and sha256_file(there) != f.sha256:
            raise BundleError(
                f"{there} exists with other content: remove it or stage into another -o directory"
            )


def _build_name(project_dir: Path, default: str) -> str:
    ini = project_dir / "project.ini"
    if not ini.is_file():
        return default
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(ini.read_text(encoding="utf-8", errors="replace"))
    except configparser.Error:
        return default
    return parser.get("project", "name", fallback=default).strip() or default


def steps(staged: Staged, out: Path) -> str:
    """The remaining steps, as commands to run on the CycleCloud server."""
    n, v = staged.name, staged.version
    return "\n".join(
        [
            f"Staged {n} {v} in {staged.project_dir} (blobs in {staged.blobs_dir}).",
            "",
            "1. Check which version the running CycleCloud wants (usually the highest listed):",
            f"   /opt/cycle_server/cycle_server execute 'select Name, Version, Url from cloud.project "
            f'where name == "{n}" order by Version\'',
            f"2. Copy {out / 'projects' / n} to the CycleCloud server, then there:",
            f"   cd projects/{n}/{v} && cyclecloud project build",
            f"   mkdir -p {STAGING}/{n}/{v} {STAGING}/{n}/blobs",
            f"   cp build/{staged.build_name}/* {STAGING}/{n}/{v}/",
            f"   cp ../blobs/* {STAGING}/{n}/blobs/",
            "   chown -R cycle_server:cycle_server /opt/cycle_server/work/staging",
            "CycleCloud then finds the project locally and does not download it from GitHub.",
        ]
    )
