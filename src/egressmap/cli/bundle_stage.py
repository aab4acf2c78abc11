"""``egressmap bundle stage STACK DIR -o STAGE``: lay out a fetched bundle the way the stack expects it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from .common import EXIT_OK

ACTION = "stage"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags: one sub-command per stack."""
    p = actions.add_parser(
        ACTION,
        parents=[common],
        help="lay out a fetched bundle the way a stack expects it, and print the remaining steps",
        description="Lay out what a fetched bundle carries the way the stack installs it offline, and print "
        "the steps left to do on the isolated side.",
    )
    stacks = p.add_subparsers(dest="stage_stack", required=True, metavar="STACK")
    cc = stacks.add_parser(
        "cyclecloud",
        parents=[common],
        help="a CycleCloud project release: projects/<name>/<version>/ and projects/<name>/blobs/",
    )
    cc.add_argument("directory", metavar="DIR", help="the bundle directory ('egressmap bundle fetch -o DIR')")
    cc.add_argument("--project", required=True, metavar="NAME[@VERSION]", help="e.g. slurm or slurm@3.0.8")
    cc.add_argument("-o", "--output", required=True, metavar="STAGE", help="where to lay it out")
    pc = stacks.add_parser(
        "parallelcluster",
        parents=[common],
        help="the ParallelCluster standalone installer, its S3 upload and the admin node's user data",
    )
    pc.add_argument("directory", metavar="DIR", help="the bundle directory ('egressmap bundle fetch -o DIR')")
    pc.add_argument("--version", required=True, metavar="V", help="the ParallelCluster version, e.g. 3.14.0")
    pc.add_argument("--bucket", metavar="NAME", help="the S3 bucket the admin node installs from")
    pc.add_argument("-o", "--output", required=True, metavar="STAGE", help="where to lay it out")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    from ..bundle import stage_cyclecloud, stage_parallelcluster

    out = Path(args.output)
    if args.stage_stack == "cyclecloud":
        staged = stage_cyclecloud.stage_cyclecloud(args.directory, args.project, out)
        print(stage_cyclecloud.steps(staged, out))
    else:
        installer = stage_parallelcluster.stage_parallelcluster(
            args.directory, args.version, out, args.bucket
        )
        print(stage_parallelcluster.steps(installer))
    return EXIT_OK
