"""Human-facing text: the scan table (rich on a terminal, plain when piped) and the skipped-lines report."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TextIO

from .aggregate import MAX_CLIENTS, MAX_SOURCES, MAX_URLS, DestinationTable
from .classify import classifier
from .gcpause import paused_gc
from .ingest import IngestReport
from .model import (
    NXDOMAIN,
    TIER_RANK,
    Classification,
    Destination,
    Entry,
    Observation,
    pattern_covers,
    short_reason,
)
from .review import (
    NXDOMAIN_HEADING,
    ONLY_NXDOMAIN,
    OTHER_HEADING,
    SCAN_HEADING,
    destination_flag,
    seen_only,
)

SCAN_COLUMNS = ("host", "port", "tier", "scope", "category", "service", "count", "denied", "failed")


def scan_rows(destinations: Iterable[Destination]) -> list[dict[str, Any]]:
    """One dict per destination, classified, sorted by scope, tier, host, port."""
    return list(iter_scan_rows({(d.host, d.port): d for d in destinations}))


def iter_scan_rows(destinations: Mapping[tuple[str, int], Destination]) -> Iterator[dict[str, Any]]:
    """:func:`scan_rows` one at a time, from destinations by (host, port).

    Only a sort entry per destination is held meanwhile, so a big scan written as JSON never holds every row
    at once. From an :class:`~egressmap.aggregate.DestinationTable` a destination seen once becomes its row
    straight from its observation (:func:`_single_row`), never a Destination. The garbage collector is paused
    throughout: the rows form no cycles, and each collection would walk the whole table again.
    """
    stored: Mapping[tuple[str, int], Observation | Destination] = (
        destinations.stored() if isinstance(destinations, DestinationTable) else destinations
    )
    reasons: dict[tuple[str, str], str] = {}
    classify = classifier()  # each host once: the cache would only cost time and memory
    with paused_gc():
        # bucketed by (scope, tier), each bucket sorted by (host, port): far fewer tuple comparisons
        buckets: dict[tuple[str, int], list[tuple[str, int, Observation | Destination, Classification]]] = {}
        for (host, port), item in stored.items():
            c = classify(host)
            group = (c.scope, TIER_RANK[item.tier])
            bucket = buckets.get(group)
            if bucket is None:
                bucket = buckets[group] = []
            bucket.append((host, port, item, c))
        for scope_tier in sorted(buckets):
            bucket = buckets.pop(scope_tier)
            bucket.sort()  # (host, port) is unique: the items are never compared
            for _, _, item, c in bucket:
                if isinstance(item, Destination):
                    yield _row(item, c)
                    continue
                reason = reasons.get((item.tier, item.reason))
                if reason is None:
                    reason = reasons[(item.tier, item.reason)] = f"{item.tier}: {item.reason}"
                yield _single_row(item, reason, c)


def _row(d: Destination, c: Classification) -> dict[str, Any]:
    return {
        "host": d.host,
        "port": d.port,
        "tier": d.tier,
        "scope": c.scope,
        "category": c.category,
        "provider": c.provider,
        "service": c.service,
        "region": c.region,
        "private_endpoint": c.private_endpoint,
        "count": d.count,
        "denied": d.denied,
        "failed": d.outcomes.get("failed", 0) + d.outcomes.get(NXDOMAIN, 0),
        "allowed": d.outcomes.get("allowed", 0),
        "flag": destination_flag(d),
        "clients": sorted(d.clients),
        "reasons": sorted(d.reasons),
        "sources": d.sources,
        "urls": d.urls,
        "first_seen": d.first_seen,
        "last_seen": d.last_seen,
    }


def _single_row(obs: Observation, reason: str, c: Classification) -> dict[str, Any]:
    """``_row`` of the destination that only ``obs`` was folded into (``reason`` is its ``"tier: why"``)."""
    outcome, count, clients = obs.outcome, obs.count, obs.clients
    denied = count if outcome == "denied" else 0
    failed = count if outcome == "failed" or outcome == NXDOMAIN else 0
    allowed = count if outcome == "allowed" else 0
    first, last = obs.time, obs.last_time
    if first is None or last is None:
        first = last = last if first is None else first
    else:  # what min() and max() of [first, last] give, NaN included
        first, last = (last if last < first else first), (last if last > first else first)
    return {
        "host": obs.host,
        "port": obs.port,
        "tier": obs.tier,
        "scope": c.scope,
        "category": c.category,
        "provider": c.provider,
        "service": c.service,
        "region": c.region,
        "private_endpoint": c.private_endpoint,
        "count": count,
        "denied": denied,
        "failed": failed,
        "allowed": allowed,
        "flag": None
        if not (denied or failed)
        else ONLY_NXDOMAIN
        if outcome == NXDOMAIN
        else seen_only(allowed, denied, failed),
        "clients": sorted(set(clients))[:MAX_CLIENTS] if len(clients) > 1 else list(clients),
        "reasons": [reason],
        "sources": [obs.source] if MAX_SOURCES else [],
        "urls": [obs.url] if obs.url and MAX_URLS else [],
        "first_seen": first,
        "last_seen": last,
    }


def compare_rows(
    rows: Sequence[dict[str, Any]], predicted: Sequence[Entry]
) -> dict[str, list[dict[str, Any]]]:
    """Logs against the catalog: seen and predicted, seen but not predicted, predicted but never seen.

    Only evidence counts as seen (tiers observed and referenced; documentation links do not). A host matches a
    prediction when the prediction's pattern names it (exact, ``{region}`` template or ``*.suffix``).
    """
    seen = [r for r in rows if r["tier"] in ("observed", "referenced")]
    both, unpredicted = [], []
    for row in seen:
        hits = [p.pattern for p in predicted if pattern_covers(p.pattern, row["host"])]
        item = {"host": row["host"], "port": row["port"], "tier": row["tier"], "count": row["count"]}
        if hits:
            both.append({**item, "predicted_by": sorted(set(hits))})
        else:
            unpredicted.append(item)
    unseen = [
        {"pattern": p.pattern, "ports": list(p.ports), "scope": p.scope, "reasons": list(p.reasons[:3])}
        for p in predicted
        if not any(pattern_covers(p.pattern, r["host"]) for r in seen)
    ]
    return {
        "predicted_and_observed": both,
        "observed_not_predicted": unpredicted,
        "predicted_not_observed": sorted(unseen, key=lambda u: (u["scope"], u["pattern"])),
    }


def render_comparison(compared: dict[str, list[dict[str, Any]]]) -> str:
    """The two lists a reviewer acts on, as text after the scan table."""
    out = [""]
    seen = compared["observed_not_predicted"]
    out.append(
        f"Observed but not predicted ({len(seen)}): the catalog does not know why these were contacted"
    )
    out += [f"  {r['host']}:{r['port']}  ({r['tier']}, {r['count']} requests)" for r in seen] or ["  none"]
    unseen = compared["predicted_not_observed"]
    out.append(f"Predicted but never observed ({len(unseen)}): needed by the catalog, absent from the logs")
    for u in unseen:
        why = short_reason(u["reasons"][0]) if u["reasons"] else ""
        out.append(f"  {u['pattern']}:{','.join(map(str, u['ports']))}  {why}")
    if not unseen:
        out.append("  none")
    both = compared["predicted_and_observed"]
    out.append(f"Predicted and observed: {len(both)}")
    return "\n".join(out) + "\n"


def report_dict(report: IngestReport) -> list[dict[str, Any]]:
    """The per-input report for ``--json``."""
    return [
        {
            "input": r.origin,
            "format": r.format or None,
            "lines": r.lines,
            "observations": r.observations,
            "error": r.error,
            "not_read": r.not_read,
            "proxy_lines": r.proxy_lines,
            **({"blind_spots": list(r.blind_spots)} if r.blind_spots else {}),
            "problems": [
                {"kind": k, "reason": why, "count": r.problem_counts[(k, why)], "lines": lines}
                for (k, why), lines in sorted(r.problems.items())
            ],
        }
        for r in report.inputs
    ]


def _service(row: dict[str, Any]) -> str:
    return " ".join(str(x) for x in (row["provider"], row["service"]) if x)


def scan_sections(rows: Sequence[dict[str, Any]]) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Destinations seen only denied or failed first, under a heading, then the rest, then the NXDOMAIN ones.

    Destinations only ever answered NXDOMAIN come last under their own heading (shown here, left out of
    exports). One untitled section when no destination is flagged, so such a scan prints what it always did.
    """
    if not any(r["flag"] for r in rows):
        return [(None, list(rows))]
    first = [r for r in rows if r["flag"] and r["flag"] != ONLY_NXDOMAIN]
    rest = [r for r in rows if not r["flag"]]
    last = [r for r in rows if r["flag"] == ONLY_NXDOMAIN]
    return [
        (heading, part)
        for heading, part in (
            (f"{SCAN_HEADING}: {len(first)}", first),
            (f"{OTHER_HEADING}: {len(rest)}", rest),
            (f"{NXDOMAIN_HEADING}: {len(last)}", last),
        )
        if part
    ]


