"""``egressmap bundle verify``."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ConfigError

ACTION = "verify"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    actions.add_parser(ACTION, parents=[common], help="verify (not yet built)")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    raise ConfigError("bundle verify is not built yet")
