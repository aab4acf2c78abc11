"""Read inputs into observations: open, sniff, parse, and keep a report of everything not used."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .bypass import BypassFinding, BypassWatch
from .correlate import ANSWER_SOURCES, Correlator, plan
from .errors import InputError
from .fetch.remote import inputs
from .model import DnsAnswer, Observation, Skipped
from .sources import FORMAT_NAMES, SourceOptions, build_sources, choose
from .sources.interface import BinaryReading, BinarySource, Source, choose_binary
from .sources.reader import InputStream
from .sources.shape import contents, recognise
from .sources.squid import SquidLog
from .sources.squid_infer import SquidLayoutUnknown
from .sources.squid_shape import ProxyLines, counting

MAX_LISTED = 20
"""Line numbers kept per (input, reason) in the report; the count is always exact."""


@dataclass
class InputReport:
    """What happened to one input."""

    origin: str
    format: str = ""
    lines: int = 0
    observations: int = 0
    error: str | None = None
    recognised: bool = False
    """With ``error``: egressmap knows what the input is (a Squid log in a layout it cannot infer) but could
    not read it. That is a partial result (exit 3), not a run with nothing readable (exit 1)."""
    proxy_lines: int = 0
    """Lines that looked like proxy (Squid) records in an input read as free text."""
    problems: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    """(kind, reason) -> first line numbers (at most MAX_LISTED)."""
    problem_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    nothing: str | None = None
    """Set when the input gave no destination at all: its format and what was in it (always shown)."""
    blind_spots: tuple[str, ...] = ()
    """What the source this input was read as cannot see (:attr:`.sources.interface.Source.blind_spots`)."""
    not_read: str | None = None
    """Set when that input is structured data egressmap does not read: what it looks like, what to do."""

    def note(self, item: Skipped) -> None:
        """Record one skipped line."""
        key = (item.kind, item.reason)
        self.problem_counts[key] += item.count
        listed = self.problems.setdefault(key, [])
        if len(listed) < MAX_LISTED:
            listed.append(item.lineno)

    def count(self, kind: str) -> int:
        """Lines of one kind (malformed, dropped, warning)."""
        return sum(n for (k, _), n in self.problem_counts.items() if k == kind)


@dataclass
class IngestReport:
    """Every input's report."""

    inputs: list[InputReport] = field(default_factory=list)
    bypass: BypassFinding | None = None
    """What went around the proxy (when the inputs held a proxy log and network evidence)."""
    joined: tuple[int, int, int] | None = None
    """Connections recorded by address: (named by a DNS answer, left unattributed, answers not kept), when
    DNS answers were collected for them."""

    def count(self, kind: str) -> int:
        """Total lines of one kind over all inputs."""
        return sum(r.count(kind) for r in self.inputs)

    @property
    def failed_inputs(self) -> list[InputReport]:
        """Inputs that could not be read at all."""
        return [r for r in self.inputs if r.error]

    @property
    def unread_inputs(self) -> list[InputReport]:
        """Inputs read without error that are structured data egressmap does not read (nothing came of them)."""
        return [r for r in self.inputs if r.not_read]


Progress = Callable[[str, int, int | None], None]


def observe(
    paths: Sequence[str],
    report: IngestReport,
    wanted: str = "auto",
    options: SourceOptions | None = None,
    progress: Progress | None = None,
    warm_up: Callable[[], None] | None = None,
) -> Iterator[Observation]:
    """Yield every observation from ``paths``; problems go into ``report``, never stop the run.

    ``warm_up`` may run while a parser waits on a helper process (the CLI loads classification data then).
    """
    reading = Reading(report, wanted, options, progress, warm_up)
    reading.prepare(paths)
    yield from reading.read(paths)
    yield from reading.finish()