def render_scan_plain(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    """A fixed-width table for pipes and files.

    Destinations seen only denied or failed come first; when there are any, each section starts with a
    ``-- heading`` line below the column names.
    """
    header = ("HOST", "PORT", "TIER", "SCOPE", "CATEGORY", "SERVICE", "COUNT", "DENIED", "FAILED")
    sections = [(heading, [_plain_cells(r) for r in part]) for heading, part in scan_sections(rows)]
    widths = [max(len(line[i]) for line in [header, *(c for _, p in sections for c in p)]) for i in range(9)]

    def write(line: Sequence[str]) -> None:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n")

    write(header)
    for heading, part in sections:
        if heading:
            out.write(f"-- {heading}\n")
        for line in part:
            write(line)


def _plain_cells(r: dict[str, Any]) -> tuple[str, ...]:
    return (
        r["host"],
        str(r["port"]),
        r["tier"],
        r["scope"],
        r["category"],
        _service(r) or "-",
        str(r["count"]),
        str(r["denied"]),
        str(r["failed"]),
    )


def render_scan_rich(rows: Sequence[dict[str, Any]], out: TextIO) -> None:
    """Rich tables for terminals; denied counts in red; destinations seen only denied or failed first."""
    from rich.console import Console

    console = Console(file=out)
    for heading, part in scan_sections(rows):
        console.print(_rich_table(part, heading or f"{len(part)} destinations"))


def _rich_table(rows: Sequence[dict[str, Any]], title: str) -> Any:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=title, title_justify="left")
    for name, justify in (
        ("Host", "left"),
        ("Port", "right"),
        ("Tier", "left"),
        ("Scope", "left"),
        ("Category", "left"),
        ("Service", "left"),
        ("Count", "right"),
        ("Denied", "right"),
        ("Failed", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(
            Text(r["host"]),
            str(r["port"]),
            r["tier"],
            r["scope"],
            r["category"],
            Text(_service(r) or "-"),
            str(r["count"]),
            Text(str(r["denied"]), style="bold red" if r["denied"] else ""),
            Text(str(r["failed"]), style="yellow" if r["failed"] else ""),
        )
    return table


def problem_lines(report: IngestReport, verbose: bool = False) -> list[str]:
    """One line per input and reason: what was skipped, how often, and where."""
    out = []
    for r in report.inputs:
        if r.error:
            out.append(f"{r.origin}: {r.error}" if not r.error.startswith(r.origin) else r.error)
            continue
        for (kind, why), lines in sorted(r.problems.items(), key=lambda kv: (kv[0][0] != "malformed", kv[0])):
            if kind == "dropped" and not verbose:
                continue
            n = r.problem_counts[(kind, why)]
            where = ", ".join(str(x) for x in lines) + (", ..." if n > len(lines) else "")
            label = {"malformed": "bad line", "warning": "warning", "dropped": "dropped"}[kind]
            out.append(
                f"{r.origin}: {n} {label}{'s' if n != 1 and kind != 'dropped' else ''} (line {where}): {why}"
            )
        dropped = r.count("dropped")
        if dropped and not verbose:
            out.append(
                f"{r.origin}: {dropped} line(s)/URL(s) dropped: no destination, a placeholder, "
                "or a local/link-local name (-v lists them)"
            )
    return out


def input_rows(report: IngestReport) -> list[tuple[str, str, str, str, str]]:
    """(input, detected format, lines, observations, proxy-record lines) per input, for the scan tables.

    The proxy-record count is for text inputs (how many of their lines looked like Squid records); ``-`` for
    the others, whose records are all read as such.
    """
    return [
        (
            r.origin,
            r.format or "(not read)",
            str(r.lines),
            str(r.observations),
            str(r.proxy_lines) if r.format == "text" else "-",
        )
        for r in report.inputs
    ]


INPUT_HEADER = ("INPUT", "FORMAT", "LINES", "OBSERVATIONS", "PROXY-LINES")


def render_inputs_plain(report: IngestReport, out: TextIO) -> None:
    """The inputs under the scan table: each one's detected format and counts, then the formats' blind spots."""
    table = [INPUT_HEADER, *input_rows(report)]
    widths = [max(len(line[i]) for line in table) for i in range(len(INPUT_HEADER))]
    out.write("\n")
    for line in table:
        out.write("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() + "\n")
    out.write(blind_spot_text(report))


def blind_spot_text(report: IngestReport) -> str:
    """What the inputs' kinds of evidence cannot see, one line each ("" when none has a blind spot).

    >>> blind_spot_text(IngestReport())
    ''
    """
    seen: dict[tuple[str, str], None] = {}
    for r in report.inputs:
        for spot in r.blind_spots:
            seen[(r.format, spot)] = None
    if not seen:
        return ""
    return "\nWhat these sources cannot see:\n" + "".join(f"  {fmt}: {spot}\n" for fmt, spot in seen)


def render_inputs_rich(report: IngestReport, out: TextIO) -> None:
    """The inputs under the scan table, for terminals."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(report.inputs)} input(s)", title_justify="left")
    for name, justify in (
        ("Input", "left"),
        ("Format", "left"),
        ("Lines", "right"),
        ("Observations", "right"),
        ("Proxy lines", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in input_rows(report):
        table.add_row(*(Text(cell) for cell in row))
    console = Console(file=out)
    console.print(table)
    spots = blind_spot_text(report)
    if spots:
        console.print(Text(spots.strip("\n")))
