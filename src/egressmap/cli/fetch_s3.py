"""``egressmap fetch s3``: AWS log objects under an S3 prefix into a file ``scan`` and ``build`` read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..fetch import S3_KINDS as KINDS
from .common import EXIT_OK

SOURCE_PLACEHOLDER = "{source}"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The ``s3`` action's flags."""
    s = actions.add_parser(
        "s3",
        parents=[common],
        help="Route 53 Resolver, VPC flow and Network Firewall logs from an S3 bucket (needs [aws])",
        description="The log objects AWS delivered under s3://BUCKET[/PREFIX]/AWSLogs/, listed only under the "
        "prefixes of the accounts, regions, kinds of log and days asked for, decompressed, into one file per kind "
        "of log, ready for scan and build. Credentials come from the standard AWS chain.",
    )
    s.add_argument(
        "uri", metavar="s3://BUCKET[/PREFIX]", help="the bucket, and the prefix before AWSLogs/ if any"
    )
    s.add_argument(
        "--account",
        action="append",
        default=[],
        metavar="A",
        help="an account id (repeatable; default: every account under AWSLogs/)",
    )
    s.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="R",
        help="a region of the logs (repeatable; flow logs and Network Firewall; default: every region found)",
    )
    s.add_argument(
        "--source",
        action="append",
        default=[],
        choices=KINDS,
        metavar="KIND",
        help=f"a kind of log: {', '.join(KINDS)} (repeatable; default: all)",
    )
    s.add_argument(
        "--since", metavar="T", help="first day: 30m, 6h, 2d, 1w ago, or an ISO 8601 time (default 1d)"
    )
    s.add_argument("--until", metavar="T", help="last day: same forms as --since (default: today)")
    s.add_argument(
        "--max-size",
        default="1G",
        metavar="SIZE",
        help="refuse to read more than this (as stored, so gzip; default 1G) without --yes",
    )
    s.add_argument("--yes", action="store_true", help="read whatever the listing found, however big")
    s.add_argument("--profile", metavar="P", help="an AWS profile")
    s.add_argument("--endpoint-url", metavar="URL", help="another endpoint (a VPC endpoint, a test server)")
    s.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help=f"the file to write; with several kinds of log put {SOURCE_PLACEHOLDER} in it (one file per kind)",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fetch s3``; the exit code."""
    from ..fetch.aws import FetchError, make_client
    from ..fetch.s3 import check_size, human, list_logs, make_query, nothing_found, parse_size
    from ..fetch.s3_read import write_objects

    query = make_query(args.uri, args.account, args.region, args.source, args.since, args.until)
    limit = parse_size(args.max_size)
    client = make_client("s3", args.profile, None, args.endpoint_url, default_region="us-east-1")
    listing = list_logs(client, query)
    if not listing.count():
        raise nothing_found(listing, query.uri)
    if not args.yes:
        check_size(
            listing,
            query.uri,
            limit,
            "narrow --since, --until, --account, --region or --source, or give --yes",
        )
    kinds = [kind for kind in KINDS if listing.objects.get(kind)]
    if len(kinds) > 1 and SOURCE_PLACEHOLDER not in args.output:
        found = ", ".join(f"{kind} ({len(listing.objects[kind])} objects)" for kind in kinds)
        raise FetchError(
            f"{query.uri} holds {found}; a file holds one kind: give --source KIND, "
            f"or put {SOURCE_PLACEHOLDER} in -o (e.g. -o 'logs-{SOURCE_PLACEHOLDER}.txt')"
        )

    def say(text: str) -> None:
        if not args.quiet:
            print(f"egressmap: {text}", file=sys.stderr)

    say(
        f"{query.uri}: {listing.count()} objects, {human(listing.size())} to read ({listing.span()}, "
        f"{len(listing.prefixes)} prefixes listed)"
    )
    for why, count in listing.left_out.items():
        say(f"{query.uri}: {count} {why}")
    for kind in kinds:
        out = Path(args.output.replace(SOURCE_PLACEHOLDER, kind))
        body = write_objects(client, query.bucket, listing.objects[kind], out)
        for problem in body.problems:  # damaged or vanished objects: said even with -q
            print(f"egressmap: {out}:{problem.lineno}: {problem.reason}", file=sys.stderr)
        say(f"{body.read_objects} objects of {kind} logs ({human(listing.size(kind))} as stored) -> {out}")
    return EXIT_OK
