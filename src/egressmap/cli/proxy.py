"""``egressmap proxy``: a recording (audit) or enforcing forward proxy."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ConfigError
from .common import EXIT_OK

NAME = "proxy"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    p = sub.add_parser("proxy", parents=[common], help="a recording (audit) or enforcing forward proxy")
    p.add_argument("--listen", default="127.0.0.1:3128", metavar="ADDR:PORT", help="default 127.0.0.1:3128")
    p.add_argument("--record", metavar="FILE", help="append a JSON Lines record (scan/build read it)")
    p.add_argument("--enforce", metavar="POLICY", help="allow only what this policy allows (default: audit)")
    p.add_argument(
        "--region", action="append", metavar="R", help="expand {region} templates (default: the policy's)"
    )
    p.add_argument(
        "--allow-client",
        action="append",
        default=[],
        metavar="CIDR",
        help="clients allowed (default: loopback)",
    )
    p.add_argument(
        "--transparent", action="store_true", help="accept iptables/nftables-redirected connections"
    )
    p.add_argument("--hosts-file", metavar="FILE", help="resolve these names first (ADDRESS NAME... lines)")
    p.add_argument("--allow-any-client", action="store_true", help="accept --allow-client over public space")
    p.add_argument("--max-connections", type=int, default=8192, metavar="N", help="client connections (8192)")
    p.add_argument(
        "--max-conns-per-client", type=int, metavar="N", help="per client address (a quarter of the cap)"
    )
    p.add_argument(
        "--keepalive-timeout", type=float, default=120.0, metavar="S", help="idle between requests (120)"
    )
    p.add_argument(
        "--handshake-timeout", type=float, default=10.0, metavar="S", help="request head/hello (10)"
    )
    p.add_argument("--idle-timeout", type=float, default=300.0, metavar="S", help="no bytes either way (300)")
    p.add_argument(
        "--max-header-bytes", type=int, default=16384, metavar="N", help="request head size (16384)"
    )
    p.add_argument(
        "--workers", type=int, default=1, metavar="N", help="processes sharing the port (default 1)"
    )


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    from ..proxy.setup import build_config, run

    config, rejected = build_config(
        listen=args.listen,
        record=args.record,
        enforce=args.enforce,
        regions=args.region,
        allow_clients=args.allow_client,
        mode="transparent" if args.transparent else "forward",
        hosts_file=args.hosts_file,
        max_connections=args.max_connections,
        handshake_timeout=args.handshake_timeout,
        idle_timeout=args.idle_timeout,
        max_header_bytes=args.max_header_bytes,
        allow_any_client=args.allow_any_client,
        max_conns_per_client=args.max_conns_per_client,
        keepalive_timeout=args.keepalive_timeout,
    )
    for note in rejected:
        print(f"egressmap: proxy: {note}", file=sys.stderr)
    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    live = sys.stdout.isatty() and not args.quiet and args.workers == 1
    summary = run(config, live=live, workers=args.workers)
    if not args.quiet:
        print(f"egressmap: proxy stopped: {summary}", file=sys.stderr)
    return EXIT_OK
