"""The bundle manifest (``bundle plan``'s output) and lock (``bundle fetch``'s record), as YAML.

A manifest lists *artefacts*: a single file at a URL (``kind: file``), or a GitHub release (``kind:
github-release``: every asset of ``repository`` at ``tag``, plus the tag's source archive when
``source_archive``) whose files are only known when it is fetched. Each artefact says what it serves (the policy
or catalog entry, and the phase) and where it goes in the bundle (``path``, relative, ``/``-separated; a directory
for a release). The lock lists every file fetched: path, URL, size, sha256 and what the sha256 was checked
against.

Both files start with ``schema:`` (:data:`MANIFEST_SCHEMA`, :data:`LOCK_SCHEMA`); a file of another version is
refused with the version it has. Artefacts and files are sorted by path and every mapping is written in a fixed
key order, so the same inputs always give the same bytes.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import yaml

from ..errors import ConfigError

MANIFEST_SCHEMA = "egressmap.bundle-manifest/1"
LOCK_SCHEMA = "egressmap.bundle-lock/1"
MANIFEST_NAME = "egressmap-bundle.manifest.yaml"
"""The manifest's copy in a fetched bundle directory (``bundle fetch`` writes it before any file)."""
LOCK_NAME = "egressmap-bundle.lock.yaml"
"""The lock in a fetched bundle directory: written last, only when every file was fetched and checked."""

Kind = Literal["file", "github-release"]
Checked = Literal["published", "manifest", "github-digest", "recorded"]
"""What a locked file's sha256 was checked against: a published checksum file (the installer's
``-sha256sum``), the manifest's own ``sha256``, the GitHub release asset ``digest``, or nothing (recorded at
fetch time only)."""

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class BundleError(ConfigError):
    """A manifest or lock that cannot be used (another version, damaged, inconsistent)."""


@dataclass(frozen=True)
class Serves:
    """What an artefact is for: the policy or catalog entry (its host or id) and the phase."""

    entry: str
    phase: str = ""


@dataclass(frozen=True)
class Artefact:
    """One thing to carry across: a file at a URL, or every asset of a GitHub release."""

    path: str
    kind: Kind = "file"
    url: str = ""
    size: int | None = None
    sha256: str | None = None
    checksum_url: str | None = None
    repository: str = ""
    tag: str = ""
    source_archive: bool = False
    serves: tuple[Serves, ...] = ()
    note: str = ""

    def check(self) -> None:
        """Raise :class:`BundleError` when the artefact is inconsistent."""
        check_path(self.path)
        if self.kind == "file":
            if not self.url.startswith(("https://", "http://")):
                raise BundleError(f"artefact {self.path}: a file needs an http(s) url, not {self.url!r}")
        elif self.kind == "github-release":
            if not re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", self.repository) or not self.tag:
                raise BundleError(
                    f"artefact {self.path}: a github-release needs repository OWNER/NAME and tag"
                )
        else:
            raise BundleError(f"artefact {self.path}: unknown kind {self.kind!r} (file, github-release)")
        if self.sha256 is not None and not _SHA256.match(self.sha256):
            raise BundleError(f"artefact {self.path}: sha256 must be 64 lowercase hex digits")
        if self.size is not None and self.size <= 0:
            raise BundleError(f"artefact {self.path}: size must be positive")


