"""``egressmap scan``: what the inputs contain, as a table or JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..bypass import finding_dict, render_finding
from ..ingest import split_configs
from ..policy_file import write_json
from ..report import (
    render_comparison,
    render_inputs_plain,
    render_inputs_rich,
    render_scan_plain,
    render_scan_rich,
    report_dict,
)
from ..rowjson import row_json
from ..scan_rows import compare_rows, iter_scan_rows, scan_rows
from .common import EXIT_OK, EXIT_PARTIAL, ingest, predictions
from .flags import add_sources

NAME = "scan"
BATCH = True
"""A one-shot batch run: the CLI pauses the cyclic garbage collector around it (see :func:`egressmap.cli.batch_gc`)."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    s = sub.add_parser("scan", parents=[common], help="show what the inputs contain, as a table")
    add_sources(s)
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.add_argument(
        "--summary",
        metavar="FILE",
        help="write a summary of the inputs to FILE (for egressmap merge, or as a source of build and scan) "
        "instead of the table",
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    configs, logs = split_configs(args.sources)
    prediction = predictions(args, configs)
    destinations, report = ingest(args, logs, summary=args.summary)
    status = EXIT_PARTIAL if (report.failed_inputs or report.unread_inputs) and logs else EXIT_OK
    if args.summary:
        return status
    if args.json and not prediction:  # rows written as they are made: a big scan never holds them all
        lazy: dict[str, Any] = {"destinations": iter_scan_rows(destinations), "inputs": report_dict(report)}
        if report.bypass is not None:
            lazy["bypass"] = finding_dict(report.bypass)
        write_json(lazy, sys.stdout, {"destinations": row_json()})
        return status
    rows = scan_rows(destinations.values())
    compared = compare_rows(rows, prediction.entries) if prediction else None
    if args.json:
        # one object per line keeps the C encoder (indent= forces the slow pure-Python one) and stays greppable
        data: dict[str, Any] = {"destinations": rows, "inputs": report_dict(report)}
        if report.bypass is not None:
            data["bypass"] = finding_dict(report.bypass)
        if compared is not None:
            data.update(compared)
        write_json(data, sys.stdout, {"destinations": row_json()})
    elif sys.stdout.isatty():
        render_scan_rich(rows, sys.stdout)
        render_inputs_rich(report, sys.stdout)
    else:
        render_scan_plain(rows, sys.stdout)
        render_inputs_plain(report, sys.stdout)
    if report.bypass is not None and not args.json:
        render_finding(report.bypass, sys.stdout)
    if compared is not None and not args.json:
        sys.stdout.write(render_comparison(compared))
    return status
