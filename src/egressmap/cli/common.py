"""What several commands share: reading the inputs, exporting, writing the output (their flags: :mod:`.flags`)."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..aggregate import aggregate
from ..classify import warm_up
from ..correlate import joined_line
from ..engine import EngineSettings
from ..errors import ConfigError, EgressmapError, StrictModeError
from ..exporters import EXPORTERS, ExportOptions
from ..ingest import IngestReport, observe
from ..model import Destination, Policy
from ..policy import expand_regions
from ..report import problem_lines
from ..review import for_export
from ..sources import SourceOptions
from .engine_flags import engine_evidence, engine_settings
from .flags import params

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
PROGRESS_MIN_BYTES = 50 * 1024 * 1024
REFRESH_SECONDS = 0.1
log = logging.getLogger("egressmap")


def predictions(args: argparse.Namespace, configs: Sequence[str]) -> Any:
    """The catalog's predictions for --stack/--os/--feature and the configs (None when none was asked for)."""
    if not (args.stack or configs):
        if args.os_name or args.feature:
            raise ConfigError("--os and --feature need --stack NAME@VERSION (or a cluster config)")
        return None
    from ..catalog.configs import load_config
    from ..catalog.planner import predict

    regions = expand_regions(args.region) if getattr(args, "region", None) else []
    prediction = predict(
        args.stack,
        os_name=args.os_name,
        features=args.feature,
        region=regions[0] if len(regions) == 1 else None,
        docs=[load_config(c) for c in configs],
    )
    if not args.quiet:
        for f in prediction.findings:
            print(f"egressmap: {f.where}: {f.severity}: {f.problem} (fix: {f.fix})", file=sys.stderr)
    return prediction


def ingest(
    args: argparse.Namespace, sources: Sequence[str] | None = None, summary: str | None = None
) -> tuple[Mapping[tuple[str, int], Destination], IngestReport]:
    """Read the inputs (summaries among them folded in); with ``summary``, also write the summary there."""
    settings = engine_settings(args)
    options = SourceOptions.from_flags(args.squid_logformat, args.squid_conf)
    report = IngestReport()
    sources = args.sources if sources is None else sources
    if not sources:
        return {}, report
    from ..summary import is_summary

    summaries = [p for p in sources if is_summary(p)]
    if summaries or summary is not None or settings.engine != "local":
        destinations, report = _from_evidence(args, sources, summaries, options, summary, settings)
    else:
        with _progress(sources) as progress:
            destinations = aggregate(observe(sources, report, args.format, options, progress, _warm_up))
    if not args.quiet:
        for line in problem_lines(report, verbose=args.verbose > 0):
            print(f"egressmap: {line}", file=sys.stderr)
        if report.joined is not None and any(report.joined):
            print(f"egressmap: {joined_line(*report.joined)}", file=sys.stderr)
    for r in report.inputs:  # even with -q: an input that gave nothing must never pass in silence
        if r.nothing:
            print(f"egressmap: {r.origin}: {r.nothing}", file=sys.stderr)
        elif r.error and args.quiet:  # (without -q, problem_lines said it)
            print(
                f"egressmap: {r.error if r.error.startswith(r.origin) else f'{r.origin}: {r.error}'}",
                file=sys.stderr,
            )
    bad = report.count("malformed") + report.count("warning")
    failed = report.failed_inputs
    unread = len(failed) + len(report.unread_inputs)
    if args.strict and (bad or unread):
        raise StrictModeError(f"--strict: {bad} bad line(s), {unread} unreadable input(s)")
    if failed and len(failed) == len(report.inputs) and not any(r.recognised for r in failed):
        raise EgressmapError("no input could be read")  # (a recognised input not read is a partial result)
    return destinations, report


