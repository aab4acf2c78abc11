"""What one task does on a worker: read its input (or byte range) with egressmap's own parsers into evidence.

Nothing here imports Dask: :func:`run_task` is a plain function, sent to the workers by :mod:`.dask` and called
in-process by the tests. An ``s3://`` object is downloaded to a temporary file of the worker (under the key's own
file name, which ``--squid-conf`` matches ``access_log`` lines against), read as a local file is, and the
evidence renamed to the object's URI (:func:`.inputs.object_uri`): sources then read ``s3://bucket/key:LINE``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath

from ..aggregate import DestinationTable
from ..evidence import Evidence, empty, gather, join_ranges, merge
from ..ingest import InputReport
from ..model import Observation
from ..sources import SourceOptions, parallel
from .inputs import Task


def run_task(task: Task, wanted: str = "auto", options: SourceOptions | None = None) -> Evidence:
    """The evidence of one task's input (failures to read it are in its report, as in a local run)."""
    if _on_a_worker():
        parallel.ONE_PROCESS = True  # a worker is one CPU's share: the big-file fork would take another's
    if task.path.startswith("s3://"):
        return _s3_object(task.path, wanted, options)
    return gather([task.path], wanted, options, byte_range=task.byte_range)


def _on_a_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
    except (ImportError, ValueError):  # (called in-process, as the tests do)
        return False
    return True


def _s3_object(uri: str, wanted: str, options: SourceOptions | None) -> Evidence:
    import s3fs

    name = PurePosixPath(uri).name or "object"
    with tempfile.TemporaryDirectory(prefix="egressmap-") as tmp:
        local = str(Path(tmp) / name)
        try:
            s3fs.S3FileSystem().get_file(uri[len("s3://") :], local)
        except Exception as exc:  # botocore, aiohttp and OS errors alike: this input cannot be read
            evidence = empty()
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            evidence.report.inputs.append(InputReport(uri, error=f"{uri}: cannot read the object ({reason})"))
            return evidence
        return renamed(gather([local], wanted, options), local, uri)


class Collect:
    """What the finished tasks found, in any order: whole inputs merged at once, a file's ranges once all are in."""

    def __init__(self) -> None:
        self.whole = empty()
        self.ranges: dict[int, dict[int, Evidence]] = {}

    def add(self, task: Task, part: Evidence) -> None:
        """Fold in one finished task."""
        if task.byte_range is None:
            self.whole = merge([self.whole, part])
            return
        got = self.ranges.setdefault(task.index, {})
        got[task.part] = part
        if len(got) == task.parts:
            del self.ranges[task.index]
            self.whole = merge([self.whole, join_ranges([got[n] for n in range(task.parts)])])

    def result(self, entries: Sequence[str | InputReport]) -> Evidence:
        """The evidence of all inputs, their reports in the order of ``entries`` (as a local run lists them)."""
        assert not self.ranges, "a file's byte ranges are missing"
        evidence = self.whole
        evidence.report.inputs.extend(e for e in entries if isinstance(e, InputReport))
        where: dict[str, int] = {}
        for n, entry in enumerate(entries):
            where.setdefault(entry if isinstance(entry, str) else entry.origin, n)
        evidence.report.inputs.sort(key=lambda r: where.get(r.origin, len(where)))
        return evidence


def renamed(evidence: Evidence, old: str, new: str) -> Evidence:
    """The evidence of input ``old`` as if it had been read under the name ``new`` (in place; returned).

    The name is in sources (``old:LINE``), in the input's report and in some reasons (``listed in old``).
    """
    head = f"{old}:"

    def source(text: str) -> str:
        return new + text[len(old) :] if text.startswith(head) else text

    def obs(o: Observation) -> Observation:
        return replace(o, source=source(o.source), reason=o.reason.replace(old, new))

    def words(text: str | None) -> str | None:
        return None if text is None else text.replace(old, new)

    table = DestinationTable()
    for key in evidence.table:
        dest = evidence.table[key]
        dest.sources = [source(s) for s in dest.sources]
        dest.reasons = {r.replace(old, new) for r in dest.reasons}  # ("listed in FILE")
        table.absorb(dest)
    evidence.table = table
    for rep in evidence.report.inputs:
        rep.origin = new if rep.origin == old else rep.origin
        rep.error, rep.nothing, rep.not_read = words(rep.error), words(rep.nothing), words(rep.not_read)
    evidence.correlator.held = [(obs(o), f) for o, f in evidence.correlator.held]
    for names in evidence.correlator.book.pairs.values():
        for seen in names.values():
            seen.origin = new if seen.origin == old else seen.origin
    for seen_host in evidence.watch.network.values():
        seen_host.observations = [(obs(o), f) for o, f in seen_host.observations]
    return evidence


__all__ = ["Collect", "renamed", "run_task"]
