"""Command line: parse flags, call the library, print. The only module that exits.

Exit codes: 0 success; 1 error (nothing written) or ``--strict`` found bad lines; 2 usage;
3 partial success (output written, but an input could not be read at all, or is structured data egressmap
does not read, such as JSON lines or CSV).
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import __version__
from .aggregate import aggregate
from .classify import warm_up
from .errors import ConfigError, EgressmapError, StrictModeError
from .exporters import EXPORTERS, ExportOptions
from .ingest import IngestReport, observe, split_configs
from .model import Destination, Policy
from .policy import build_policy, dump_json, dump_yaml, expand_regions, load_policy, write_json
from .report import (
    compare_rows,
    iter_scan_rows,
    problem_lines,
    render_comparison,
    render_inputs_plain,
    render_inputs_rich,
    render_scan_plain,
    render_scan_rich,
    report_dict,
    scan_rows,
)
from .review import excluded_note, for_export, without_flagged
from .rowjson import row_json
from .sources import FORMAT_NAMES, SourceOptions

PHASES = ("cli-install", "image-build", "node-bootstrap", "cluster-runtime", "access")

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 3
PROGRESS_MIN_BYTES = 50 * 1024 * 1024
REFRESH_SECONDS = 0.1
log = logging.getLogger("egressmap")


def _add_sources(p: argparse.ArgumentParser) -> None:
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="log files, .gz files, lists, or - for stdin")
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
    _add_prediction(p)


def _add_prediction(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("what the catalog predicts (cluster configs among the sources are read too)")
    g.add_argument(
        "--stack", metavar="NAME@VERSION", help="e.g. parallelcluster@3.14.0 (see: egressmap catalog list)"
    )
    g.add_argument("--os", dest="os_name", metavar="OS", help="the cluster OS, e.g. ubuntu2404")
    g.add_argument(
        "--feature", action="append", default=[], metavar="F", help="a stack feature, e.g. dcv (repeatable)"
    )


def _add_export(p: argparse.ArgumentParser, *, required: bool) -> None:
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


def _params(raw: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--param {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    top = argparse.ArgumentParser(
        prog="egressmap",
        description="Which outbound destinations does this stack need, and is the firewall right?",
    )
    top.add_argument("--version", action="version", version=f"egressmap {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="count", default=0, help="more detail (-vv for debug)")
    common.add_argument("-q", "--quiet", action="store_true", help="no report of skipped lines on stderr")
    sub = top.add_subparsers(dest="command", required=True, metavar="COMMAND")

    b = sub.add_parser("build", parents=[common], help="build a policy (YAML) from logs and lists")
    _add_sources(b)
    b.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    b.add_argument(
        "--fold-regions", action="store_true", help="fold hosts differing only by region into templates"
    )
    b.add_argument(
        "--wildcard",
        action="append",
        default=[],
        metavar="SUFFIX",
        help="merge hosts under *.SUFFIX at any depth (refused over a public suffix)",
    )
    b.add_argument(
        "--wildcard-label",
        action="append",
        default=[],
        metavar="SUFFIX",
        help="merge hosts exactly one label below SUFFIX into *.SUFFIX (match: one-label)",
    )
    _add_export(b, required=False)

    s = sub.add_parser("scan", parents=[common], help="show what the inputs contain, as a table")
    _add_sources(s)
    s.add_argument("--json", action="store_true", help="machine-readable output")

    pl = sub.add_parser(
        "plan",
        parents=[common],
        help="what a ParallelCluster config needs: destinations, endpoints, findings",
    )
    pl.add_argument(
        "configs", nargs="+", metavar="CONFIG", help="cluster config (v3 YAML), build-image config, v2 ini"
    )
    pl.add_argument(
        "--stack", metavar="NAME@VERSION", help="ParallelCluster version (default: the newest known)"
    )
    pl.add_argument("--region", metavar="R", help="region when the config names none")
    pl.add_argument("--os", dest="os_name", metavar="OS", help="OS when the config names none (build-image)")
    pl.add_argument(
        "--feature", action="append", default=[], metavar="F", help="turn on a feature (repeatable)"
    )
    pl.add_argument(
        "--network",
        choices=("auto", "isolated", "proxy"),
        default="auto",
        help="the network the cluster runs in (default: proxy when the config sets one, else isolated)",
    )
    pl.add_argument("--json", action="store_true", help="machine-readable output")
    pl.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")

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

    e = sub.add_parser("export", parents=[common], help="render a policy file in a firewall's format")
    e.add_argument("policy", metavar="POLICY", help="a policy file (YAML or JSON), or - for stdin")
    e.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    _add_export(e, required=True)
    _add_verify(sub, common)
    _add_proxy(sub, common)
    return top


def _add_verify(sub: Any, common: argparse.ArgumentParser) -> None:
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
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--junit", metavar="FILE", help="also write JUnit XML here")
    v.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``egressmap`` console script."""
    args = parser().parse_args(argv)
    level = os.environ.get("EGRESSMAP_LOGLEVEL") or (
        "DEBUG" if args.verbose > 1 else "INFO" if args.verbose else "WARNING"
    )
    logging.basicConfig(format="egressmap: %(message)s", level=logging.WARNING)
    log.setLevel(level.upper())
    commands: dict[str, Callable[[argparse.Namespace], int]] = {
        "build": _build,
        "scan": _scan,
        "export": _export,
        "plan": _plan,
        "catalog": _catalog,
        "verify": _verify,
        "proxy": _proxy,
    }
    try:
        return commands[args.command](args)
    except EgressmapError as exc:
        print(f"egressmap: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("egressmap: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def _predictions(args: argparse.Namespace, configs: Sequence[str]) -> Any:
    """The catalog's predictions for --stack/--os/--feature and the configs (None when none was asked for)."""
    if not (args.stack or configs):
        if args.os_name or args.feature:
            raise ConfigError("--os and --feature need --stack NAME@VERSION (or a cluster config)")
        return None
    from .catalog.configs import load_config
    from .catalog.planner import predict

    regions = expand_regions(args.region) if getattr(args, "region", None) else []
    prediction = predict(
        args.stack,
        os_name=args.os_name,
        features=args.feature,
        region=regions[0] if len(regions) == 1 else None,
        docs=[load_config(c) for c in configs],
    )
    if not args.quiet:
        for f in prediction.findings:
            print(f"egressmap: {f.where}: {f.severity}: {f.problem} (fix: {f.fix})", file=sys.stderr)
    return prediction


def _ingest(
    args: argparse.Namespace, sources: Sequence[str] | None = None
) -> tuple[Mapping[tuple[str, int], Destination], IngestReport]:
    options = SourceOptions.from_flags(args.squid_logformat, args.squid_conf)
    report = IngestReport()
    sources = args.sources if sources is None else sources
    if not sources:
        return {}, report
    with _progress(sources) as progress:
        destinations = aggregate(observe(sources, report, args.format, options, progress, _warm_up))
    if not args.quiet:
        for line in problem_lines(report, verbose=args.verbose > 0):
            print(f"egressmap: {line}", file=sys.stderr)
    for r in report.inputs:  # even with -q: an input that gave nothing must never pass in silence
        if r.nothing:
            print(f"egressmap: {r.origin}: {r.nothing}", file=sys.stderr)
        elif r.error and args.quiet:  # (without -q, problem_lines said it)
            print(
                f"egressmap: {r.error if r.error.startswith(r.origin) else f'{r.origin}: {r.error}'}",
                file=sys.stderr,
            )
    bad = report.count("malformed") + report.count("warning")
    failed = report.failed_inputs
    unread = len(failed) + len(report.unread_inputs)
    if args.strict and (bad or unread):
        raise StrictModeError(f"--strict: {bad} bad line(s), {unread} unreadable input(s)")
    if failed and len(failed) == len(report.inputs) and not any(r.recognised for r in failed):
        raise EgressmapError("no input could be read")  # (a recognised input not read is a partial result)
    return destinations, report


def _warm_up() -> None:
    """Load classification data; it lives until exit, so the garbage collector stops walking it."""
    warm_up()
    gc.freeze()


class _progress:
    """A rich progress bar on stderr for big inputs on a terminal; otherwise nothing."""

    def __init__(self, paths: Sequence[str]) -> None:
        sizes = [Path(p).stat().st_size if p != "-" and Path(p).is_file() else 0 for p in paths]
        self.enabled = sys.stderr.isatty() and max(sizes, default=0) > PROGRESS_MIN_BYTES
        self.bar: object = None
        self.tasks: dict[str, object] = {}

    def __enter__(self) -> Callable[[str, int, int | None], None] | None:
        if not self.enabled:
            return None
        from rich.console import Console
        from rich.progress import Progress

        # no refresh thread: the native squid parser may fork, which must not happen beside a running thread
        bar = Progress(transient=True, auto_refresh=False, console=Console(file=sys.stderr))
        bar.start()
        self.bar = bar

        last = [0.0]

        def update(path: str, done: int, total: int | None) -> None:
            if path not in self.tasks:
                self.tasks[path] = bar.add_task(path, total=total)
            bar.update(self.tasks[path], completed=done)  # type: ignore[arg-type]
            now = time.monotonic()
            if now - last[0] >= REFRESH_SECONDS:  # drawing on every block would cost more than the parse
                last[0] = now
                bar.refresh()

        return update

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()  # type: ignore[attr-defined]


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise EgressmapError(f"{output}: cannot write ({exc.strerror or exc})") from exc
    else:
        sys.stdout.write(text)


def _export_text(policy: Policy, args: argparse.Namespace) -> tuple[str, int]:
    """The export's text, and how many entries it refused (left out and named on stderr: exit 3)."""
    exporter = EXPORTERS[args.to]()
    regions = expand_regions(args.region) if args.region else ()
    options = ExportOptions(
        scope=args.scope,
        include_documentation=args.include_documentation,
        regions=regions,
        full=args.full,
        mode=args.mode,
        sni=args.sni,
        flavor=args.flavor,
        proxy=args.proxy,
        params=_params(args.param),
    )
    exporter.check_params(options)
    policy, outcome_notes = for_export(exporter, policy, options, args.exclude_denied)
    rendered = exporter.render(policy, options)
    if not args.quiet:
        for note in rendered.approximations:
            print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    for note in rendered.rejected:
        print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    if rendered.rejected:
        print(
            f"egressmap: {args.to}: {len(rendered.rejected)} name(s) rejected and left out of the output",
            file=sys.stderr,
        )
    for note in outcome_notes:  # not silenced by -q: they change what a firewall lets through
        print(f"egressmap: {args.to}: {note}", file=sys.stderr)
    return rendered.text, len(rendered.rejected)


def _build(args: argparse.Namespace) -> int:
    configs, logs = split_configs(args.sources)
    prediction = _predictions(args, configs)
    destinations, report = _ingest(args, logs)
    regions = expand_regions(args.region) if args.region else []
    skipped = {k: report.count(k) for k in ("malformed", "dropped", "warning")}
    policy = build_policy(
        destinations.values(),
        fold=args.fold_regions,
        regions=regions,
        wildcards=args.wildcard,
        label_wildcards=args.wildcard_label,
        inputs=args.sources,
        skipped=skipped,
        predicted=prediction.entries if prediction else (),
    )
    if args.exclude_denied and not args.to:
        policy, gone = without_flagged(policy)
        print(f"egressmap: build: {excluded_note(gone)}", file=sys.stderr)
    text, refused = _export_text(policy, args) if args.to else (dump_yaml(policy), 0)
    _write(text, args.output)
    return EXIT_PARTIAL if report.failed_inputs or report.unread_inputs or refused else EXIT_OK


def _scan(args: argparse.Namespace) -> int:
    configs, logs = split_configs(args.sources)
    prediction = _predictions(args, configs)
    destinations, report = _ingest(args, logs)
    status = EXIT_PARTIAL if (report.failed_inputs or report.unread_inputs) and logs else EXIT_OK
    if args.json and not prediction:  # rows written as they are made: a big scan never holds them all
        lazy = {"destinations": iter_scan_rows(destinations), "inputs": report_dict(report)}
        write_json(lazy, sys.stdout, {"destinations": row_json()})
        return status
    rows = scan_rows(destinations.values())
    compared = compare_rows(rows, prediction.entries) if prediction else None
    if args.json:
        # one object per line keeps the C encoder (indent= forces the slow pure-Python one) and stays greppable
        data: dict[str, Any] = {"destinations": rows, "inputs": report_dict(report)}
        if compared is not None:
            data.update(compared)
        write_json(data, sys.stdout, {"destinations": row_json()})
    elif sys.stdout.isatty():
        render_scan_rich(rows, sys.stdout)
        render_inputs_rich(report, sys.stdout)
    else:
        render_scan_plain(rows, sys.stdout)
        render_inputs_plain(report, sys.stdout)
    if compared is not None and not args.json:
        sys.stdout.write(render_comparison(compared))
    return status


def _plan(args: argparse.Namespace) -> int:
    from .catalog.configs import load_config
    from .catalog.planner import plan
    from .catalog.render import plan_text

    plans = [
        plan(
            load_config(path),
            args.stack,
            network=args.network,
            region=args.region,
            os_name=args.os_name,
            features=args.feature,
        )
        for path in args.configs
    ]
    if args.json:
        data = plans[0].to_dict() if len(plans) == 1 else {"plans": [p.to_dict() for p in plans]}
        _write(dump_json(data), args.output)
    else:
        _write("\n".join(plan_text(p) for p in plans), args.output)
    return EXIT_OK


def _catalog(args: argparse.Namespace) -> int:
    from .catalog import bundled, resolve, select, select_flows, select_rules
    from .catalog import render as show
    from .catalog.diff import diff
    from .catalog.planner import show_target

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


def _export(args: argparse.Namespace) -> int:
    policy = load_policy(args.policy)
    text, refused = _export_text(policy, args)
    _write(text, args.output)
    return EXIT_PARTIAL if refused else EXIT_OK  # a partial configuration never passes silently


def _verify(args: argparse.Namespace) -> int:
    from . import verify as v
    from .verify.limits import raise_open_files_limit

    raise_open_files_limit()  # every target in flight holds a socket or two
    if args.concurrency < 1 or not 0 < args.timeout <= 3600:
        raise ConfigError("--concurrency must be at least 1 and --timeout between 0 and 3600 seconds")
    if args.deadline is not None and not 0 <= args.deadline < float("inf"):
        raise ConfigError("--deadline must be a number of seconds (0 for none)")
    regions = expand_regions(args.region) if args.region else ()
    plan = v.plan_targets(
        v.read_input(args.input),
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
        _write(v.to_junit(outcome), args.junit)
    if args.json:
        _write(v.to_json(outcome), args.output)
    elif args.output or not sys.stdout.isatty():
        _write(v.render_plain(outcome), args.output)
    else:
        v.render_rich(outcome, sys.stdout)
    strict_fail = args.strict and (outcome.problems or outcome.skipped)
    return EXIT_ERROR if not outcome.passed or strict_fail else EXIT_OK


# --- proxy (issue 6) --------------------------------------------------------------------------------------


def _add_proxy(sub: Any, common: argparse.ArgumentParser) -> None:
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


def _proxy(args: argparse.Namespace) -> int:
    from .proxy.setup import build_config, run

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
