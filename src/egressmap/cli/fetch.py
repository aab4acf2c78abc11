"""``egressmap fetch``: get the evidence from where it lives into a local file (``cloudwatch``, ``s3``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from . import fetch_azure, fetch_s3
from .common import EXIT_OK

NAME = "fetch"


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    f = sub.add_parser("fetch", help="download logs from where they live (CloudWatch Logs, S3)")
    actions = f.add_subparsers(dest="fetch_action", required=True, metavar="WHERE")
    c = actions.add_parser(
        "cloudwatch",
        parents=[common],
        help="every event of a CloudWatch Logs group (needs pip install 'egressmap[aws]')",
        description="Every event of a CloudWatch Logs group, one 'GROUP STREAM TIME MESSAGE' line each, "
        "ready for scan and build. Credentials and region come from the standard AWS chain.",
    )
    c.add_argument("log_group", nargs="?", metavar="LOG_GROUP", help="the log group name")
    c.add_argument(
        "--log-group-identifier",
        metavar="ARN",
        help="the log group's ARN (another account), instead of LOG_GROUP",
    )
    c.add_argument("--stream-prefix", metavar="P", help="only streams whose names start with P")
    c.add_argument("--since", metavar="T", help="start: 30m, 6h, 2d, 1w ago, or an ISO 8601 time")
    c.add_argument("--until", metavar="T", help="end: same forms as --since (default: now)")
    c.add_argument("--filter-pattern", metavar="F", help="a CloudWatch Logs filter pattern")
    c.add_argument("--profile", metavar="P", help="an AWS profile")
    c.add_argument("--region", metavar="R", help="an AWS region")
    c.add_argument("--endpoint-url", metavar="URL", help="another endpoint (a VPC endpoint, a test server)")
    c.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    c.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="save progress here after each page; resume from it when it exists",
    )
    fetch_azure.add_parser(actions, common)
    fetch_s3.add_parser(actions, common)


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    if args.fetch_action == "azure-logs":
        return fetch_azure.run(args)
    if args.fetch_action == "s3":
        return fetch_s3.run(args)
    from ..fetch.cloudwatch import Query, fetch, make_client, parse_time

    if bool(args.log_group) == bool(args.log_group_identifier):
        raise ConfigError(
            "fetch cloudwatch: give either LOG_GROUP or --log-group-identifier ARN (one of them)"
        )
    query = Query(
        group=args.log_group,
        identifier=args.log_group_identifier,
        stream_prefix=args.stream_prefix,
        start_ms=parse_time(args.since) if args.since else None,
        end_ms=parse_time(args.until) if args.until else None,
        filter_pattern=args.filter_pattern,
    )
    client = make_client(args.profile, args.region, args.endpoint_url)
    checkpoint = Path(args.checkpoint) if args.checkpoint else None
    result = fetch(client, query, Path(args.output), checkpoint)
    if not args.quiet:
        resumed = " (resumed from the checkpoint)" if result.resumed else ""
        throttled = f", {result.retries} throttled calls retried" if result.retries else ""
        print(
            f"egressmap: {result.events} events from {query.label()} in {result.pages} pages{throttled}"
            f"{resumed} -> {args.output}",
            file=sys.stderr,
        )
    return EXIT_OK
