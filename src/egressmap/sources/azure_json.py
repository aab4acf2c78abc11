"""Records out of the JSON shapes Azure exports, with the line each record starts on.

Azure writes the same records in several containers: JSON lines (a storage account's ``PT1H.json`` for firewall
categories, one ``{"category", "time", "properties"}`` object a line), one document (``{"records": [...]}`` from
Event Hubs and NSG/VNet flow logs, a JSON array from ``az monitor log-analytics query`` or a portal export), and
the Log Analytics query API response ``{"tables": [{"columns": [...], "rows": [[...]]}]}`` whose rows become
objects keyed by column name. A document is held in memory (an hourly blob or a query result); JSON lines stream.

A line that is not JSON, or a document cut mid-record, is a :class:`~egressmap.model.Skipped` with its line
number; the records before it are kept (and the following lines, for JSON lines).
"""

from __future__ import annotations

import io
import json
import re
from array import array
from bisect import bisect_right
from collections.abc import Generator, Iterable, Iterator
from itertools import chain
from typing import Any

from ..model import Skipped

Found = tuple[int, dict[str, Any]] | Skipped
"""A record with its line number, or a line that could not be read."""

_DECODER = json.JSONDecoder()
_SEPARATORS = re.compile(r"[\s,]*")
_RECORDS = re.compile(r'"(records|value)"\s*:\s*\[')
_COLUMNS = re.compile(r'"columns"\s*:\s*')
_ROWS = re.compile(r'"rows"\s*:\s*\[')


def records(lines: Iterable[str], origin: str) -> Iterator[Found]:
    """Every JSON object record in ``lines`` (JSON lines or one document), in order."""
    it = iter(lines)
    held: list[str] = []
    for line in it:
        held.append(line)
        if line.strip():
            break
    first = held[-1].strip() if held else ""
    if not first:
        return
    if _whole(first):
        yield from _json_lines(held, it, origin)
    else:
        yield from _document(chain(held, it), origin)


def _whole(text: str) -> bool:
    if not (text.startswith("{") and text.endswith("}")) and not (
        text.startswith("[") and text.endswith("]")
    ):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _json_lines(held: list[str], rest: Iterator[str], origin: str) -> Iterator[Found]:
    lineno = 0
    for source in (held, rest):
        for line in source:
            lineno += 1
            text = line.strip()
            if not text:
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                cut = "cut mid-record" if text.startswith("{") and not text.endswith("}") else "not JSON"
                yield Skipped(
                    origin, lineno, f"JSON line {cut} ({exc.msg}, column {exc.colno}): {text[:80]!r}"
                )
                continue
            yield from _unwrap(data, lineno, origin)


def _unwrap(data: object, lineno: int, origin: str) -> Iterator[Found]:
    """A whole document on one line: its records; a plain object: itself."""
    if isinstance(data, list):
        for item in data:
            yield from _unwrap(item, lineno, origin)
    elif not isinstance(data, dict):
        yield Skipped(origin, lineno, f"a JSON {type(data).__name__}, not a record")
    elif isinstance(data.get("tables"), list):
        for table in data["tables"]:
            yield from _table(table, lineno, origin)
    elif isinstance(data.get("records"), list):
        yield from _unwrap(data["records"], lineno, origin)
    else:
        yield lineno, data


def _table(table: object, lineno: int, origin: str) -> Iterator[Found]:
    if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
        yield Skipped(origin, lineno, "a query-result table without rows")
        return
    names = _column_names(table.get("columns"))
    if names is None:
        yield Skipped(origin, lineno, "a query-result table without column names")
        return
    for row in table["rows"]:
        yield _row(names, row, lineno, origin)


def _column_names(columns: object) -> list[str] | None:
    if not isinstance(columns, list) or not all(isinstance(c, dict) and "name" in c for c in columns):
        return None
    return [str(c["name"]) for c in columns]


def _row(names: list[str], row: object, lineno: int, origin: str) -> Found:
    if not isinstance(row, list) or len(row) != len(names):
        return Skipped(origin, lineno, f"a query-result row that does not fit its {len(names)} columns")
    return lineno, dict(zip(names, row, strict=True))


class _Text:
    """A document's text and the offset each line starts at."""

    def __init__(self, lines: Iterable[str]) -> None:
        buffer = io.StringIO()
        self.starts = array("q")
        offset = 0
        for line in lines:  # lines come without their newline
            self.starts.append(offset)
            offset += len(line) + 1
            buffer.write(line)
            buffer.write("\n")
        self.text = buffer.getvalue()
        del buffer

    def line(self, pos: int) -> int:
        return bisect_right(self.starts, pos)


def _document(lines: Iterable[str], origin: str) -> Iterator[Found]:
    doc = _Text(lines)
    text = doc.text
    start = len(text) - len(text.lstrip())
    if text.startswith("[", start):
        yield from _elements(doc, start + 1, origin, None)
        return
    tables = _COLUMNS.search(text)
    wrapped = _RECORDS.search(text)
    if tables is not None and _ROWS.search(text, tables.end()) is not None:
        yield from _tables(doc, tables.start(), origin)
    elif wrapped is not None:
        yield from _elements(doc, wrapped.end(), origin, None)
    else:
        yield Skipped(origin, doc.line(start), "a JSON document without records, rows or an array of records")


def _tables(doc: _Text, pos: int, origin: str) -> Iterator[Found]:
    while (found := _COLUMNS.search(doc.text, pos)) is not None:
        try:
            columns, end = _DECODER.raw_decode(doc.text, found.end())
        except json.JSONDecodeError as exc:
            yield Skipped(origin, doc.line(found.end()), f"query-result columns cut or broken ({exc.msg})")
            return
        names = _column_names(columns)
        rows = _ROWS.search(doc.text, end)
        if names is None or rows is None:
            yield Skipped(
                origin, doc.line(found.start()), "a query-result table without column names or rows"
            )
            return
        ended = yield from _elements(doc, rows.end(), origin, names)
        if ended is None:
            return
        pos = ended


def _elements(
    doc: _Text, pos: int, origin: str, names: list[str] | None
) -> Generator[Found, None, int | None]:
    """The values of the array opened just before ``pos``; returns the offset after its ``]`` (None if cut)."""
    text = doc.text
    while True:
        pos = _SEPARATORS.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            yield Skipped(
                origin, doc.line(len(text) - 1), "the JSON document ends before its records do (cut?)"
            )
            return None
        if text[pos] == "]":
            return pos + 1
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            last = doc.line(len(text) - 1)
            yield Skipped(
                origin,
                doc.line(pos),
                f"JSON record cut or broken ({exc.msg}); lines {doc.line(pos)}-{last} not read",
            )
            return None
        lineno = doc.line(pos)
        if names is not None:
            yield _row(names, value, lineno, origin)
        else:
            yield from _unwrap(value, lineno, origin)
        pos = end
