"""The ``csv`` and ``markdown`` change-request tables: denied and failed counts, and the seen-only flag."""

from __future__ import annotations

import csv
import io

from egressmap.exporters import ExportOptions
from egressmap.exporters.table import CsvExport, MarkdownExport
from egressmap.model import Classification, Entry, Policy


def _entry(pattern: str, count: int, *, allowed: int = 0, denied: int = 0, failed: int = 0) -> Entry:
    return Entry(
        pattern=pattern,
        hosts=(pattern,),
        ports=(443,),
        classification=Classification(),
        tier="observed",
        count=count,
        denied=denied,
        failed=failed,
        allowed=allowed,
        reasons=("observed: CONNECT tunnel seen in squid log",),
        sources=("access.log:1",),
    )


#: Every mix of outcomes an entry can have; the comment says whether it is flagged and why.
MIXED = Policy(
    (
        _entry("denied.example.net", 3, denied=3),  # only denied
        _entry("failed.example.net", 2, failed=2),  # only failed
        _entry("both.example.net", 2, denied=1, failed=1),  # denied and failed, never allowed
        _entry("mentioned.example.net", 4, failed=1),  # 3 mentions without an outcome: still only failed
        _entry("retried.example.net", 5, allowed=1, denied=4),  # allowed once: not flagged
        _entry("flaky.example.net", 5, allowed=4, failed=1),  # allowed too: not flagged
        _entry("quiet.example.net", 2),  # no outcome at all (a list, a mention): not flagged
        _entry("fine.example.net", 2, allowed=2),
    )
)
FLAGS = {
    "denied.example.net": "only denied",
    "failed.example.net": "only failed",
    "both.example.net": "only denied or failed",
    "mentioned.example.net": "only failed",
    "retried.example.net": "",
    "flaky.example.net": "",
    "quiet.example.net": "",
    "fine.example.net": "",
}


def test_csv_has_denied_failed_and_flag_columns() -> None:
    """Each row carries its denied and failed counts and the flag, empty for entries seen allowed or unjudged."""
    rendered = CsvExport().render(MIXED, ExportOptions())
    rows = list(csv.DictReader(io.StringIO(rendered.text)))
    assert list(rows[0])[9:13] == ["count", "denied", "failed", "flag"]
    assert {r["destination"]: r["flag"] for r in rows} == FLAGS
    got = {r["destination"]: (r["denied"], r["failed"]) for r in rows}
    assert got["both.example.net"] == ("1", "1") and got["flaky.example.net"] == ("0", "1")


def test_markdown_flags_the_row_and_lists_the_entries() -> None:
    """The destination cell carries the flag in bold; a closing section lists the flagged entries with counts."""
    text = MarkdownExport().render(MIXED, ExportOptions()).text
    lines = text.splitlines()
    heads = [h.strip() for h in lines[0].strip("|").split("|")]
    assert heads[7:10] == ["Count", "Denied", "Failed"]
    for name, flag in FLAGS.items():
        row = next(line for line in lines if line.startswith(f"| `{name}`"))
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == f"`{name}`" + (f" **{flag}**" if flag else "")
    section = lines[lines.index("## Only denied or failed in the logs (4)") :]
    assert [line for line in section if line.startswith("- ")] == [
        "- `denied.example.net` (443): 3 denied, 0 failed",
        "- `failed.example.net` (443): 0 denied, 2 failed",
        "- `both.example.net` (443): 1 denied, 1 failed",
        "- `mentioned.example.net` (443): 0 denied, 1 failed",
    ]


def test_markdown_without_flagged_entries_has_no_section() -> None:
    """A policy whose entries were all seen allowed (or never judged) gets no seen-only section."""
    calm = Policy(tuple(e for e in MIXED.entries if not FLAGS[e.pattern]))
    text = MarkdownExport().render(calm, ExportOptions()).text
    assert "Only denied or failed" not in text and "**" not in text
