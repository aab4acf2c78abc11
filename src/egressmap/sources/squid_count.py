"""The per-line loop of Squid's native log format: identical requests counted in place, on raw bytes.

Per line it splits the fields, cuts the URL down to ``scheme://authority`` and bumps a counter keyed by
(destination, result/status, method), keeping the first and last timestamps and the first line's number.
Clients are a sample: those of each key's first ``CLIENT_SAMPLE`` requests (the report keeps at most 50 per
destination). Only each distinct request's fields become Python objects (:data:`Row`).

Two implementations give the same rows: the C module ``_squid_count``, built at install when a C compiler is
there (0.15 s for ``bench/ingest``'s 1,000,000 lines), and :func:`tally_python` (0.76 s), used where it was not.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from ..model import Skipped

if TYPE_CHECKING:
    from ._squid_count import Counter

CLIENT_SAMPLE = 16

Row = tuple[bytes, bytes, bytes, int, int, float | None, float | None, Collection[str], bytes]
"""(url, status, method, count, first lineno, first time, last time, clients, sample url) of a distinct request.

url, status, method and the sample URL are as logged; a time is ``float(timestamp)``, None when that fails
(the last is the first's object while one request was counted); clients are decoded (UTF-8, replaced).
"""
Rows = list[Row]
"""In order of first request."""

_count: Callable[[Iterable[bytes], int, int, int], tuple[Rows, list[int], int]] | None
_Counter: type[Counter] | None
try:
    from ._squid_count import Counter as _Counter
    from ._squid_count import count as _count
except ImportError:  # installed where no C compiler was: the Python loop
    _count = _Counter = None


_FEW_FIELDS = "not a native squid log line (fewer than 7 fields)"


def per_line_loop() -> str:
    """Which per-line loop :func:`tally_native` runs: ``"C"``, or ``"Python"`` where the module was not built."""
    return "Python" if _count is None else "C"


def tally_native(
    blocks: Iterable[bytes], origin: str, first_lineno: int = 1
) -> tuple[Rows, list[Skipped], int]:
    """Count native-format lines given as raw blocks (lines joined by newlines); return (rows, skipped, lines).

    In C when the module was built, else :func:`tally_python`; both give the same.
    """
    if _count is None:
        return tally_python(blocks, origin, first_lineno)
    rows, bad, lines = _count(blocks, first_lineno, CLIENT_SAMPLE, int.from_bytes(os.urandom(8)))
    return rows, bad_lines(bad, origin), lines


def counters(n: int) -> list[Counter] | None:
    """``n`` C counters of one seed, or None where the C module was not built.

    For consecutive parts of one input counted apart (in threads), then folded together: ``first.absorb(later)``.
    """
    if _Counter is None:
        return None
    seed = int.from_bytes(os.urandom(8))
    return [_Counter(1, CLIENT_SAMPLE, seed) for _ in range(n)]


def bad_lines(numbers: Iterable[int], origin: str) -> list[Skipped]:
    """The report of the lines the C loop found too short."""
    return [Skipped(origin, lineno, _FEW_FIELDS) for lineno in numbers]


def tally_python(
    blocks: Iterable[bytes], origin: str, first_lineno: int = 1
) -> tuple[Rows, list[Skipped], int]:
    """:func:`tally_native` in Python."""
    rows: dict[tuple[bytes, bytes, bytes], list[Any]] = {}
    get = rows.get
    common: dict[bytes, bytes] = {}
    skipped: list[Skipped] = []
    base = first_lineno
    sample = CLIENT_SAMPLE
    for block in blocks:
        lines = block.split(b"\n")
        for lineno, line in enumerate(lines, base):
            try:  # a native line has 10 fields; unpacking the first 7 and the rest is the fastest split
                ts, _, client, code, _, method, url, _ = line.split(None, 7)
            except ValueError:
                parts = line.split(None, 7)
                if len(parts) < 7:
                    if parts and parts[0][:1] != b"#":
                        skipped.append(Skipped(origin, lineno, _FEW_FIELDS))
                    continue
                ts, _, client, code, _, method, url = parts
            full = url
            if method != b"CONNECT":
                sep = url.find(b"://")
                if sep > 0:
                    end = url.find(b"/", sep + 3)
                    if end > 0:
                        url = url[:end]
            key = (url, code, method)
            row = get(key)
            if row is None:  # rare: the first request of its kind
                # its status and method as the first of their kind had them: a few objects for every row
                key = (url, common.setdefault(code, code), common.setdefault(method, method))
                rows[key] = [1, lineno, ts, ts, {client}, full[:200]]
            else:
                row[3] = ts
                count = row[0] = row[0] + 1
                if count < sample:
                    row[4].add(client)
        base += len(lines)
    return _rows(rows), skipped, base - first_lineno


def _rows(rows: dict[tuple[bytes, bytes, bytes], list[Any]]) -> Rows:
    """:func:`tally_python`'s counts as :data:`Row` tuples (what the C loop makes at its end)."""
    name = _Clients().__getitem__
    out: Rows = []
    for (url, code, method), (count, lineno, first, last, clients, sample) in rows.items():
        start = _time(first)
        end = start if last is first else _time(last)
        out.append((url, code, method, count, lineno, start, end, set(map(name, clients)), sample))
    return out


def _time(raw: bytes) -> float | None:
    try:
        return float(raw)
    except ValueError:
        return None


class _Clients(dict[bytes, str]):
    """Client addresses decoded once each (equal names become one object, also in the child's pickle)."""

    def __missing__(self, raw: bytes) -> str:
        name = self[raw] = raw.decode("utf-8", "replace")
        return name
