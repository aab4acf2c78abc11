"""``egressmap bundle plan``: the manifest of what to carry, from policies, configs or ``STACK@VERSION``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .common import EXIT_OK, write

ACTION = "plan"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    p = actions.add_parser(
        ACTION,
        parents=[common],
        help="the manifest of what to carry: from policies, scan reports, cluster configs or --stack",
        description="Write a bundle manifest (YAML, sorted, byte-identical across runs): the download-like "
        "URLs the evidence shows and the catalog's artefacts for a stack version.",
    )
    p.add_argument(
        "inputs",
        nargs="*",
        metavar="INPUT",
        help="a policy file, a 'scan --json' report or a cluster config (several allowed)",
    )
    p.add_argument(
        "--stack",
        metavar="STACK@VERSION",
        help="the catalog's artefacts: parallelcluster@3.14.0 (installer, Node.js), cyclecloud@8 (with --project)",
    )
    p.add_argument(
        "--project",
        action="append",
        default=[],
        metavar="NAME[@VERSION]",
        help="a CycleCloud project release to carry (repeatable; default version: the newest known)",
    )
    p.add_argument(
        "--include-failed",
        action="store_true",
        help="also carry downloads every request to which failed in the evidence",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the manifest here instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    from ..bundle.manifest import dump_manifest
    from ..bundle.planning import plan_manifest

    manifest = plan_manifest(
        args.inputs, stack=args.stack, projects=args.project, include_failed=args.include_failed
    )
    write(dump_manifest(manifest), args.output)
    if not args.quiet:
        releases = sum(a.kind == "github-release" for a in manifest.artefacts)
        print(
            f"egressmap: bundle plan: {len(manifest.artefacts) - releases} files, {releases} releases"
            + (f"; {len(manifest.notes)} notes in the manifest" if manifest.notes else ""),
            file=sys.stderr,
        )
    return EXIT_OK
