"""``egressmap fetch azure-logs``: its flags and handler (a part of :mod:`.fetch`, kept apart to merge easily)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..fetch.azure_logs import TABLES
from .common import EXIT_OK, EXIT_PARTIAL


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The ``azure-logs`` flags."""
    a = actions.add_parser(
        "azure-logs",
        parents=[common],
        help="Azure Firewall logs from a Log Analytics workspace (needs pip install 'egressmap[azure]')",
        description="Every row of an Azure Firewall table in a Log Analytics workspace, as JSON lines ready "
        "for scan and build. Credentials come from the standard Azure chain (environment, managed identity, "
        "az login).",
    )
    a.add_argument("workspace", metavar="WORKSPACE_ID", help="the workspace ID (a GUID)")
    a.add_argument(
        "--table",
        required=True,
        choices=TABLES,
        metavar="TABLE",
        help=f"the table to fetch: {', '.join(TABLES)}",
    )
    a.add_argument("--since", metavar="T", default="1d", help="start: 30m, 6h, 2d, 1w ago, or an ISO 8601 time "
                   "(default: 1d)")  # fmt: skip
    a.add_argument("--until", metavar="T", help="end: same forms as --since (default: now)")
    a.add_argument(
        "--chunk", metavar="D", default="6h", help="time range of one query: 30m, 6h, 1d (default: 6h)"
    )
    a.add_argument(
        "--endpoint", metavar="URL", help="another query endpoint (a sovereign cloud, a test server)"
    )
    a.add_argument("-o", "--output", required=True, metavar="FILE", help="the file to write")
    a.add_argument(
        "--checkpoint",
        metavar="FILE",
        help="save progress here after each chunk; resume from it when it exists",
    )


def run(args: argparse.Namespace) -> int:
    """Run ``fetch azure-logs``; the exit code (3 when a chunk came back partial)."""
    import time

    from ..fetch.azure_logs import LogsQuery, duration_ms, fetch
    from ..fetch.azure_sdk import make_runner
    from ..fetch.cloudwatch import parse_time

    now = time.time()
    query = LogsQuery(
        workspace=args.workspace,
        table=args.table,
        start_ms=parse_time(args.since, now=now),
        end_ms=parse_time(args.until, now=now) if args.until else int(now * 1000),
        chunk_ms=duration_ms(args.chunk),
    )
    runner = make_runner(args.workspace, args.endpoint)
    checkpoint = Path(args.checkpoint) if args.checkpoint else None
    result = fetch(runner, query, Path(args.output), checkpoint)
    for partial in result.partial:
        print(f"egressmap: warning: partial result for {partial}", file=sys.stderr)
    if not args.quiet:
        resumed = " (resumed from the checkpoint)" if result.resumed else ""
        throttled = f", {result.retries} throttled calls retried" if result.retries else ""
        split = f", {result.splits} chunks split at the service's limits" if result.splits else ""
        print(
            f"egressmap: {result.rows} rows from {args.table} in {result.queries} queries{split}{throttled}"
            f"{resumed} -> {args.output}",
            file=sys.stderr,
        )
    if result.partial:
        print(f"egressmap: {len(result.partial)} time ranges came back partial: {args.output} is incomplete",
              file=sys.stderr)  # fmt: skip
        return EXIT_PARTIAL
    return EXIT_OK
