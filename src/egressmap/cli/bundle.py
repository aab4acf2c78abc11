"""``egressmap bundle``: what to carry into an isolated network.

One module per action (``plan``, ``fetch``, ``stage``, ``verify``, ``recipes``), dispatched here.
"""

from __future__ import annotations

import argparse
from typing import Any

from . import bundle_fetch, bundle_plan, bundle_recipes, bundle_stage, bundle_verify

NAME = "bundle"

ACTIONS = (bundle_plan, bundle_fetch, bundle_stage, bundle_verify, bundle_recipes)
"""Each action's module: ``ACTION``, ``add_parser(actions, common)`` and ``run(args) -> int``."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    b = sub.add_parser(
        "bundle",
        help="air-gap bundles: plan, fetch, stage and verify what an isolated cluster needs",
        description="Plan what an isolated cluster needs from the internet, fetch it on a connected machine, "
        "check it, and stage it the way the stack expects.",
    )
    actions = b.add_subparsers(dest="bundle_action", required=True, metavar="ACTION")
    for action in ACTIONS:
        action.add_parser(actions, common)


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    run_action = {action.ACTION: action.run for action in ACTIONS}[args.bundle_action]
    return int(run_action(args))