@dataclass(frozen=True)
class Manifest:
    """What ``bundle plan`` decided to carry: sorted artefacts and where they came from."""

    planned_from: str
    artefacts: tuple[Artefact, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def check(self) -> None:
        """Raise :class:`BundleError` on a bad artefact or two artefacts at the same path."""
        seen: set[str] = set()
        for a in self.artefacts:
            a.check()
            if a.path in seen:
                raise BundleError(f"two artefacts at the same path {a.path}")
            seen.add(a.path)


@dataclass(frozen=True)
class LockedFile:
    """One file in the bundle, as fetched."""

    path: str
    url: str
    size: int
    sha256: str
    checked: Checked = "recorded"
    artefact: str = ""
    """The manifest artefact's path it belongs to (itself for a file, the release directory for an asset)."""


@dataclass(frozen=True)
class Lock:
    """What ``bundle fetch`` wrote: every file, and the manifest it followed (by sha256 of its bytes)."""

    manifest_sha256: str
    files: tuple[LockedFile, ...] = ()


def check_path(path: str) -> None:
    """Refuse a bundle path that is absolute, climbs out (``..``), is empty or not normalised."""
    if (
        not path
        or path.startswith("/")
        or "\\" in path
        or posixpath.normpath(path) != path.rstrip("/")
        or any(part in ("", ".", "..") for part in path.rstrip("/").split("/"))
    ):
        raise BundleError(f"bad bundle path {path!r}: relative, '/'-separated, no '..'")


# --- YAML -------------------------------------------------------------------------------------------------


def _artefact_dict(a: Artefact) -> dict[str, Any]:
    out: dict[str, Any] = {"path": a.path, "kind": a.kind}
    if a.kind == "file":
        out["url"] = a.url
        out["size"] = a.size
        out["sha256"] = a.sha256
        if a.checksum_url:
            out["checksum_url"] = a.checksum_url
    else:
        out["repository"] = a.repository
        out["tag"] = a.tag
        out["source_archive"] = a.source_archive
    out["serves"] = [{"entry": s.entry, "phase": s.phase} for s in sorted(set(a.serves), key=_serves_key)]
    if a.note:
        out["note"] = a.note
    return out


def _serves_key(s: Serves) -> tuple[str, str]:
    return (s.entry, s.phase)


def dump_manifest(manifest: Manifest) -> str:
    """The manifest's YAML: checked, artefacts sorted by path, keys in a fixed order."""
    manifest.check()
    data = {
        "schema": MANIFEST_SCHEMA,
        "planned_from": manifest.planned_from,
        "notes": sorted(set(manifest.notes)),
        "artefacts": [_artefact_dict(a) for a in sorted(manifest.artefacts, key=lambda a: a.path)],
    }
    return _dump(data)


def dump_lock(lock: Lock) -> str:
    """The lock's YAML: files sorted by path, keys in a fixed order."""
    for f in lock.files:
        check_path(f.path)
    files = [
        {
            "path": f.path,
            "url": f.url,
            "size": f.size,
            "sha256": f.sha256,
            "checked": f.checked,
            "artefact": f.artefact,
        }
        for f in sorted(lock.files, key=lambda f: f.path)
    ]
    return _dump({"schema": LOCK_SCHEMA, "manifest_sha256": lock.manifest_sha256, "files": files})


def _dump(data: Mapping[str, Any]) -> str:
    return yaml.safe_dump(
        dict(data), sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000
    )


def load_manifest(text: str, origin: str = "manifest") -> Manifest:
    """Parse and check a manifest; :class:`BundleError` naming ``origin`` when it cannot be used."""
    data = _load(text, origin, MANIFEST_SCHEMA)
    raw = data.get("artefacts") or []
    if not isinstance(raw, list):
        raise BundleError(f"{origin}: 'artefacts' must be a list")
    artefacts = tuple(_artefact_from(item, f"{origin}: artefact {n}") for n, item in enumerate(raw, 1))
    notes = data.get("notes") or []
    manifest = Manifest(
        planned_from=str(data.get("planned_from", "")),
        artefacts=artefacts,
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
    )
    try:
        manifest.check()
    except BundleError as exc:
        raise BundleError(f"{origin}: {exc}") from None
    return manifest


def load_lock(text: str, origin: str = "lock") -> Lock:
    """Parse and check a lock; :class:`BundleError` naming ``origin`` when it cannot be used."""
    data = _load(text, origin, LOCK_SCHEMA)
    raw = data.get("files") or []
    if not isinstance(raw, list):
        raise BundleError(f"{origin}: 'files' must be a list")
    files = []
    for n, item in enumerate(raw, 1):
        where = f"{origin}: file {n}"
        if not isinstance(item, dict):
            raise BundleError(f"{where}: not a mapping")
        try:
            f = LockedFile(
                path=str(item["path"]),
                url=str(item["url"]),
                size=int(item["size"]),
                sha256=str(item["sha256"]),
                checked=item.get("checked", "recorded"),
                artefact=str(item.get("artefact", "")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BundleError(f"{where}: missing or bad field {exc}") from None
        check_path(f.path)
        if not _SHA256.match(f.sha256):
            raise BundleError(f"{where}: sha256 must be 64 lowercase hex digits")
        files.append(f)
    return Lock(manifest_sha256=str(data.get("manifest_sha256", "")), files=tuple(files))


def _load(text: str, origin: str, schema: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise BundleError(f"{origin}: not valid YAML ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or "schema" not in data:
        raise BundleError(f"{origin}: not an egressmap bundle file (no 'schema:' line); expected {schema}")
    found = str(data["schema"])
    if found != schema:
        kind = schema.rsplit("/", 1)[0]
        if found.rsplit("/", 1)[0] == kind:
            raise BundleError(
                f"{origin}: {found} is another version of this file; this egressmap reads {schema} "
                "(plan it again with this egressmap)"
            )
        raise BundleError(f"{origin}: schema {found!r} is not {schema}")
    return data


def _artefact_from(item: object, where: str) -> Artefact:
    if not isinstance(item, dict):
        raise BundleError(f"{where}: not a mapping")
    try:
        serves = tuple(
            Serves(entry=str(s["entry"]), phase=str(s.get("phase", ""))) for s in item.get("serves") or []
        )
        size = item.get("size")
        return Artefact(
            path=str(item["path"]),
            kind=item.get("kind", "file"),
            url=str(item.get("url", "")),
            size=None if size is None else int(size),
            sha256=item.get("sha256"),
            checksum_url=item.get("checksum_url"),
            repository=str(item.get("repository", "")),
            tag=str(item.get("tag", "")),
            source_archive=bool(item.get("source_archive", False)),
            serves=serves,
            note=str(item.get("note", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BundleError(f"{where}: missing or bad field {exc}") from None


def merge_artefacts(artefacts: Iterable[Artefact]) -> tuple[Artefact, ...]:
    """One artefact per path (what each serves joined); two different artefacts at one path are refused."""
    by_path: dict[str, Artefact] = {}
    for a in artefacts:
        old = by_path.get(a.path)
        if old is None:
            by_path[a.path] = a
            continue
        if _identity(old) != _identity(a):
            raise BundleError(
                f"two different artefacts at {a.path}: {old.url or old.repository} and {a.url or a.repository}"
            )
        by_path[a.path] = Artefact(**{**old.__dict__, "serves": tuple(set(old.serves) | set(a.serves))})
    return tuple(by_path[p] for p in sorted(by_path))


def _identity(a: Artefact) -> tuple[Any, ...]:
    return (a.kind, a.url, a.repository, a.tag, a.source_archive)


def release_paths(files: Sequence[LockedFile], artefact: str) -> list[str]:
    """The locked files that belong to one artefact, sorted."""
    return sorted(f.path for f in files if f.artefact == artefact)


def read_bundle(directory: str) -> tuple[Manifest, Lock]:
    """The manifest and lock of a fetched bundle directory; :class:`BundleError` when either is missing."""
    from pathlib import Path

    root = Path(directory)
    if not root.is_dir():
        raise BundleError(f"{directory}: not a directory (a bundle is what 'egressmap bundle fetch' wrote)")
    lock_path, manifest_path = root / LOCK_NAME, root / MANIFEST_NAME
    if not lock_path.is_file():
        raise BundleError(
            f"{directory}: no {LOCK_NAME}: not a complete bundle (run 'egressmap bundle fetch' into it, "
            "or finish the one that was cut short)"
        )
    if not manifest_path.is_file():
        raise BundleError(f"{directory}: no {MANIFEST_NAME} beside the lock")
    manifest = load_manifest(manifest_path.read_text(encoding="utf-8"), str(manifest_path))
    lock = load_lock(lock_path.read_text(encoding="utf-8"), str(lock_path))
    return manifest, lock
