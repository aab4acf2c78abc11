"""``egressmap bundle fetch MANIFEST -o DIR``: download, check and lock what the manifest names."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import Any

from ..errors import InputError
from .common import EXIT_OK

ACTION = "fetch"


def add_parser(actions: Any, common: argparse.ArgumentParser) -> None:
    """The action's flags."""
    p = actions.add_parser(
        ACTION,
        parents=[common],
        help="download what a manifest names, check every sha256, write the lock",
        description="Download every file a manifest names into DIR (in parallel, resuming .part files), check "
        "each against its published checksum, and write the lock last: a bundle without a lock is unfinished.",
    )
    p.add_argument("manifest", metavar="MANIFEST", help="the manifest (from 'egressmap bundle plan')")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the bundle directory")
    p.add_argument("--jobs", type=int, default=4, metavar="N", help="parallel downloads (default 4)")
    p.add_argument(
        "--retries", type=int, default=3, metavar="N", help="resume a broken download N times (default 3)"
    )
    p.add_argument(
        "--mirror",
        action="append",
        default=[],
        metavar="[HOST=]URL",
        help="fetch the same path under this base (Artifactory/Nexus); HOST= for one host only (repeatable)",
    )
    p.add_argument(
        "--github-api",
        metavar="URL",
        help="GitHub API base (GitHub Enterprise: https://HOST/api/v3); default https://api.github.com",
    )
    p.add_argument(
        "--ca-file", metavar="PEM", help="trust this CA bundle (a private CA or TLS-inspecting proxy)"
    )
    p.add_argument(
        "--proxy",
        metavar="URL",
        help="go through this HTTP proxy (CONNECT for https); default: https_proxy/http_proxy/no_proxy",
    )
    p.add_argument("--no-env-proxy", action="store_true", help="ignore http(s)_proxy/no_proxy variables")
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="read timeout (default 60 s)")


def run(args: argparse.Namespace) -> int:
    """Run the action; the exit code."""
    from rich.console import Console

    from ..bundle.fetch import FetchOptions, fetch_bundle
    from ..bundle.manifest import LOCK_NAME
    from ..bundle.net import Where
    from ..verify.proxyenv import ProxyChoice
    from .bundle_progress import FetchBar

    if args.jobs < 1 or args.retries < 0:
        raise InputError("--jobs must be at least 1 and --retries at least 0")
    try:
        text = Path(args.manifest).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{args.manifest}: cannot read the manifest ({exc})") from None
    options = FetchOptions(
        jobs=args.jobs,
        retries=args.retries,
        where=Where.from_flags(args.mirror, args.github_api),
        ca_file=args.ca_file,
        timeout=args.timeout,
        proxies=ProxyChoice(args.proxy, os.environ, use_env=not args.no_env_proxy),
    )
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # its retry warnings; the outcome is reported
    console = Console(stderr=True)
    bar = FetchBar(console, enabled=console.is_terminal and not args.quiet)
    with bar.progress:
        lock = fetch_bundle(text, args.manifest, Path(args.output), options, bar)
    size = sum(f.size for f in lock.files)
    checked = sum(f.checked != "recorded" for f in lock.files)
    print(
        f"{len(lock.files)} files, {size} bytes in {args.output} ({checked} checked against a published "
        f"sha256, {len(lock.files) - checked} recorded; {len(lock.files) - bar.kept_files} fetched, "
        f"{bar.kept_files} kept); lock: {Path(args.output) / LOCK_NAME}",
        file=sys.stdout,
    )
    return EXIT_OK
