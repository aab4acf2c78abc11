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
from ..sources.squid_count import per_line_loop
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
    loop = f"the native Squid log's per-line loop in {per_line_loop()}"  # Python: no C compiler at install
    top.add_argument("--version", action="version", version=f"egressmap {__version__} ({loop})")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more detail (-vv for debug)")
    common.add_argument("-q", "--quiet", action="store_true", help="no report of skipped lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub, common)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``egressmap`` console script."""
    top = parser()
    args, unknown = top.parse_known_args(argv)
    if unknown:
        slurm = misspelt_slurm_flag(unknown)
        if slurm:
            print(f"egressmap: error: {slurm}", file=sys.stderr)
            return EXIT_ERROR
        top.error(f"unrecognized arguments: {' '.join(unknown)}")
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


def misspelt_slurm_flag(unknown: Sequence[str]) -> str | None:
    """The message for an unknown ``--slurm…`` flag, with the one meant; None when there is none.

    A Slurm job script is where a typo costs most (a queued job that fails later), so such a flag is an error
    of its own (exit 1) naming the flag meant, not only argparse's usage line (exit 2) that other unknown flags
    give.
    """
    from difflib import get_close_matches

    from .engine_flags import SLURM_FLAGS

    for arg in unknown:
        flag = arg.split("=", 1)[0]
        if flag.startswith("--slurm"):
            near = get_close_matches(flag, SLURM_FLAGS, n=1, cutoff=0.6)
            hint = (
                f" (did you mean {near[0]}?)" if near else f"; the Slurm flags are {', '.join(SLURM_FLAGS)}"
            )
            return f"unknown flag {flag}{hint}"
    return None
