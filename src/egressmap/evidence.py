"""A run's evidence before it is finished, in parts that merge: the basis of summaries and of ``--engine dask``.

Reading inputs gives destinations (:class:`~.aggregate.DestinationTable`), a report per input, and what is held
for the end: connections recorded by address with the DNS answers that may name them
(:class:`~.correlate.Correlator`), and the two sides of the bypass finding (:class:`~.bypass.BypassWatch`).
:func:`gather` reads some inputs (or one byte range of a big plain file) into an :class:`Evidence`;
:func:`merge` combines parts; :func:`finish` does what a run does at its end. Merging is associative and
commutative in everything a policy shows, so any split of the inputs, read in any order and merged in any
order, builds the same policy as one run over all of them (``tests/test_evidence.py`` checks that).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from .aggregate import DestinationTable, aggregate
from .bypass import BypassWatch
from .correlate import Correlator
from .ingest import MAX_LISTED, IngestReport, InputReport, Reading, finish_pending
from .model import Observation
from .sources import SourceOptions


@dataclass
class Evidence:
    """Destinations, input reports and what is held for the end, for some of a run's inputs."""

    table: DestinationTable
    report: IngestReport
    correlator: Correlator
    watch: BypassWatch


def empty() -> Evidence:
    """Evidence of no input."""
    return Evidence(DestinationTable(), IngestReport(), Correlator(), BypassWatch())


def gather(
    paths: Sequence[str],
    wanted: str = "auto",
    options: SourceOptions | None = None,
    byte_range: tuple[int, int] | None = None,
    warm_up: Callable[[], None] | None = None,
) -> Evidence:
    """Read ``paths`` (or the lines of the one plain file given that begin in ``byte_range``), keeping all."""
    report = IngestReport()
    reading = Reading(report, wanted, options, warm_up=warm_up)
    reading.prepare(None)
    table = aggregate(reading.read(paths, byte_range))
    assert reading.correlator is not None and reading.watch is not None
    return Evidence(table, report, reading.correlator, reading.watch)


def merge(parts: Iterable[Evidence]) -> Evidence:
    """One Evidence of all ``parts`` (the first is extended in place and returned)."""
    it = iter(parts)
    out = next(it, None) or empty()
    for part in it:
        for key in part.table:
            out.table.absorb(part.table[key])
        out.report.inputs.extend(part.report.inputs)
        out.correlator.held.extend(part.correlator.held)
        book = out.correlator.book
        for (client, address), names in part.correlator.book.pairs.items():
            for name, seen in names.items():
                book.merge(client, address, name, seen.first, seen.last, seen.origin)
        book.dropped += part.correlator.book.dropped
        watch = out.watch
        watch.proxied |= part.watch.proxied
        watch.proxy_clients |= part.watch.proxy_clients
        for t in (part.watch.start, part.watch.end):
            if t is not None:
                watch.start = t if watch.start is None else min(watch.start, t)
                watch.end = t if watch.end is None else max(watch.end, t)
        for host, seen_host in part.watch.network.items():
            watch.network.setdefault(host, type(seen_host)()).observations.extend(seen_host.observations)
    return out


def join_ranges(parts: Sequence[Evidence]) -> Evidence:
    """The byte ranges of one file, in file order, as one part: line numbers shifted, one input report."""
    offset = 0
    shifted: list[Evidence] = []
    for part in parts:
        shifted.append(_shifted(part, offset) if offset else part)
        offset += sum(r.lines for r in part.report.inputs)
    whole = merge(shifted)
    if whole.report.inputs:
        whole.report.inputs = [_one_report(whole.report.inputs)]
    return whole


def finish(evidence: Evidence) -> tuple[DestinationTable, IngestReport]:
    """What a run does at its end: name the held connections, make the bypass finding."""
    for obs in finish_pending(evidence.correlator, evidence.watch, evidence.report):
        evidence.table.add(obs)
    return evidence.table, evidence.report


def _shifted(part: Evidence, offset: int) -> Evidence:
    def source(text: str) -> str:
        name, _, line = text.rpartition(":")
        return f"{name}:{int(line) + offset}" if line.isdigit() else text

    def obs(o: Observation) -> Observation:
        return replace(o, source=source(o.source))

    table = DestinationTable()
    for key in part.table:
        dest = part.table[key]
        dest.sources = [source(s) for s in dest.sources]  # (a fresh Destination: the table's is not changed)
        table.absorb(dest)
    for rep in part.report.inputs:
        rep.problems = {k: [n + offset for n in lines] for k, lines in rep.problems.items()}
    part.correlator.held = [(obs(o), f) for o, f in part.correlator.held]
    for seen in part.watch.network.values():
        seen.observations = [(obs(o), f) for o, f in seen.observations]
    return Evidence(table, part.report, part.correlator, part.watch)


def _one_report(reports: list[InputReport]) -> InputReport:
    first = reports[0]
    out = InputReport(
        first.origin,
        format=first.format,
        recognised=first.recognised,
        blind_spots=first.blind_spots,
        error=next((r.error for r in reports if r.error), None),
    )
    for rep in reports:
        out.lines += rep.lines
        out.observations += rep.observations
        out.proxy_lines += rep.proxy_lines
        out.problem_counts.update(rep.problem_counts)
        for key, lines in rep.problems.items():
            out.problems[key] = sorted([*out.problems.get(key, []), *lines])[:MAX_LISTED]
        out.not_read = out.not_read or rep.not_read
    out.nothing = None if out.observations else first.nothing
    return out
