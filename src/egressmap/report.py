"""Human-facing text: the scan table (rich on a terminal, plain when piped) and the skipped-lines report.

The rows themselves are made in :mod:`egressmap.scan_rows`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from .ingest import IngestReport
from .model import (
    short_reason,
)
from .review import (
    NXDOMAIN_HEADING,
    ONLY_NXDOMAIN,
    OTHER_HEADING,
    SCAN_HEADING,
)

SCAN_COLUMNS = ("host", "port", "tier", "scope", "category", "service", "count", "denied", "failed")


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
