"""What a fetched bundle covers: policy or plan entries it carries, and what is left needing a network path.

An artefact counts once the lock lists a file of it. It covers what it ``serves``: a catalog entry
(``stack/id``: every prediction whose reason names that catalog line) or a policy entry (its pattern: every
observed, referenced or config-named reason of that entry). An entry is *carried* when every reason it has is
covered, *partly carried* when some are (the rest still need a path), else it needs a path: a private endpoint
(a cloud service endpoint that has one) or, failing that, it is *neither* carried nor reachable: in an isolated
network it will fail.

>>> catalog_key("predicted: pip install (parallelcluster 3.14.0 catalog: cli-pypi, cli-install, documented)")
'parallelcluster/cli-pypi'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Entry
from .manifest import Lock, Manifest, read_bundle

_CATALOG = re.compile(r"\(([a-z0-9][a-z0-9.-]*) [^ ()]+ catalog: ([a-z0-9][a-z0-9.-]*), ")


def catalog_key(reason: str) -> str | None:
    """``stack/id`` of the catalog line a prediction's reason names, or None."""
    matches = list(_CATALOG.finditer(reason))
    return f"{matches[-1][1]}/{matches[-1][2]}" if matches else None


@dataclass(frozen=True)
class Carried:
    """What a bundle's fetched artefacts serve."""

    directory: str
    served: frozenset[str]
    """Catalog keys (``stack/id``) and policy patterns."""
    files: int

    @classmethod
    def of(cls, directory: str, manifest: Manifest, lock: Lock) -> Carried:
        """From a manifest and its lock: only artefacts with a locked file count."""
        fetched = {f.artefact or f.path for f in lock.files}
        served = {s.entry for a in manifest.artefacts if a.path in fetched for s in a.serves}
        return cls(directory, frozenset(served), len(lock.files))

    def covers(self, entry: Entry, reason: str) -> bool:
        """True when the bundle carries what ``reason`` of ``entry`` needs."""
        key = catalog_key(reason)
        return key in self.served if key else entry.pattern in self.served


def read_carried(directory: str) -> Carried:
    """The bundle at ``directory`` (:class:`~.manifest.BundleError` when it is not a complete one)."""
    manifest, lock = read_bundle(directory)
    return Carried.of(directory, manifest, lock)


@dataclass(frozen=True)
class Coverage:
    """Entries sorted by what carries them."""

    carried: tuple[Entry, ...]
    partly: tuple[tuple[Entry, tuple[str, ...]], ...]
    """Entries some of whose reasons the bundle covers, with the reasons it does not."""
    endpoint: tuple[Entry, ...]
    neither: tuple[Entry, ...]

    def to_dict(self, carried: Carried) -> dict[str, Any]:
        """The ``--json`` form."""
        return {
            "directory": carried.directory,
            "files": carried.files,
            "carried": [e.pattern for e in self.carried],
            "partly_carried": [{"pattern": e.pattern, "still_needed_for": list(r)} for e, r in self.partly],
            "through_endpoints": [e.pattern for e in self.endpoint],
            "neither": [e.pattern for e in self.neither],
        }


def coverage(entries: Iterable[Entry], carried: Carried) -> Coverage:
    """Sort ``entries`` by what carries them (each list in the entries' order)."""
    full: list[Entry] = []
    partly: list[tuple[Entry, tuple[str, ...]]] = []
    endpoint: list[Entry] = []
    neither: list[Entry] = []
    for entry in entries:
        left = tuple(r for r in entry.reasons if not carried.covers(entry, r))
        if entry.reasons and not left:
            full.append(entry)
            continue
        if len(left) < len(entry.reasons):
            partly.append((entry, left))
        if reachable(entry):
            endpoint.append(entry)
        else:
            neither.append(entry)
    return Coverage(tuple(full), tuple(partly), tuple(endpoint), tuple(neither))


def reachable(entry: Entry) -> bool:
    """True for a cloud service endpoint that a private endpoint can carry."""
    return entry.scope == "cloud" and entry.classification.private_endpoint != "none"


def uncarried(entries: Sequence[Entry], carried: Carried) -> tuple[list[Entry], list[Entry]]:
    """(the entries the bundle carries in full, the others)."""
    full = set(coverage(entries, carried).carried)
    return [e for e in entries if e in full], [e for e in entries if e not in full]


def coverage_text(cov: Coverage, carried: Carried) -> list[str]:
    """The lines ``plan --bundle`` adds to its report."""
    out = [
        "",
        f"Bundle {carried.directory} ({carried.files} files): carries {len(cov.carried)} entries in full"
        + (f": {', '.join(e.pattern for e in cov.carried)}" if cov.carried else ""),
    ]
    for entry, left in cov.partly:
        out.append(
            f"  partly carried: {entry.pattern}: still needed for {'; '.join(_short(r) for r in left)}"
        )
    out.append(f"Reached through private endpoints: {len(cov.endpoint)}")
    out.append(f"Neither carried nor reachable through an endpoint ({len(cov.neither)}):")
    out += [
        f"  {e.pattern}:{','.join(map(str, e.ports))}  {_short(e.reasons[0]) if e.reasons else ''}"
        for e in cov.neither
    ]
    if not cov.neither:
        out.append("  none")
    return out


def _short(reason: str) -> str:
    from ..model import short_reason

    return short_reason(reason, 90)
