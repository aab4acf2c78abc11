"""The JSON containers Azure exports records in, with line numbers."""

from __future__ import annotations

import json

from egressmap.model import Skipped
from egressmap.sources.azure_json import Found, records


def _found(lines: list[str]) -> list[tuple[int, dict[str, object]] | str]:
    return [f.reason if isinstance(f, Skipped) else f for f in records(lines, "in")]


def test_json_lines_and_one_line_documents() -> None:
    """Objects a line; a ``records`` or array document on one line gives its records, all on that line."""
    lines = ['{"a": 1}', "", '{"records": [{"b": 2}, {"c": 3}]}', '[{"d": 4}]', "7"]
    assert _found(lines) == [
        (1, {"a": 1}),
        (3, {"b": 2}),
        (3, {"c": 3}),
        (4, {"d": 4}),
        "a JSON int, not a record",
    ]


def test_query_response_rows_with_columns_and_a_row_that_does_not_fit() -> None:
    """``tables[].columns/rows`` become objects; a row of the wrong width is named."""
    doc = {"tables": [{"columns": [{"name": "A"}, {"name": "B"}], "rows": [[1, 2], [3]]},
                      {"columns": [{"name": "C"}], "rows": [[5]]}]}  # fmt: skip
    pretty = json.dumps(doc, indent=2).splitlines()
    found: list[Found] = list(records(pretty, "q"))
    rows = [f for f in found if not isinstance(f, Skipped)]
    assert [r[1] for r in rows] == [{"A": 1, "B": 2}, {"C": 5}]
    assert all(pretty[lineno - 1].strip() == "[" for lineno, _ in rows)
    (bad,) = [f for f in found if isinstance(f, Skipped)]
    assert bad.reason == "a query-result row that does not fit its 2 columns"
    assert _found([json.dumps(doc)])[:2] == [
        (1, {"A": 1, "B": 2}),
        "a query-result row that does not fit its 2 columns",
    ]


def test_a_document_without_records_and_one_cut_before_its_end() -> None:
    """A pretty document with nothing to read is named; a cut after the last whole record keeps them all."""
    assert _found(["{", '  "name": "x"', "}"]) == [
        "a JSON document without records, rows or an array of records"
    ]
    cut = _found(["[", ' {"a": 1},', ' {"b": 2},'])
    assert cut == [(2, {"a": 1}), (3, {"b": 2}), "the JSON document ends before its records do (cut?)"]
    assert _found(["", "   "]) == []
