"""Command line: parse flags, call the library, print. The only package that exits.

One module per command, its flags and its handler side by side (``add_parser``, ``run``), registered in
:data:`COMMANDS` in the order ``--help`` lists them; what several commands share is in :mod:`.common`.

Exit codes: 0 success; 1 error (nothing written) or ``--strict`` found bad lines; 2 usage;
3 partial success (output written, but an input could not be read at all, or is structured data egressmap
does not read, such as JSON lines or CSV, or an export left out entries it refuses).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from types import ModuleType

from .. import __version__
from ..errors import EgressmapError
from ..gcpause import paused_gc
from . import athena, build, bundle, catalog, diff, export, fetch, merge, plan, proxy, scan, verify
from .catalog import PHASES
from .common import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, log

__all__ = ["COMMANDS", "EXIT_ERROR", "EXIT_OK", "EXIT_PARTIAL", "EXIT_USAGE", "PHASES", "main", "parser"]

COMMANDS: tuple[ModuleType, ...] = (
    build,
    scan,
    merge,
    plan,
    catalog,
    export,
    diff,
    verify,
    proxy,
    fetch,
    athena,
    bundle,
)
"""Each command's module: ``NAME``, ``add_parser(sub, common)`` and ``run(args) -> int``."""


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    top = argparse.ArgumentParser(
        prog="egressmap",
        description="Which outbound destinations does this stack need, and is the firewall right?",
    )
    top.add_argument("--version", action="version", version=f"egressmap {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more detail (-vv for debug)")
    common.add_argument("-q", "--quiet", action="store_true", help="no report of skipped lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub, common)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``egressmap`` console script."""
    args = parser().parse_args(argv)
    level = os.environ.get("EGRESSMAP_LOGLEVEL") or (
        "DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING"
    )
    logging.basicConfig(format="egressmap: %(message)s", level=logging.WARNING)
    log.setLevel(level.upper())
    command = {command.NAME: command for command in COMMANDS}[args.command]
    try:
        with batch_gc(command, args):
            return int(command.run(args))
    except EgressmapError as exc:
        print(f"egressmap: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("egressmap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def batch_gc(command: ModuleType, args: argparse.Namespace) -> AbstractContextManager[None]:
    """The cyclic garbage collector paused for a batch command run in this process (``BATCH = True``).

    A batch run builds a few long-lived containers per distinct destination and frees them at exit; none forms
    a reference cycle, so the collector finds nothing, yet its full passes walk the whole table again and again
    as it grows: a third of ``build``'s time on 100,000 names (``bench/scale``). Long-running commands (the
    proxy, verify's probes) and the Dask engine's client keep it.
    """
    batch = getattr(command, "BATCH", False) and getattr(args, "engine", "local") != "dask"
    return paused_gc() if batch else nullcontext()
