"""``egressmap bundle fetch``."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError

ACTION = "fetch"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    actions.add_parser(ACTION, parents=[common], help="fetch (not yet built)")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    raise ConfigError("bundle fetch is not built yet")
