"""``egressmap merge``: combine summaries (``scan --summary``) into one."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ConfigError
from .common import EXIT_OK

NAME = "merge"
BATCH = True
"""A one-shot batch run: the CLI pauses the cyclic garbage collector around it (see :func:`egressmap.cli.batch_gc`)."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    m = sub.add_parser(
        "merge",
        parents=[common],
        help="combine summaries written by scan --summary into one",
        description="Combine summaries (scan --summary FILE) into one. build and scan read a summary like a "
        "log; the policy built from merged summaries is the one a single run over all their inputs builds.",
    )
    m.add_argument("summaries", nargs="+", metavar="SUMMARY", help="summary files")
    m.add_argument("-o", "--output", required=True, metavar="FILE", help="the merged summary")


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    from ..evidence import merge
    from ..summary import is_summary, read_summary, write_summary

    for path in args.summaries:
        if not is_summary(path):
            raise ConfigError(
                f"{path}: not an egressmap summary (make one with: egressmap scan --summary FILE LOGS)"
            )
    evidence = merge(read_summary(path) for path in args.summaries)
    records = write_summary(evidence, args.output)
    if not args.quiet:
        print(
            f"egressmap: merged {len(args.summaries)} summaries: {len(evidence.report.inputs)} input(s), "
            f"{len(evidence.table)} destination(s) ({records} records) -> {args.output}",
            file=sys.stderr,
        )
    return EXIT_OK
