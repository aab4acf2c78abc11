"""A verify run's results as a terminal table, JSON, or JUnit XML (so CI systems show each destination)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .interface import TargetResult

__all__ = ["Outcome", "render_plain", "render_rich", "to_json", "to_junit", "to_rows", "verdict_line"]

SCHEMA = "egressmap-verify/1"


@dataclass(frozen=True)
class Outcome:
    """A whole run: results, what could not be read, and the verdict."""

    results: tuple[TargetResult, ...]
    problems: tuple[str, ...] = ()

    @property
    def failed(self) -> list[TargetResult]:
        """Results that are not what was expected."""
        return [r for r in self.results if not r.passed]

    @property
    def skipped(self) -> list[TargetResult]:
        """Targets that could not be probed."""
        return [r for r in self.results if r.skipped]

    @property
    def passed(self) -> bool:
        """True when every destination did what was expected of it."""
        return not self.failed


def clean(text: str, width: int = 200) -> str:
    r"""Printable text only: details can carry bytes a remote server sent.

    >>> clean("403 from squid\x00\x1b[31m")
    '403 from squid [31m'
    """
    out = "".join(c if c.isprintable() else " " for c in text)
    out = " ".join(out.split())
    return out if len(out) <= width else out[: width - 3] + "..."


def _verdict(result: TargetResult) -> str:
    if result.skipped:
        return "SKIP"
    return "PASS" if result.passed else "FAIL"


def to_rows(outcome: Outcome) -> list[tuple[str, ...]]:
    """Table rows: verdict, target, expectation, route, where it stopped and why, seconds."""
    rows: list[tuple[str, ...]] = []
    for r in outcome.results:
        expect = "blocked" if r.target.expect == "blocked" else "allowed"
        rows.append((_verdict(r), r.target.name, expect, r.route, clean(r.summary), f"{r.seconds:.2f}"))
    return rows


def _result_dict(r: TargetResult) -> dict[str, Any]:
    stopped = r.stopped
    return {
        "target": r.target.name,
        "host": r.target.host,
        "port": r.target.port,
        "protocol": r.target.protocol,
        "expect": r.target.expect,
        "pattern": r.target.pattern,
        "note": r.target.note,
        "route": r.route,
        "passed": r.passed,
        "reached": r.reached,
        "skipped": r.skipped or None,
        "not_probed": r.unfinished or None,
        "stopped_at": stopped.stage if stopped else None,
        "summary": clean(r.summary),
        "addresses": list(r.addresses),
        "seconds": round(r.seconds, 4),
        "stages": [
            {
                "stage": s.stage,
                "ok": s.ok,
                "detail": clean(s.detail),
                "warning": clean(s.warning) or None,
                "seconds": round(s.seconds, 4),
            }
            for s in r.stages
        ],
    }


def to_json(outcome: Outcome) -> str:
    """The whole run as JSON (stable key order)."""
    doc = {
        "schema": SCHEMA,
        "passed": outcome.passed,
        "summary": {
            "targets": len(outcome.results),
            "failed": len(outcome.failed),
            "skipped": len(outcome.skipped),
        },
        "problems": [clean(p) for p in outcome.problems],
        "results": [_result_dict(r) for r in outcome.results],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def to_junit(outcome: Outcome, name: str = "egressmap verify") -> str:
    """JUnit XML: one test case per destination, failures carrying the stage and why."""
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(outcome.results)),
        failures=str(len(outcome.failed)),
        errors="0",
        skipped=str(len(outcome.skipped)),
        time=f"{sum(r.seconds for r in outcome.results):.3f}",
    )
    for r in outcome.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"egressmap.verify.{r.target.expect}",
            name=r.target.name,
            time=f"{r.seconds:.3f}",
        )
        if r.skipped:
            ET.SubElement(case, "skipped", message=clean(r.skipped))
        elif not r.passed:
            failure = ET.SubElement(case, "failure", message=_failure_message(r), type=_failure_type(r))
            failure.text = _stage_lines(r.stages_text())
        else:
            out = ET.SubElement(case, "system-out")
            out.text = _stage_lines(r.stages_text())
    if outcome.problems:
        err = ET.SubElement(suite, "system-err")
        err.text = "\n".join(clean(p) for p in outcome.problems)
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _failure_message(r: TargetResult) -> str:
    if r.target.expect == "blocked" and r.reached:
        return clean(f"expected blocked, but reached ({r.summary})")
    return clean(r.summary)


def _failure_type(r: TargetResult) -> str:
    if r.unfinished:
        return r.unfinished
    if r.target.expect == "blocked" and r.reached:
        return "not-blocked"
    stopped = r.stopped
    return stopped.stage if stopped else "unknown"


def _stage_lines(lines: Sequence[str]) -> str:
    return "\n".join(clean(line) for line in lines)


_HEADERS = ("RESULT", "TARGET", "EXPECT", "ROUTE", "STOPPED AT / DETAIL", "SECONDS")


def render_plain(outcome: Outcome) -> str:
    """A fixed-width table and a one-line verdict, for pipes and logs."""
    rows = [_HEADERS, *to_rows(outcome)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(_HEADERS) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=True)) + "  " + r[-1] for r in rows]
    return "\n".join(line.rstrip() for line in lines) + "\n" + verdict_line(outcome) + "\n"


def render_rich(outcome: Outcome, file: Any) -> None:
    """The same table with colours, for a terminal."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(*_HEADERS, box=None, header_style="bold")
    colours = {"PASS": "green", "FAIL": "bold red", "SKIP": "yellow"}
    for row in to_rows(outcome):
        table.add_row(f"[{colours[row[0]]}]{row[0]}[/]", *(escape(c) for c in row[1:]))
    console = Console(file=file)
    console.print(table)
    console.print(verdict_line(outcome), markup=False)


def verdict_line(outcome: Outcome) -> str:
    """``3 destination(s): 2 passed, 1 failed, 0 skipped`` (and how many failed for the deadline).

    >>> from egressmap.verify.interface import Target
    >>> verdict_line(Outcome((TargetResult(Target("a.test", 443, "https"), unfinished="deadline"),)))
    '1 destination(s): 0 passed, 1 failed (1 not probed: deadline), 0 skipped'
    """
    total, failed, skipped = len(outcome.results), len(outcome.failed), len(outcome.skipped)
    passed = total - failed - skipped
    late = sum(bool(r.unfinished) for r in outcome.results)
    failures = f"{failed} failed" + (f" ({late} not probed: deadline)" if late else "")
    return f"{total} destination(s): {passed} passed, {failures}, {skipped} skipped"
