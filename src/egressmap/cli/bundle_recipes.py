"""``egressmap bundle recipes``."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError

ACTION = "recipes"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    actions.add_parser(ACTION, parents=[common], help="recipes (not yet built)")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    raise ConfigError("bundle recipes is not built yet")
