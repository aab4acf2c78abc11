"""Scan rows as JSON text: orjson's when it parses to the row in ASCII, the standard library's otherwise."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from egressmap import rowjson
from egressmap.rowjson import fast_row_json, row_json, stdlib_row_json

_TEXT = st.text(max_size=12)
_ROWS = st.fixed_dictionaries(
    {
        "host": _TEXT,
        "port": st.integers(0, 65535),
        "provider": st.none() | _TEXT,
        "count": st.integers(0, 2**70),
        "flag": st.none() | _TEXT,
        "clients": st.lists(_TEXT, max_size=4),
        "first_seen": st.none() | st.floats(),
        "last_seen": st.none() | st.floats(),
    }
)


def _parsed(text: str) -> Any:
    return json.loads(text)


@given(row=_ROWS)
def test_the_fast_text_parses_to_the_row_in_ascii(row: dict[str, Any]) -> None:
    """Any row, NaN, infinities, big ints and non-ASCII text included: one ASCII line that parses the same."""
    text = fast_row_json(row)
    assert text.isascii() and "\n" not in text
    got, want = _parsed(text), _parsed(stdlib_row_json(row))
    for key in ("first_seen", "last_seen"):  # NaN != NaN: compare those two apart
        if isinstance(want[key], float) and math.isnan(want[key]):
            assert math.isnan(got.pop(key))
            del want[key]
    assert got == want


def test_rows_orjson_cannot_write_alike_fall_back_to_the_standard_library() -> None:
    """Non-ASCII text, DEL, a NaN or infinite time and an int past 64 bits are written by json.dumps."""
    base: dict[str, Any] = {"host": "pypi.org", "count": 1, "first_seen": 1.5, "last_seen": None}
    for odd in (
        {"host": "bücher.example"},
        {"host": "a\x7fb.example"},
        {"first_seen": math.nan},
        {"last_seen": -math.inf},
        {"count": 2**64},
    ):
        row = {**base, **odd}
        assert fast_row_json(row) == json.dumps(row)
    if rowjson._orjson_dumps is not None:
        assert fast_row_json(base) == '{"host":"pypi.org","count":1,"first_seen":1.5,"last_seen":null}'


def test_without_orjson_rows_are_written_by_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extra is optional: without it the encoder is json.dumps, and the fast one falls back to it."""
    monkeypatch.setattr(rowjson, "_orjson_dumps", None)
    row = {"host": "pypi.org", "first_seen": None, "last_seen": 2.0}
    assert row_json() is stdlib_row_json
    assert (
        fast_row_json(row)
        == stdlib_row_json(row)
        == '{"host": "pypi.org", "first_seen": null, "last_seen": 2.0}'
    )
