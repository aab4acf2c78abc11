"""The fast path for Squid's native log format: one tight loop, identical requests counted in place.

Per line it splits the fields, cuts the URL down to ``scheme://authority`` and bumps a counter keyed by
(destination, result/status, method); times are kept as the first and last raw timestamps. Clients are a sample:
those of each destination's first ``CLIENT_SAMPLE`` requests (the report caps them at 50 anyway).
Big plain files are split between processes at line boundaries, one per CPU (two at most).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

from ..model import Skipped
from .reader import read_blocks

CLIENT_SAMPLE = 256
PARALLEL_MIN_BYTES = 48 * 1024 * 1024
_FAILED = frozenset({"000", "502", "503", "504"})

# key -> [count, first_lineno, first_ts, last_ts, clients, sample_url, hier]
Rows = dict[tuple[str, str, str], list[Any]]


def tally_native(
    blocks: Iterable[list[str]], origin: str, first_lineno: int = 1
) -> tuple[Rows, list[Skipped], int]:
    """Count native-format lines; return (rows, skipped lines, number of lines)."""
    rows: Rows = {}
    get = rows.get
    skipped: list[Skipped] = []
    lineno = first_lineno - 1
    for block in blocks:
        for line in block:
            lineno += 1
            parts = line.split(None, 7)
            if len(parts) < 7:
                if parts and parts[0][0] != "#":
                    skipped.append(
                        Skipped(origin, lineno, "not a native squid log line (fewer than 7 fields)")
                    )
                continue
            url = parts[6]
            method = parts[5]
            if method != "CONNECT":
                sep = url.find("://")
                if sep > 0:
                    end = url.find("/", sep + 3)
                    if end > 0:
                        url = url[:end]
            code = parts[3]
            key = (url, code, method)
            row = get(key)
            if row is None:
                hier = ""
                if len(parts) > 7 and code[-3:] in _FAILED:
                    rest = parts[7].split(None, 2)
                    hier = rest[1] if len(rest) > 1 else ""
                rows[key] = [1, lineno, parts[0], parts[0], {parts[2]}, parts[6][:200], hier]
            else:
                n = row[0] = row[0] + 1
                row[3] = parts[0]
                if n < CLIENT_SAMPLE:
                    row[4].add(parts[2])
    return rows, skipped, lineno - first_lineno + 1


def merge_rows(into: Rows, other: Rows) -> None:
    """Fold ``other`` (a later part of the same file) into ``into``."""
    for key, row in other.items():
        mine = into.get(key)
        if mine is None:
            into[key] = row
        else:
            mine[0] += row[0]
            mine[3] = row[3]
            mine[4].update(row[4])


def _range_worker(
    path: str, origin: str, start: int, end: int
) -> tuple[Rows, list[Skipped], int, list[Skipped]]:
    problems: list[Skipped] = []
    with open(path, "rb") as f:
        f.seek(start)
        skip = 0
        if start:
            skip = len(f.readline())  # the line crossing the boundary belongs to the previous range
        rows, skipped, count = tally_native(
            read_blocks(f, origin, problems, limit=max(0, end - start - skip)), origin
        )
    return rows, skipped, count, problems


def tally_native_file(
    path: str, origin: str, workers: int | None = None
) -> tuple[Rows, list[Skipped], int] | None:
    """Tally a big plain file in parallel; None when it is not worth it (small file, one CPU)."""
    size = os.path.getsize(path)
    workers = workers or min(2, os.cpu_count() or 1)
    if workers < 2 or size < PARALLEL_MIN_BYTES:
        return None
    bounds = [size * i // workers for i in range(workers + 1)]
    with ProcessPoolExecutor(workers, mp_context=get_context("fork")) as pool:
        parts = list(pool.map(_range_worker, [path] * workers, [origin] * workers, bounds[:-1], bounds[1:]))
    rows: Rows = {}
    skipped: list[Skipped] = []
    offset = 0
    for part_rows, part_skipped, count, problems in parts:
        for row in part_rows.values():
            row[1] += offset
        merge_rows(rows, part_rows)
        skipped.extend(_shift(s, offset) for s in (*part_skipped, *problems))
        offset += count
    return rows, skipped, offset


def _shift(item: Skipped, offset: int) -> Skipped:
    return Skipped(item.origin, item.lineno + offset, item.reason, item.kind, item.count)


def rows_in_order(rows: Rows) -> Iterator[tuple[tuple[str, str, str], list[Any]]]:
    """Rows by first line number, so output order follows the log."""
    return iter(sorted(rows.items(), key=lambda kv: int(kv[1][1])))
