"""Command line: parse flags, call the library, print. The only module that exits.

Exit codes: 0 success; 1 error (nothing written) or ``--strict`` found bad lines; 2 usage;
3 partial success (output written, but an input could not be read at all).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .aggregate import aggregate
from .classify import warm_up
from .errors import EgressmapError, StrictModeError
from .exporters import EXPORTERS, ExportOptions
from .ingest import IngestReport, observe
from .model import Destination
from .policy import build_policy, dump_json, dump_yaml, expand_regions, load_policy
from .report import problem_lines, render_scan_plain, render_scan_rich, report_dict, scan_rows
from .sources import FORMAT_NAMES, SourceOptions

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
PROGRESS_MIN_BYTES = 50 * 1024 * 1024
log = logging.getLogger("egressmap")


def _add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="log files, .gz files, lists, or - for stdin")
    p.add_argument(
        "--format",
        default="auto",
        choices=("auto", *FORMAT_NAMES),
        help="input format (default: detect from the first lines)",
    )
    p.add_argument(
        "--squid-logformat",
        metavar="FMT",
        help="a custom Squid logformat string, e.g. '%%tl %%>a %%Ss/%%03>Hs %%rm %%ru'",
    )
    p.add_argument(
        "--squid-conf", metavar="FILE", help="read logformat/access_log lines from this squid.conf"
    )
    p.add_argument("--strict", action="store_true", help="fail (exit 1) when any line is bad")


def _add_export(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument(
        "--to",
        required=required,
        choices=sorted(EXPORTERS),
        metavar="FORMAT",
        help=f"export format: {', '.join(sorted(EXPORTERS))}",
    )
    p.add_argument(
        "--scope",
        choices=("internet", "cloud", "all"),
        help="which entries: internet destinations, cloud-provider endpoints, or all "
        "(default: internet for list, all for the others)",
    )
    p.add_argument(
        "--include-documentation",
        action="store_true",
        help="also export entries only seen as documentation links",
    )
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="R",
        help="expand {region} templates for this region (repeatable, or 'all')",
    )


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    top = argparse.ArgumentParser(
        prog="egressmap",
        description="Which outbound destinations does this stack need, and is the firewall right?",
    )
    top.add_argument("--version", action="version", version=f"egressmap {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more detail (-vv for debug)")
    common.add_argument("-q", "--quiet", action="store_true", help="no report of skipped lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", parents=[common], help="build a policy (YAML) from logs and lists")
    _add_sources(b)
    b.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    b.add_argument(
        "--fold-regions", action="store_true", help="fold hosts differing only by region into templates"
    )
    b.add_argument(
        "--wildcard",
        action="append",
        default=[],
        metavar="SUFFIX",
        help="merge hosts under *.SUFFIX (refused over a public suffix)",
    )
    _add_export(b, required=False)

    s = sub.add_parser("scan", parents=[common], help="show what the inputs contain, as a table")
    _add_sources(s)
    s.add_argument("--json", action="store_true", help="machine-readable output")

    e = sub.add_parser("export", parents=[common], help="render a policy file in a firewall's format")
    e.add_argument("policy", metavar="POLICY", help="a policy file (YAML or JSON), or - for stdin")
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    _add_export(e, required=True)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``egressmap`` console script."""
    args = parser().parse_args(argv)
    level = os.environ.get("EGRESSMAP_LOGLEVEL") or (
        "DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING"
    )
    logging.basicConfig(format="egressmap: %(message)s", level=logging.WARNING)
    log.setLevel(level.upper())
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "build": _build,
        "scan": _scan,
        "export": _export,
    }
    try:
        return commands[args.command](args)
    except EgressmapError as exc:
        print(f"egressmap: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("egressmap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _ingest(args: argparse.Namespace) -> tuple[dict[tuple[str, int], Destination], IngestReport]:
    options = SourceOptions.from_flags(args.squid_logformat, args.squid_conf)
    report = IngestReport()
    with _progress(args.sources) as progress:
        destinations = aggregate(observe(args.sources, report, args.format, options, progress, warm_up))
    if not args.quiet:
        for line in problem_lines(report, verbose=args.verbose > 0):
            print(f"egressmap: {line}", file=sys.stderr)
    bad = report.count("malformed") + report.count("warning")
    if args.strict and (bad or report.failed_inputs):
        raise StrictModeError(f"--strict: {bad} bad line(s), {len(report.failed_inputs)} unreadable input(s)")
    if report.failed_inputs and len(report.failed_inputs) == len(report.inputs):
        raise EgressmapError("no input could be read")
    return destinations, report


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

        def update(path: str, done: int, total: int | None) -> None:
            if path not in self.tasks:
                self.tasks[path] = bar.add_task(path, total=total)
            bar.update(self.tasks[path], completed=done)  # type: ignore[arg-type]
            bar.refresh()

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()  # type: ignore[attr-defined]


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise EgressmapError(f"{output}: cannot write ({exc.strerror or exc})") from exc
    else:
        sys.stdout.write(text)


def _export_text(policy: object, args: argparse.Namespace) -> str:
    exporter = EXPORTERS[args.to]()
    regions = expand_regions(args.region) if args.region else ()
    rendered = exporter.render(policy, ExportOptions(args.scope, args.include_documentation, regions))  # type: ignore[arg-type]
    for note in rendered.approximations:
        if not args.quiet:
            print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    return rendered.text


def _build(args: argparse.Namespace) -> int:
    destinations, report = _ingest(args)
    regions = expand_regions(args.region) if args.region else []
    skipped = {k: report.count(k) for k in ("malformed", "dropped", "warning")}
    policy = build_policy(
        destinations.values(),
        fold=args.fold_regions,
        regions=regions,
        wildcards=args.wildcard,
        inputs=args.sources,
        skipped=skipped,
    )
    _write(_export_text(policy, args) if args.to else dump_yaml(policy), args.output)
    return EXIT_PARTIAL if report.failed_inputs else EXIT_OK


def _scan(args: argparse.Namespace) -> int:
    destinations, report = _ingest(args)
    rows = scan_rows(destinations.values())
    if args.json:
        # one object per line keeps the C encoder (indent= forces the slow pure-Python one) and stays greppable
        sys.stdout.write(dump_json({"destinations": rows, "inputs": report_dict(report)}, compact=True))
    elif sys.stdout.isatty():
        render_scan_rich(rows, sys.stdout)
    else:
        render_scan_plain(rows, sys.stdout)
    return EXIT_PARTIAL if report.failed_inputs else EXIT_OK


def _export(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    _write(_export_text(policy, args), args.output)
    return EXIT_OK
