"""``egressmap verify``: probe every destination from inside the network."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import ConfigError
from ..policy import expand_regions
from .common import EXIT_ERROR, EXIT_OK, write

NAME = "verify"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    v = sub.add_parser(
        "verify",
        parents=[common],
        help="probe every destination from here: DNS, TCP, TLS (SNI), HTTP, directly or via the proxy",
    )
    v.add_argument("input", metavar="POLICY_OR_LIST", help="a policy file, or a list of hosts/URLs")
    v.add_argument("--proxy", metavar="URL", help="go through this HTTP proxy (default: the proxy variables)")
    v.add_argument("--no-env-proxy", action="store_true", help="ignore http(s)_proxy/no_proxy variables")
    v.add_argument("--region", action="append", default=[], metavar="R", help="expand {region} for R")
    v.add_argument(
        "--expect-blocked", action="append", default=[], metavar="HOST[:PORT]", help="must NOT be reachable"
    )
    v.add_argument("--no-canary", action="store_true", help="do not expect example.com to be blocked")
    v.add_argument(
        "--sample",
        action="append",
        default=[],
        metavar="[*.SUFFIX=]HOST",
        help="a name to probe a wildcard by",
    )
    v.add_argument(
        "--resolve", action="append", default=[], metavar="HOST[:PORT]:ADDR", help="like curl's --resolve"
    )
    v.add_argument(
        "--dns-server", metavar="IP[:PORT]", help="ask this DNS server (default: /etc/resolv.conf)"
    )
    v.add_argument(
        "--resolver", choices=("dns", "system"), default="dns", help="DNS queries (default) or getaddrinfo"
    )
    v.add_argument(
        "--protocol",
        action="append",
        default=[],
        metavar="PORT=KIND",
        help="probe PORT as https, http or tcp (default: the catalog's, else 443/8443/9443 https, 80/8080 http)",
    )
    v.add_argument("--ca-file", metavar="PEM", help="trust these CAs when reporting certificate validity")
    v.add_argument("--concurrency", type=int, default=50, metavar="N", help="targets in flight (default 50)")
    v.add_argument("--timeout", type=float, default=5.0, metavar="S", help="seconds per stage (default 5)")
    v.add_argument(
        "--deadline",
        type=float,
        metavar="S",
        help="seconds for the whole run; destinations left are failures 'not probed: deadline' (300; 0: none)",
    )
    v.add_argument(
        "--include-documentation", action="store_true", help="also probe documentation-only entries"
    )
    v.add_argument("--strict", action="store_true", help="fail on unreadable lines and unprobed entries")
    v.add_argument(
        "--bundle",
        metavar="DIR",
        help="a fetched bundle: entries it carries are not probed (they need no network path)",
    )
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--junit", metavar="FILE", help="also write JUnit XML here")
    v.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    from .. import verify as v
    from ..verify.limits import raise_open_files_limit

    raise_open_files_limit()  # every target in flight holds a socket or two
    if args.concurrency < 1 or not 0 < args.timeout <= 3600:
        raise ConfigError("--concurrency must be at least 1 and --timeout between 0 and 3600 seconds")
    if args.deadline is not None and not 0 <= args.deadline < float("inf"):
        raise ConfigError("--deadline must be a number of seconds (0 for none)")
    regions = expand_regions(args.region) if args.region else ()
    source = v.read_input(args.input)
    if args.bundle:
        source = _without_carried(source, args)
    plan = v.plan_targets(
        source,
        args.input,
        regions=regions,
        samples=args.sample,
        expect_blocked=args.expect_blocked,
        canary=not args.no_canary,
        include_documentation=args.include_documentation,
        protocols=args.protocol,
    )
    resolver = v.Resolver(
        overrides=v.parse_resolve(args.resolve),
        nameserver=v.parse_nameserver(args.dns_server) if args.dns_server else None,
        system=args.resolver == "system",
    )
    settings = v.Settings(resolver=resolver, timeout=args.timeout, ca_file=args.ca_file)
    proxies = v.ProxyChoice(args.proxy, os.environ, use_env=not args.no_env_proxy)
    deadline = v.DEADLINE if args.deadline is None else args.deadline or None
    outcome = v.run_plan(plan, v.Verifier(settings, proxies, args.concurrency, deadline))
    for problem in () if args.quiet else outcome.problems:
        print(f"egressmap: verify: {problem}", file=sys.stderr)
    if args.junit:
        write(v.to_junit(outcome), args.junit)
    if args.json:
        write(v.to_json(outcome), args.output)
    elif args.output or not sys.stdout.isatty():
        write(v.render_plain(outcome), args.output)
    else:
        v.render_rich(outcome, sys.stdout)
    strict_fail = args.strict and (outcome.problems or outcome.skipped)
    return EXIT_ERROR if not outcome.passed or strict_fail else EXIT_OK


def _without_carried(source: Any, args: argparse.Namespace) -> Any:
    """The policy less the entries the bundle carries in full (named on stderr)."""
    from dataclasses import replace

    from ..bundle.coverage import read_carried, uncarried
    from ..model import Policy

    if not isinstance(source, Policy):
        raise ConfigError(
            "--bundle needs a policy file: a plain list has no reasons to match artefacts against"
        )
    carried, left = uncarried(source.entries, read_carried(args.bundle))
    if not args.quiet:
        names = ", ".join(e.pattern for e in carried) or "none"
        print(
            f"egressmap: verify: carried by the bundle, not probed ({len(carried)}): {names}", file=sys.stderr
        )
    return replace(source, entries=tuple(left))
