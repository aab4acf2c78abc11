"""``egressmap plan``: what a ParallelCluster config needs: destinations, endpoints, findings."""

from __future__ import annotations

import argparse
from typing import Any

from ..policy_file import dump_json
from .common import EXIT_OK, write

NAME = "plan"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    pl = sub.add_parser(
        "plan",
        parents=[common],
        help="what a ParallelCluster config needs: destinations, endpoints, findings",
    )
    pl.add_argument(
        "configs", nargs="+", metavar="CONFIG", help="cluster config (v3 YAML), build-image config, v2 ini"
    )
    pl.add_argument(
        "--stack", metavar="NAME@VERSION", help="ParallelCluster version (default: the newest known)"
    )
    pl.add_argument("--region", metavar="R", help="region when the config names none")
    pl.add_argument("--os", dest="os_name", metavar="OS", help="OS when the config names none (build-image)")
    pl.add_argument(
        "--feature", action="append", default=[], metavar="F", help="turn on a feature (repeatable)"
    )
    pl.add_argument(
        "--network",
        choices=("auto", "isolated", "proxy"),
        default="auto",
        help="the network the cluster runs in (default: proxy when the config sets one, else isolated)",
    )
    pl.add_argument(
        "--bundle",
        metavar="DIR",
        help="a fetched bundle: what it carries counts as covered; list what is neither carried nor reachable",
    )
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    pl.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    from ..catalog.configs import load_config
    from ..catalog.planner import plan
    from ..catalog.render import plan_text

    plans = [
        plan(
            load_config(path),
            args.stack,
            network=args.network,
            region=args.region,
            os_name=args.os_name,
            features=args.feature,
        )
        for path in args.configs
    ]
    carried = None
    if args.bundle:
        from ..bundle.coverage import coverage, coverage_text, read_carried

        carried = read_carried(args.bundle)
    dicts, texts = [], []
    for p in plans:
        dicts.append(p.to_dict())
        texts.append(plan_text(p))
        if carried is not None:
            cov = coverage(p.entries, carried)
            dicts[-1]["bundle"] = cov.to_dict(carried)
            texts[-1] += "\n".join(coverage_text(cov, carried)) + "\n"
    if args.json:
        write(dump_json(dicts[0] if len(plans) == 1 else {"plans": dicts}), args.output)
    else:
        write("\n".join(texts), args.output)
    return EXIT_OK
