"""``egressmap bundle verify DIR``: every file against the lock; exit 1 when anything is off."""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import EXIT_ERROR, EXIT_OK

ACTION = "verify"
SCHEMA = "egressmap.bundle-verify/1"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    p = actions.add_parser(
        ACTION,
        parents=[common],
        help="check a fetched bundle against its lock (missing, changed, extra files)",
        description="Check every file of a bundle directory against its lock: missing files, files whose size "
        "or sha256 changed, and files the lock does not name. Exit 1 when any is found.",
    )
    p.add_argument("directory", metavar="DIR", help="the bundle directory ('egressmap bundle fetch -o DIR')")
    p.add_argument("--json", action="store_true", help=f"one JSON document ({SCHEMA})")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    from ..bundle.verify import verify_bundle

    report = verify_bundle(args.directory)
    if args.json:
        doc = {
            "schema": SCHEMA,
            "ok": report.ok,
            "checked": report.checked,
            "missing": list(report.missing),
            "changed": [{"path": c.path, "reason": c.reason} for c in report.changed],
            "extra": list(report.extra),
        }
        print(json.dumps(doc, indent=2, sort_keys=True))
    else:
        for path in report.missing:
            print(f"missing  {path}")
        for c in report.changed:
            print(f"changed  {c.path}: {c.reason}")
        for path in report.extra:
            print(f"extra    {path}")
        print(
            f"{args.directory}: {report.checked} files in the lock, {report.intact} as locked, "
            f"{len(report.missing)} missing, {len(report.changed)} changed, {len(report.extra)} extra"
        )
    return EXIT_OK if report.ok else EXIT_ERROR
