"""``egressmap athena-sql``: the Athena table (partition projection) and the aggregate query ``build`` reads."""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK, write

NAME = "athena-sql"
SOURCES = ("route53-resolver", "vpc-flow", "network-firewall")
"""What ``--source`` takes (:data:`egressmap.athena_tables.TABLES`, without importing it for ``--help``)."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """The command's flags."""
    a = sub.add_parser(
        NAME,
        parents=[common],
        help="print Athena SQL: a table over AWS logs in S3 and a query whose CSV result build reads",
        description="Print the AWS-documented CREATE EXTERNAL TABLE for one log type, with partition projection "
        "over the given accounts, regions and dates, then an aggregate query. Run both in Athena, save the "
        "query's result as CSV and give it to egressmap build or scan (docs/athena.md).",
    )
    a.add_argument("--source", required=True, choices=SOURCES, help="the log type")
    a.add_argument("--bucket", required=True, metavar="B", help="the S3 bucket the logs are delivered to")
    a.add_argument("--prefix", metavar="P", help="the key prefix before AWSLogs/, if the delivery sets one")
    a.add_argument("--accounts", required=True, metavar="A1,A2", help="the account ids in the S3 path")
    a.add_argument(
        "--regions",
        required=True,
        metavar="R1,R2",
        help="the regions (route53-resolver: its region field, the path has none)",
    )
    a.add_argument("--vpcs", metavar="V1,V2", help="route53-resolver: the VPC ids in the S3 path")
    a.add_argument("--firewalls", metavar="F1,F2", help="network-firewall: the firewall names in the S3 path")
    a.add_argument("--database", metavar="D", help="the Athena database (default: default)")
    a.add_argument(
        "--table", metavar="T", help="the table name (default: AWS's example name for the log type)"
    )
    a.add_argument("--since", metavar="DATE", help="the first day, YYYY-MM-DD (default: 30 days ago)")
    a.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def run(args: argparse.Namespace) -> int:
    """Run the command; the exit code."""
    from ..athena import render, request

    req = request(
        args.source,
        args.bucket,
        args.accounts,
        args.regions,
        prefix=args.prefix,
        vpcs=args.vpcs,
        firewalls=args.firewalls,
        database=args.database,
        table=args.table,
        since=args.since,
    )
    write(render(req).text(), args.output)
    return EXIT_OK
