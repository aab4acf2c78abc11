"""``egressmap export``: render a policy file in a firewall's format."""

from __future__ import annotations

import argparse
from typing import Any

from ..policy_file import load_policy
from .common import EXIT_OK, EXIT_PARTIAL, export_text, write
from .flags import add_export

NAME = "export"
BATCH = True
"""A one-shot batch run: the CLI pauses the cyclic garbage collector around it (see :func:`egressmap.cli.batch_gc`)."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    e = sub.add_parser("export", parents=[common], help="render a policy file in a firewall's format")
    e.add_argument("policy", metavar="POLICY", help="a policy file (YAML or JSON), or - for stdin")
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    add_export(e, required=True)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    policy = load_policy(args.policy)
    text, refused = export_text(policy, args)
    write(text, args.output)
    return EXIT_PARTIAL if refused else EXIT_OK  # a partial configuration never passes silently
