"""The JSON text of one scan row, fast when the optional ``orjson`` is installed (``pip install egressmap[fast]``).

The standard library's encoder spends about 6 us on a row (20 keys, two floats), as much as everything else a
destination costs outside classification; orjson takes about 0.4 us. Its text is compact (no space after
``,`` and ``:``) and parses to the same row. A row it cannot write the way the standard library would (a
character outside ASCII, which orjson writes as UTF-8 where ``json.dumps`` escapes it, or DEL, which orjson
writes as it is; a time that is NaN or
infinite, which orjson writes as null; a value it refuses) is written by the standard library, so the
document parses the same either way and stays ASCII.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_orjson_dumps: Callable[[Any], bytes] | None
try:
    from orjson import dumps as _orjson_dumps
except ImportError:  # the optional extra is not installed
    _orjson_dumps = None


def json_alike(text: bytes) -> bool:
    """True when orjson's ``text`` of a value without floats is what ``json.dumps(ensure_ascii=True)`` writes.

    That is ASCII with no DEL, which orjson leaves as it is and json escapes. The one test every writer that takes
    orjson's text for the standard library's makes (scan rows, the policy file, its streamed entries).
    """
    return text.isascii() and 0x7F not in text  # an int: memchr (a one-byte bytes needle takes 5x as long)


def stdlib_row_json(row: dict[str, Any]) -> str:
    """The row as ``json.dumps`` writes it (what ``scan --json`` gives without orjson)."""
    return json.dumps(row, ensure_ascii=True)


def fast_row_json(row: dict[str, Any]) -> str:
    """The row by orjson when its text parses to the same row in ASCII; otherwise :func:`stdlib_row_json`."""
    if _orjson_dumps is None:
        return stdlib_row_json(row)
    first, last = row["first_seen"], row["last_seen"]
    if (first is not None and first - first != 0) or (last is not None and last - last != 0):
        return stdlib_row_json(row)  # NaN or infinite: inf - inf is NaN, and NaN != 0
    try:
        text = _orjson_dumps(row)
    except TypeError:  # orjson.JSONEncodeError: an int past 64 bits, a type it does not know
        return stdlib_row_json(row)
    return text.decode("ascii") if json_alike(text) else stdlib_row_json(row)


def row_json() -> Callable[[dict[str, Any]], str]:
    """The encoder for scan rows: :func:`fast_row_json` when orjson is installed, else the standard library."""
    return stdlib_row_json if _orjson_dumps is None else fast_row_json


__all__ = ["fast_row_json", "json_alike", "row_json", "stdlib_row_json"]
