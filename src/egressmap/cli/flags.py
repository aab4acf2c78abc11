"""The flags several commands share: the inputs and how to read them, catalog predictions, the export."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..errors import ConfigError
from ..exporters import EXPORTERS
from ..sources import FORMAT_NAMES
from .engine_flags import add_engine


def add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "sources",
        nargs="+",
        metavar="SOURCE",
        help="log files, .gz files, lists, - for stdin, s3://BUCKET[/PREFIX] or cloudwatch://GROUP (see docs/fetch.md)",
    )
    p.add_argument(
        "--format",
        default="auto",
        choices=("auto", *FORMAT_NAMES),
        help="input format (default: detect from the first lines)",
    )
    p.add_argument(
        "--squid-logformat",
        metavar="FMT",
        help="a custom Squid logformat string, e.g. '%%tl %%>a %%Ss/%%03>Hs %%rm %%ru'",
    )
    p.add_argument(
        "--squid-conf", metavar="FILE", help="read logformat/access_log lines from this squid.conf"
    )
    p.add_argument("--strict", action="store_true", help="fail (exit 1) when any line is bad")
    add_prediction(p)
    add_engine(p)


def add_prediction(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what the catalog predicts (cluster configs among the sources are read too)")
    g.add_argument(
        "--stack", metavar="NAME@VERSION", help="e.g. parallelcluster@3.14.0 (see: egressmap catalog list)"
    )
    g.add_argument("--os", dest="os_name", metavar="OS", help="the cluster OS, e.g. ubuntu2404")
    g.add_argument(
        "--feature", action="append", default=[], metavar="F", help="a stack feature, e.g. dcv (repeatable)"
    )


def add_export(p: argparse.ArgumentParser, *, required: bool) -> None:
    p.add_argument(
        "--to",
        required=required,
        choices=sorted(EXPORTERS),
        metavar="FORMAT",
        help=f"export format: {', '.join(sorted(EXPORTERS))}",
    )
    p.add_argument(
        "--scope",
        choices=("internet", "cloud", "all"),
        help="which entries: internet destinations, cloud-provider endpoints, or all "
        "(default: internet for list, all for the others)",
    )
    p.add_argument(
        "--include-documentation",
        action="store_true",
        help="also export entries only seen as documentation links",
    )
    p.add_argument(
        "--include-nxdomain",
        action="store_true",
        help="also write rules for names only ever answered NXDOMAIN (left out by default, counted on stderr)",
    )
    p.add_argument(
        "--region",
        action="append",
        default=[],
        metavar="R",
        help="expand {region} templates for this region (repeatable, or 'all')",
    )
    p.add_argument(
        "--exclude-denied",
        action="store_true",
        help="leave out entries the logs show only denied or failed (kept by default, and named on stderr)",
    )
    p.add_argument("--full", action="store_true", help="squid: a complete squid.conf, not a fragment")
    p.add_argument(
        "--mode",
        choices=("audit", "enforce"),
        default="enforce",
        help="squid --full, dns-firewall rule group: audit (log/alert, allow all) or enforce (deny the rest)",
    )
    p.add_argument(
        "--sni", action="store_true", help="squid: also match the TLS server name (ssl::server_name)"
    )
    p.add_argument(
        "--flavor",
        metavar="NAME",
        help="syntax for targets that have several: cloudformation|terraform, arm|cli, text|cloudformation "
        "(default: the first)",
    )
    p.add_argument("--proxy", metavar="URL", help="proxy-config: the proxy URL nodes should use")
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an exporter-specific setting (repeatable; see docs/exporters.md)",
    )


def params(raw: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out
