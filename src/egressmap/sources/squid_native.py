"""The fast path for Squid's native log format: one tight loop, identical requests counted in place.

It works on raw bytes (decoding only each distinct destination at the end). Per line it splits the fields, cuts
the URL down to ``scheme://authority`` and bumps a counter keyed by
(destination, result/status, method); times are kept as the first and last raw timestamps. Clients are a
sample: those of each key's first ``CLIENT_SAMPLE`` requests (the report keeps at most 50 per destination).
A big plain file is split in two at a line boundary: a forked child parses the second half while this
process parses the first (measured in ``bench/ingest``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..model import Skipped
from .reader import read_raw

CLIENT_SAMPLE = 16
PARALLEL_MIN_BYTES = 48 * 1024 * 1024

# key (url, code, method) -> [count, first lineno, first ts, last ts, clients, sample url], all bytes
Rows = dict[tuple[bytes, bytes, bytes], list[Any]]


def tally_native(
    blocks: Iterable[bytes], origin: str, first_lineno: int = 1
) -> tuple[Rows, list[Skipped], int]:
    """Count native-format lines given as raw blocks (lines joined by newlines); return (rows, skipped, lines)."""
    rows: Rows = {}
    get = rows.get
    skipped: list[Skipped] = []
    lineno = first_lineno - 1
    sample = CLIENT_SAMPLE
    for block in blocks:
        for line in block.split(b"\n"):
            lineno += 1
            parts = line.split(None, 7)
            if len(parts) < 7:
                if parts and parts[0][:1] != b"#":
                    skipped.append(
                        Skipped(origin, lineno, "not a native squid log line (fewer than 7 fields)")
                    )
                continue
            url = parts[6]
            method = parts[5]
            if method != b"CONNECT":
                sep = url.find(b"://")
                if sep > 0:
                    end = url.find(b"/", sep + 3)
                    if end > 0:
                        url = url[:end]
            key = (url, parts[3], method)
            row = get(key)
            if row is None:
                rows[key] = [1, lineno, parts[0], parts[0], {parts[2]}, parts[6][:200]]
            else:
                row[0] += 1
                row[3] = parts[0]
                if row[0] < sample:
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


def _tally_range(path: str, origin: str, start: int, end: int) -> tuple[Rows, list[Skipped], int]:
    problems: list[Skipped] = []
    with open(path, "rb") as f:
        f.seek(start)
        skip = len(f.readline()) if start else 0  # the line crossing the boundary belongs to the first half
        rows, skipped, count = tally_native(
            read_raw(f, origin, problems, limit=max(0, end - start - skip)), origin
        )
    return rows, [*skipped, *problems], count


def _share_clients(rows: Rows) -> None:
    """Make equal client names one object, so the pickle holds each once (a log has few distinct clients)."""
    seen: dict[bytes, bytes] = {}
    share = seen.setdefault
    for row in rows.values():
        row[4] = {share(c, c) for c in row[4]}


CHILD_SHARE = 0.52
"""The child's share of the file: the parent also runs ``meanwhile`` (loading classification data)."""


def tally_native_file(
    path: str, origin: str, meanwhile: Callable[[], None] | None = None
) -> tuple[Rows, list[Skipped], int] | None:
    """Tally a big plain file in two processes; None when that is not worth it or not possible here."""
    size = os.path.getsize(path)
    if size < PARALLEL_MIN_BYTES or (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return None
    mid = int(size * (1 - CHILD_SHARE))
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its result is checked by the parent's tests
        status = 1
        try:
            os.close(read_end)
            result = _tally_range(path, origin, mid, size)
            _share_clients(result[0])
            with os.fdopen(write_end, "wb") as out:
                out.write(pickle.dumps(result, pickle.HIGHEST_PROTOCOL))
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    try:
        if meanwhile is not None:
            meanwhile()
        rows, skipped, count = _tally_range(path, origin, 0, mid)
        with os.fdopen(read_end, "rb") as inp:
            data = inp.read()
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0 or not data:
        return None  # the child failed: the caller reads the file the ordinary way
    second_rows, second_skipped, second_count = pickle.loads(data)  # noqa: S301 - our own child's output
    for row in second_rows.values():
        row[1] += count
    merge_rows(rows, second_rows)
    skipped.extend(Skipped(s.origin, s.lineno + count, s.reason, s.kind, s.count) for s in second_skipped)
    return rows, skipped, count + second_count


def rows_in_order(rows: Rows) -> Iterator[tuple[tuple[bytes, bytes, bytes], list[Any]]]:
    """Rows by first line number, so output order follows the log."""
    return iter(sorted(rows.items(), key=lambda kv: int(kv[1][1])))