class Reading:
    """One run's reading of its inputs: what it holds back for the end (connections to name, the bypass watch).

    :func:`observe` is the usual way; :mod:`egressmap.evidence` reads in parts (``prepare(None)`` collects
    everything a later merge may need) and finishes after merging.
    """

    def __init__(
        self,
        report: IngestReport,
        wanted: str = "auto",
        options: SourceOptions | None = None,
        progress: Progress | None = None,
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.report = report
        self.wanted = wanted
        self.options = options
        self.progress = progress
        self.warm_up = warm_up
        self.sources = build_sources(options)
        self.correlator: Correlator | None = None
        self.watch: BypassWatch | None = None

    def prepare(self, paths: Sequence[str] | None) -> None:
        """Decide what to hold back from what the inputs are (None: everything, for a summary)."""
        needs = plan(paths, self.sources, self.wanted, self.options) if paths is not None else None
        if needs is None or needs.answers:
            self.correlator = Correlator()
            for name in ANSWER_SOURCES:
                self.sources[name].answers = True
        if needs is None or needs.bypass:
            self.watch = BypassWatch()

    def read(self, paths: Sequence[str], byte_range: tuple[int, int] | None = None) -> Iterator[Observation]:
        """Every observation of ``paths`` but those held back (``byte_range``: of the one plain file given)."""
        return _read(
            paths,
            self.report,
            self.sources,
            self.wanted,
            self.options,
            self.progress,
            self.warm_up,
            self.correlator,
            self.watch,
            byte_range,
        )

    def finish(self) -> Iterator[Observation]:
        """The held-back connections, named where an answer names them; then the bypass finding."""
        return finish_pending(self.correlator, self.watch, self.report)


def finish_pending(
    correlator: Correlator | None, watch: BypassWatch | None, report: IngestReport
) -> Iterator[Observation]:
    """Name the held connections (yielded), then set the report's join figures and bypass finding."""
    if correlator is not None:
        for obs, format_name in correlator.finish():
            if watch is not None:
                watch.see(obs, "network", format_name)
            yield obs
        if correlator.book.pairs or correlator.book.dropped:  # (no DNS answer at all: nothing to report)
            report.joined = (correlator.named, correlator.unnamed, correlator.book.dropped)
    if watch is not None:
        from .classify import classify

        report.bypass = watch.finding(classify)


def _read(
    paths: Sequence[str],
    report: IngestReport,
    sources: dict[str, Source],
    wanted: str,
    options: SourceOptions | None,
    progress: Progress | None,
    warm_up: Callable[[], None] | None,
    correlator: Correlator | None,
    watch: BypassWatch | None,
    byte_range: tuple[int, int] | None = None,
) -> Iterator[Observation]:
    for path, opener in inputs(paths):  # an s3:// source may stand for several inputs (one per kind of log)
        rep = InputReport(path if path != "-" else "<stdin>")
        report.inputs.append(rep)
        try:
            stream = opener(None if progress is None else _bind(progress, path))
        except InputError as exc:
            rep.error = str(exc)
            continue
        try:
            if stream.size is not None and progress is not None:
                progress(path, 0, stream.size)
            source: Source
            try:
                if stream.capture:
                    source = choose_binary(stream.capture, sources, wanted, stream.origin)
                else:
                    source = choose(stream.head, sources, wanted, stream.origin, options)
            except InputError as exc:
                rep.error = str(exc)
                rep.recognised = isinstance(exc, SquidLayoutUnknown)
                continue
            rep.format = source.name
            rep.blind_spots = source.blind_spots
            counted = 0
            if byte_range is not None and not stream.plain_file:
                raise InputError(
                    f"{stream.origin}: only a plain (uncompressed) file can be read by byte range"
                )
            lines = stream.lines() if byte_range is None else stream.range_lines(*byte_range)
            proxy = ProxyLines() if source.name == "text" else None
            if proxy is not None:
                lines = counting(lines, proxy, MAX_LISTED)
            reading: BinaryReading | None = None
            if stream.capture:  # read from its bytes: a capture has no lines
                assert isinstance(source, BinarySource)
                reading = source.read_binary(stream.binary_input(), stream.origin)
            whole = source.read_whole(stream, warm_up) if reading is None and byte_range is None else None
            items = (
                iter(reading)
                if reading is not None
                else whole
                if whole is not None
                else source.read_input(stream, warm_up)
                if isinstance(source, SquidLog) and source.native and byte_range is None
                else source.read(lines, stream.origin)
            )
            if stream.segments is not None:  # objects one after another: sources name the object
                items = stream.segments.relabel(items, stream.origin)
            for item in items:
                if isinstance(item, Skipped):
                    rep.note(item)
                elif isinstance(item, DnsAnswer):
                    if correlator is not None:
                        correlator.book.add(item)
                else:
                    counted += item.count
                    if correlator is not None and correlator.hold(item, source):
                        continue
                    if watch is not None:
                        watch.see(item, source.role, source.name)
                    yield item
            rep.observations = counted
            rep.lines = stream.lines_read if reading is None else reading.records
            if proxy is not None:
                _note_proxy_lines(rep, proxy)
            for problem in stream.problems:
                rep.note(problem)
            if not counted:
                _nothing_found(rep, stream)
        finally:
            stream.close()


CONFIG_SUFFIXES = (".yaml", ".yml", ".ini", ".cfg", ".config", ".conf")
"""File names that may hold a cluster config (anything else is read as evidence without a look)."""
CONFIG_HEAD = 65536


def split_configs(paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split inputs into cluster configs (by name, then by their first 64 KiB) and evidence sources."""
    configs, logs = [], []
    for path in paths:
        if path != "-" and path.lower().endswith(CONFIG_SUFFIXES) and Path(path).is_file():
            from .catalog.configs import detect  # only when a candidate exists: scan start-up stays light

            try:
                with open(path, "rb") as f:
                    head = f.read(CONFIG_HEAD).decode("utf-8", "replace")
            except OSError:
                head = ""
            if detect(head, path):
                configs.append(path)
                continue
        logs.append(path)
    return configs, logs


PROXY_LINES_READ_AS_TEXT = (
    "looks like a Squid access-log record, but the input was read as free text (most of its first lines are "
    "not such records); to read it as a Squid log give --squid-logformat 'FORMAT' or --squid-conf FILE"
)


def _note_proxy_lines(rep: InputReport, proxy: ProxyLines) -> None:
    rep.proxy_lines = proxy.count
    if proxy.count:
        key = ("warning", PROXY_LINES_READ_AS_TEXT)
        rep.problem_counts[key] += proxy.count
        rep.problems.setdefault(key, []).extend(proxy.first[:MAX_LISTED])


def _nothing_found(rep: InputReport, stream: InputStream) -> None:
    """Say what an input that gave no destination held, and what it looks like when it is structured data."""
    if stream.capture:
        rep.nothing = (
            f"no destination found (read as {rep.format}; {rep.lines} packets, "
            "none with a DNS question, TLS SNI, HTTP Host or outgoing connection)"
        )
        return
    counts = {kind: rep.count(kind) for kind in ("malformed", "dropped")}
    skipped = [p.lineno for p in stream.problems]
    held = contents(stream.first_lines, rep.lines, skipped, counts)
    rep.nothing = f"no destination found (read as {rep.format or 'unknown'}; {held})"
    if rep.format in TEXT_FORMATS:  # a structured format of ours that gave nothing has its own messages
        shape = recognise(stream.head)
        if shape is not None:
            rep.not_read = shape.sentence()
            rep.nothing += f"; {rep.not_read}"
    if rep.not_read is None and rep.proxy_lines:  # Squid records in a layout that could not be told apart
        rep.not_read = PROXY_LINES_READ_AS_TEXT
        rep.nothing += f"; {rep.not_read}"


TEXT_FORMATS = ("text", "list")
"""Formats that read any text: an input they found nothing in may be structured data of another kind."""


def _bind(progress: Progress, path: str) -> Callable[[int], None]:
    return lambda done: progress(path, done, None)


__all__ = ["FORMAT_NAMES", "IngestReport", "InputReport", "observe", "split_configs"]
