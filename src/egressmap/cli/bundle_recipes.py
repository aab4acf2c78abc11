"""``egressmap bundle recipes``: pip, dnf and apt-offline runbooks for a policy; an offline wheelhouse check."""

from __future__ import annotations

import argparse
import re
from typing import Any

from ..errors import ConfigError
from .common import EXIT_ERROR, EXIT_OK, write

ACTION = "recipes"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    p = actions.add_parser(
        ACTION,
        parents=[common],
        help="pip download, dnf reposync and apt-offline runbooks for a policy; --check-wheelhouse",
        description="Print the package managers' own commands for what the policy needs from PyPI and OS "
        "repositories, or check a pip wheelhouse offline.",
    )
    p.add_argument("policy", nargs="?", metavar="POLICY", help="a policy file (build's or plan's entries)")
    p.add_argument(
        "--stack",
        metavar="parallelcluster@VERSION",
        help="the CLI version (default: the policy's predictions)",
    )
    p.add_argument("--python-version", default="3.12", metavar="X.Y", help="target Python (default 3.12)")
    p.add_argument(
        "--platform",
        action="append",
        default=[],
        metavar="TAG",
        help="target platform tag (repeatable; default manylinux2014_x86_64)",
    )
    p.add_argument("--check-wheelhouse", metavar="DIR", help="check DIR offline instead of printing recipes")
    p.add_argument(
        "--requirement",
        action="append",
        default=[],
        metavar="REQ",
        help="what the wheelhouse must install (default: aws-parallelcluster==VERSION)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    from ..bundle.wheelhouse import Target

    if not re.fullmatch(r"\d+\.\d+", args.python_version):
        raise ConfigError(f"--python-version {args.python_version!r}: give X.Y, e.g. 3.12")
    target = Target(args.python_version, tuple(args.platform) or ("manylinux2014_x86_64",))
    version = _stack_version(args.stack)
    if args.check_wheelhouse:
        return _check(args, target, version)
    if not args.policy:
        raise ConfigError("give a POLICY, or --check-wheelhouse DIR")
    from ..bundle.evidence import from_policy
    from ..bundle.recipes import render
    from ..policy_file import load_policy

    policy = load_policy(args.policy)
    keys = [a.url for a in from_policy(policy, args.policy, include_failed=True).artefacts]
    write(render(policy, args.policy, target, keys, version), args.output)
    return EXIT_OK


def _stack_version(spec: str | None) -> str | None:
    if spec is None:
        return None
    from ..catalog import resolve

    cat, version = resolve(spec)
    if cat.stack != "parallelcluster":
        raise ConfigError(f"--stack {spec!r}: recipes know the ParallelCluster CLI only")
    return str(version)


def _check(args: argparse.Namespace, target: Any, version: str | None) -> int:
    from ..bundle.recipes import pcluster_version
    from ..bundle.wheelhouse import check_wheelhouse

    roots = list(args.requirement)
    if not roots:
        if version is None and args.policy:
            from ..policy_file import load_policy

            version = pcluster_version(load_policy(args.policy))
        if version is None:
            raise ConfigError(
                "--check-wheelhouse needs --requirement REQ, --stack parallelcluster@V or a POLICY"
            )
        roots = [f"aws-parallelcluster=={version}"]
    report = check_wheelhouse(args.check_wheelhouse, roots, target)
    lines = [f"{args.check_wheelhouse}: {len(report.checked)} wheels fit cp{target.python}"]
    lines += [f"missing: {m}" for m in report.missing]
    lines += [f"build backend missing: {b} (pip #10688)" for b in report.backends]
    if not report.ok:
        lines.append(
            "pip download with --only-binary=:all: cannot fill these (pip #9262): build them on a machine like the target"
        )
    write("\n".join(lines) + "\n", args.output)
    return EXIT_OK if report.ok else EXIT_ERROR
