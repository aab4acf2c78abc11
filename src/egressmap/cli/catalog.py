"""``egressmap catalog list|show|diff``: what each stack version needs, from the bundled catalog."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from ..errors import ConfigError
from ..policy_file import dump_json
from .common import EXIT_OK

NAME = "catalog"
PHASES = ("cli-install", "image-build", "node-bootstrap", "cluster-runtime", "access")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    c = sub.add_parser(
        "catalog", parents=[common], help="what each stack version needs, from the bundled catalog"
    )
    csub = c.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    cl = csub.add_parser("list", help="the stacks the catalog covers")
    cl.add_argument("--json", action="store_true")
    cs = csub.add_parser("show", help="one stack version's destinations, NSG rules and flows")
    cs.add_argument("stack", metavar="STACK[@VERSION]")
    cd = csub.add_parser("diff", help="what changed between two versions")
    cd.add_argument("a", metavar="STACK@VERSION")
    cd.add_argument("b", metavar="STACK@VERSION")
    for q in (cs, cd):
        q.add_argument("--os", dest="os_name", metavar="OS", help="only this OS (default: every OS)")
        q.add_argument("--arch", choices=("x86_64", "arm64"), help="only this architecture")
        q.add_argument(
            "--feature",
            action="append",
            default=[],
            metavar="F",
            help="turn on a feature (repeatable; 'all' for every one)"
            + ("" if q is cs else "; default: all"),
        )
        q.add_argument("--region", metavar="R", help="fill in {region} and pick the partition")
        q.add_argument("--json", action="store_true", help="machine-readable output")
    cs.add_argument(
        "--phase", action="append", default=[], choices=PHASES, help="only these phases (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    from ..catalog import bundled, resolve, select, select_flows, select_rules
    from ..catalog import render as show
    from ..catalog.diff import diff
    from ..catalog.planner import show_target

    catalogs = bundled()
    if args.catalog_command == "list":
        cats = [catalogs[name] for name in sorted(catalogs)]
        if args.json:
            sys.stdout.write(dump_json({"stacks": [_stack_summary(c) for c in cats]}))
        else:
            sys.stdout.write(show.stack_list(cats))
        return EXIT_OK
    if args.catalog_command == "show":
        cat, version = resolve(args.stack)
        target = show_target(cat, version, args.os_name, args.arch, args.feature, args.region)
        phases = args.phase or None
        entries = select(cat, target, phases)
        every = select(cat, replace(target, features=None), phases)
        if args.region:
            entries = [replace(e, hosts=e.hosts_for(args.region)) for e in entries]
        rules, flows = select_rules(cat, target), select_flows(cat, target)
        if args.json:
            sys.stdout.write(dump_json(show.show_dict(cat, target, entries, rules, flows)))
        else:
            label = f"{cat.stack}@{version}" + (f", os {args.os_name}" if args.os_name else "")
            sys.stdout.write(show.show(cat, label, entries, rules, flows, len(every) - len(entries)))
        return EXIT_OK
    cat_a, version_a = resolve(args.a)
    cat_b, version_b = resolve(args.b)
    if cat_a.stack != cat_b.stack:
        raise ConfigError(
            f"catalog diff compares two versions of one stack, not {cat_a.stack} and {cat_b.stack}"
        )
    features = args.feature or ["all"]
    target_a = show_target(cat_a, version_a, args.os_name, args.arch, features, args.region)
    changes = diff(cat_a, target_a, replace(target_a, version=version_b))
    if args.json:
        sys.stdout.write(dump_json({"a": args.a, "b": args.b, "changes": [c.to_dict() for c in changes]}))
    else:
        sys.stdout.write(show.diff_text(f"{cat_a.stack}@{version_a}", f"{cat_b.stack}@{version_b}", changes))
    return EXIT_OK


def _stack_summary(cat: Any) -> dict[str, Any]:
    return {
        "stack": cat.stack,
        "title": cat.title,
        "provider": cat.provider,
        "versions": list(cat.versions),
        "oses": list(cat.oses),
        "features": dict(cat.features),
        "entries": len(cat.entries),
        "nsg_rules": len(cat.nsg_rules),
        "flows": len(cat.flows),
    }