def _from_evidence(
    args: argparse.Namespace,
    sources: Sequence[str],
    summaries: Sequence[str],
    options: SourceOptions,
    summary: str | None,
    settings: EngineSettings,
) -> tuple[Mapping[tuple[str, int], Destination], IngestReport]:
    from ..evidence import finish, merge
    from ..summary import read_summary, write_summary

    logs = [p for p in sources if p not in summaries]
    parts = [engine_evidence(settings, logs, args.format, options, _warm_up)] if logs else []
    parts += [read_summary(p) for p in summaries]
    evidence = merge(parts)
    if summary is not None:
        records = write_summary(evidence, summary)
        print(
            f"egressmap: summary of {len(evidence.report.inputs)} input(s), {len(evidence.table)} destination(s) "
            f"({records} records) -> {summary}",
            file=sys.stderr,
        )
        return evidence.table, evidence.report  # (what is held for the end stays in the summary)
    return finish(evidence)


def policy_inputs(configs: Sequence[str], report: IngestReport) -> list[str]:
    """The inputs a policy names: cluster configs and evidence (a summary's own inputs), sorted."""
    return sorted({*configs, *(r.origin for r in report.inputs)})


def _warm_up() -> None:
    """Load classification data; it lives until exit, so the garbage collector stops walking it."""
    warm_up()
    gc.freeze()


class _progress:
    """A rich progress bar on stderr for big inputs on a terminal; otherwise nothing."""

    def __init__(self, paths: Sequence[str]) -> None:
        sizes = [Path(p).stat().st_size if p != "-" and Path(p).is_file() else 0 for p in paths]
        self.enabled = sys.stderr.isatty() and max(sizes, default=0) > PROGRESS_MIN_BYTES
        self.bar: object = None
        self.tasks: dict[str, object] = {}

    def __enter__(self) -> Callable[[str, int, int | None], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress

        # no refresh thread: the native squid parser may fork, which must not happen beside a running thread
        bar = Progress(transient=True, auto_refresh=False, console=Console(file=sys.stderr))
        bar.start()
        self.bar = bar

        last = [0.0]

        def update(path: str, done: int, total: int | None) -> None:
            if path not in self.tasks:
                self.tasks[path] = bar.add_task(path, total=total)
            bar.update(self.tasks[path], completed=done)  # type: ignore[arg-type]
            now = time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:  # drawing on every block would cost more than the parse
                last[0] = now
                bar.refresh()

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()  # type: ignore[attr-defined]


def write(text: str | Iterable[str], output: str | None) -> None:
    """Write the text, or its pieces one after another, to ``output`` or stdout.

    A big export comes in pieces so it is never held whole.
    """
    pieces = (text,) if isinstance(text, str) else text
    if output:
        try:
            with open(output, "w", encoding="utf-8") as out:
                for piece in pieces:
                    out.write(piece)
        except OSError as exc:
            raise EgressmapError(f"{output}: cannot write ({exc.strerror or exc})") from exc
    else:
        for piece in pieces:
            sys.stdout.write(piece)


def export_text(policy: Policy, args: argparse.Namespace) -> tuple[Iterable[str], int]:
    """The export's text in pieces for :func:`write`, and how many entries it refused.

    Refused entries are left out and named on stderr (exit 3).
    """
    exporter = EXPORTERS[args.to]()
    regions = expand_regions(args.region) if args.region else ()
    options = ExportOptions(
        scope=args.scope,
        include_documentation=args.include_documentation,
        include_nxdomain=args.include_nxdomain,
        regions=regions,
        full=args.full,
        mode=args.mode,
        sni=args.sni,
        flavor=args.flavor,
        proxy=args.proxy,
        params=params(args.param),
    )
    exporter.check_params(options)
    policy, outcome_notes = for_export(exporter, policy, options, args.exclude_denied)
    pieces, rendered = exporter.render_pieces(policy, options)
    if not args.quiet:
        for note in rendered.approximations:
            print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    for note in rendered.rejected:
        print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    if rendered.rejected:
        print(
            f"egressmap: {args.to}: {len(rendered.rejected)} name(s) rejected and left out of the output",
            file=sys.stderr,
        )
    for note in outcome_notes:  # not silenced by -q: they change what a firewall lets through
        print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    return pieces, len(rendered.rejected)
