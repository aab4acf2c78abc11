"""``egressmap build``: logs and lists to a policy (YAML), or straight to an export."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..bypass import summary_lines, with_warnings
from ..ingest import split_configs
from ..policy import build_policy, expand_regions
from ..policy_file import dump_yaml
from ..review import excluded_note, without_flagged
from .common import (
    EXIT_OK,
    EXIT_PARTIAL,
    export_text,
    ingest,
    policy_inputs,
    predictions,
    write,
)
from .flags import add_export, add_sources

NAME = "build"
BATCH = True
"""A one-shot batch run: the CLI pauses the cyclic garbage collector around it (see :func:`egressmap.cli.batch_gc`)."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    b = sub.add_parser("build", parents=[common], help="build a policy (YAML) from logs and lists")
    add_sources(b)
    b.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    b.add_argument(
        "--fold-regions", action="store_true", help="fold hosts differing only by region into templates"
    )
    b.add_argument(
        "--wildcard",
        action="append",
        default=[],
        metavar="SUFFIX",
        help="merge hosts under *.SUFFIX at any depth (refused over a public suffix)",
    )
    b.add_argument(
        "--wildcard-label",
        action="append",
        default=[],
        metavar="SUFFIX",
        help="merge hosts exactly one label below SUFFIX into *.SUFFIX (match: one-label)",
    )
    add_export(b, required=False)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    configs, logs = split_configs(args.sources)
    prediction = predictions(args, configs)
    destinations, report = ingest(args, logs)
    regions = expand_regions(args.region) if args.region else []
    skipped = {k: report.count(k) for k in ("malformed", "dropped", "warning")}
    policy = build_policy(
        destinations,
        fold=args.fold_regions,
        regions=regions,
        wildcards=args.wildcard,
        label_wildcards=args.wildcard_label,
        inputs=policy_inputs(configs, report),
        skipped=skipped,
        predicted=prediction.entries if prediction else (),
        drain=True,
    )
    del destinations  # what the policy needs of it is in its entries; free it before the export is written
    if report.bypass is not None:
        policy = with_warnings(policy, report.bypass)
        if not args.quiet:
            for line in summary_lines(report.bypass):
                print(f"egressmap: {line}", file=sys.stderr)
    if args.exclude_denied and not args.to:
        policy, gone = without_flagged(policy)
        print(f"egressmap: build: {excluded_note(gone)}", file=sys.stderr)
    text, refused = export_text(policy, args) if args.to else (dump_yaml(policy), 0)
    write(text, args.output)
    return EXIT_PARTIAL if report.failed_inputs or report.unread_inputs or refused else EXIT_OK
