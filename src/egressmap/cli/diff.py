"""``egressmap diff``: what changed from an approved policy to a new policy, or to fresh evidence."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..drift import FAIL_ON, RENDERERS, Labels, compare
from ..drift.inputs import policy_schema
from ..errors import ConfigError, EgressmapError
from ..ingest import IngestReport, split_configs
from ..model import Policy
from ..policy import build_policy
from ..policy_file import SCHEMA, load_policy
from .common import EXIT_ERROR, EXIT_OK, EXIT_PARTIAL, ingest, predictions, write
from .flags import add_sources

NAME = "diff"
BATCH = True
"""A one-shot batch run: the CLI pauses the cyclic garbage collector around it (see :func:`egressmap.cli.batch_gc`)."""

_DESCRIPTION = """\
Compare OLD, an approved policy file, with NEW: another policy file, or evidence (the logs, lists and configs
'build' reads, made into a policy the way 'build' makes one). NEW is a policy when it declares
'schema: egressmap.policy/...'; otherwise every SOURCE is evidence. Each side is read as its exports read it,
so a name OLD already allows (under an approved wildcard, or a template in one of OLD's regions) is not 'added'.
Kinds: added, removed, widened, narrowed (ports, match kind, hosts under a template or wildcard), tier, scope;
'covered' lists new names OLD already allows and is never a difference.
"""
_FAIL_ON_HELP = (
    "exit 1 when the diff has differences of this kind: added; changed (widened, narrowed, tier or scope); "
    "any (added, removed or changed); or one kind: removed, widened, narrowed, tier, scope (repeatable)"
)
_EVIDENCE_FLAGS: tuple[tuple[str, str, object], ...] = (
    ("--format", "format", "auto"),
    ("--squid-logformat", "squid_logformat", None),
    ("--squid-conf", "squid_conf", None),
    ("--stack", "stack", None),
    ("--os", "os_name", None),
    ("--feature", "feature", []),
)


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    d = sub.add_parser(
        "diff",
        parents=[common],
        help="what changed: an approved policy against a new policy, or against fresh evidence",
        description=_DESCRIPTION,
    )
    d.add_argument("old", metavar="OLD", help="the approved policy file (YAML or JSON), or - for stdin")
    add_sources(d)
    d.add_argument(
        "--to",
        choices=sorted(RENDERERS),
        default="table",
        help="output: table (plain text, the default), markdown or json",
    )
    d.add_argument("--json", dest="to", action="store_const", const="json", help="same as --to json")
    d.add_argument(
        "--fail-on", action="append", default=[], choices=list(FAIL_ON), metavar="KIND", help=_FAIL_ON_HELP
    )
    d.add_argument(
        "--include-nxdomain",
        action="store_true",
        help="also compare names the evidence only ever saw answered NXDOMAIN (set aside by default)",
    )
    d.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    if args.old == "-" and "-" in args.sources:
        raise ConfigError("OLD and NEW cannot both be read from stdin")
    if args.old != "-" and Path(args.old).is_file() and not policy_schema(args.old):
        raise ConfigError(
            f"{args.old}: not an egressmap policy (OLD must declare 'schema: {SCHEMA}'; logs go on the NEW side)"
        )
    old = load_policy(args.old)
    new, report = _new_side(args)
    drift = compare(old, new, evidence=report is not None, include_nxdomain=args.include_nxdomain)
    write(RENDERERS[args.to](drift, Labels(args.old, tuple(args.sources))), args.output)
    failing = drift.failing(args.fail_on)
    if failing:
        print(
            f"egressmap: diff: --fail-on {','.join(args.fail_on)}: {len(failing)} difference(s) found",
            file=sys.stderr,
        )
        return EXIT_ERROR
    if report is not None and (report.failed_inputs or report.unread_inputs):
        return EXIT_PARTIAL
    return EXIT_OK


def _new_side(args: argparse.Namespace) -> tuple[Policy, IngestReport | None]:
    """NEW as a policy, and the ingest report when it is evidence (None for a policy file)."""
    declared = [path for path in args.sources if policy_schema(path)]
    if declared:
        path = declared[0]
        if len(args.sources) > 1:
            raise ConfigError(
                f"{path} is a policy file: give it as the only NEW (the others would be evidence)"
            )
        used = [flag for flag, dest, default in _EVIDENCE_FLAGS if getattr(args, dest) != default]
        if used:
            raise ConfigError(f"{', '.join(used)} read evidence, but NEW {path} is a policy file")
        return load_policy(path), None
    configs, logs = split_configs(args.sources)
    prediction = predictions(args, configs)
    destinations, report = ingest(args, logs)
    if not destinations and prediction is None:
        raise EgressmapError(
            f"no evidence found in {', '.join(args.sources)}: nothing to compare {args.old} with"
        )
    policy = build_policy(
        destinations,
        inputs=args.sources,
        skipped={k: report.count(k) for k in ("malformed", "dropped", "warning")},
        predicted=prediction.entries if prediction else (),
        drain=True,
    )
    return policy, report
