"""Change-request tables: ``csv`` and ``markdown`` (destination, port, why, evidence)."""

from __future__ import annotations

import csv
import io
import re

from ..model import Entry, Policy, is_evidenced, is_predicted
from ..policy import concrete_hosts
from ..review import entry_flag, flagged
from .interface import Exporter, ExportOptions, Rendered, why

COLUMNS = (
    "destination",
    "port",
    "scope",
    "category",
    "provider",
    "service",
    "region",
    "private_endpoint",
    "tier",
    "count",
    "denied",
    "failed",
    "flag",
    "why",
    "evidence",
)


def rows(entries: list[Entry], regions: tuple[str, ...] | list[str]) -> list[list[str]]:
    """One row per entry and port."""
    out = []
    for e in entries:
        c = e.classification
        name = e.pattern if e.match != "exact" or "{region}" in e.pattern else e.hosts[0]
        hosts = concrete_hosts(e, regions)
        if "{region}" in e.pattern:
            name = f"{e.pattern} ({', '.join(hosts)})"
        for port in e.ports:
            out.append(
                [
                    name,
                    str(port),
                    c.scope,
                    c.category,
                    c.provider or "",
                    c.service or "",
                    c.region or "",
                    c.private_endpoint,
                    e.tier,
                    str(e.count),
                    str(e.denied),
                    str(e.failed),
                    entry_flag(e) or "",
                    why(e),
                    " ".join(e.sources),
                ]
            )
    return out


class CsvExport(Exporter):
    """RFC 4180 CSV, one row per destination and port."""

    name = "csv"
    shows_outcomes = True
    description = "CSV change-request table"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the CSV text."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(COLUMNS)
        chosen, rejected = self.checked(policy, options)
        for row in rows(chosen, list(options.regions or policy.regions)):
            writer.writerow([_defuse(cell) for cell in row])
        return Rendered(buf.getvalue(), rejected=rejected)


def _defuse(cell: str) -> str:
    """Keep spreadsheet programs from running a cell as a formula; one physical line per row."""
    cell = cell.replace("\r", " ").replace("\n", " ")
    return "'" + cell if cell[:1] in ("=", "+", "-", "@", "\t") else cell


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|#!])")


class MarkdownExport(Exporter):
    """A Markdown table for a firewall change request."""

    name = "markdown"
    shows_outcomes = True
    description = "Markdown change-request table"

    def render(self, policy: Policy, options: ExportOptions) -> Rendered:
        """Render the Markdown text."""
        heads = (
            "Destination",
            "Port",
            "Scope",
            "Category",
            "Service",
            "Private endpoint",
            "Tier",
            "Count",
            "Denied",
            "Failed",
            "Why",
            "Evidence",
        )
        lines = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        chosen, rejected = self.checked(policy, options)
        for r in rows(chosen, list(options.regions or policy.regions)):
            service = " ".join(x for x in (r[4], r[5], r[6]) if x)
            flag = f" **{r[12]}**" if r[12] else ""
            cells = [
                f"`{_md_code(r[0])}`{flag}",
                *(_md(c) for c in (r[1], r[2], r[3], service, r[7], r[8], r[9], r[10], r[11], r[13], r[14])),
            ]
            lines.append("| " + " | ".join(cells) + " |")
        if any(is_predicted(e) for e in policy.entries):
            lines += _comparison(chosen)
        lines += _seen_only(chosen)
        return Rendered("\n".join(lines) + "\n", rejected=rejected)


def _comparison(entries: list[Entry]) -> list[str]:
    """Sections for a policy built with catalog predictions: what the logs and the catalog disagree on."""
    unpredicted = [e for e in entries if is_evidenced(e) and not is_predicted(e)]
    unseen = [e for e in entries if e.tier == "predicted"]
    both = [e for e in entries if is_evidenced(e) and is_predicted(e)]
    out = ["", f"## Observed but not predicted ({len(unpredicted)})", ""]
    out += [
        f"- `{_md_code(e.pattern)}` ({', '.join(map(str, e.ports))}): {_md(why(e))}" for e in unpredicted
    ] or ["None."]
    out += ["", f"## Predicted but never observed ({len(unseen)})", ""]
    out += [f"- `{_md_code(e.pattern)}` ({', '.join(map(str, e.ports))}): {_md(why(e))}" for e in unseen] or [
        "None."
    ]
    out += ["", f"Predicted and observed: {len(both)} entries (their reasons name both)."]
    return out


def _seen_only(entries: list[Entry]) -> list[str]:
    """A section naming the entries the logs show only denied or failed (nothing when there is none)."""
    shown = flagged(entries)
    if not shown:
        return []
    return [
        "",
        f"## Only denied or failed in the logs ({len(shown)})",
        "",
        "The stack tried these and every request the logs show an outcome for was denied or failed: allowing "
        "them changes what it can reach. Decide each; `--exclude-denied` leaves them out.",
        "",
        *(
            f"- `{_md_code(e.pattern)}` ({', '.join(map(str, e.ports))}): {e.denied} denied, {e.failed} failed"
            for e in shown
        ),
    ]


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def _md_code(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
