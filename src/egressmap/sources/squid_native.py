"""The fast path for Squid's native log format: one tight loop, identical requests counted in place.

It works on raw bytes (decoding only each distinct destination at the end). Per line it splits the fields, cuts
the URL down to ``scheme://authority`` and bumps a counter keyed by
(destination, result/status, method); times are kept as the first and last raw timestamps. Clients are a
sample: those of each key's first ``CLIENT_SAMPLE`` requests (the report keeps at most 50 per destination).
Each distinct row is then decoded, its URL split and its outcome mapped, into a :class:`.squid_tally.Tally`.
A big plain file is split between two processes by :mod:`.parallel`, each doing both steps on its part; the
parent joins the two results (measured in ``bench/ingest``).

The per-line loop has two implementations that give the same rows: the C module ``_squid_count`` (built at
install when a C compiler is there: 0.20 s for ``bench/ingest``'s 1,000,000 lines against the Python loop's
0.76 s) and :func:`tally_python`, used where it was not built.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from typing import Any

from ..model import Outcome, Skipped
from .gzip_range import RangeReader, range_reader
from .interface import Item
from .parallel import TO_THE_END, split_work
from .reader import InputStream, read_range
from .squid_tally import Tally, outcome_of, split_url

CLIENT_SAMPLE = 16

Row = tuple[bytes, bytes, bytes, int, int, float | None, float | None, Collection[str], bytes]
"""(url, status, method, count, first lineno, first time, last time, clients, sample url) of a distinct request.

url, status, method and the sample URL are as logged; a time is ``float(timestamp)``, None when that fails
(the last is the first's object while one request was counted); clients are decoded (UTF-8, replaced).
"""
Rows = list[Row]
"""In order of first request."""

_count: Callable[[Iterable[bytes], int, int, int], tuple[Rows, list[int], int]] | None
try:
    from ._squid_count import count as _count
except ImportError:  # installed where no C compiler was: the Python loop
    _count = None


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
    return rows, [Skipped(origin, lineno, _FEW_FIELDS) for lineno in bad], lines


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


def tally_range(
    path: str,
    origin: str,
    start: int,
    end: int,
    progress: Callable[[int], None] | None = None,
    read: RangeReader = read_range,
) -> tuple[Rows, list[Skipped], int]:
    """Tally the lines of ``path`` that begin at a byte offset in [start, end) (as ``read`` cuts the file).

    Line numbers count from the range's first line (the caller adds the lines before it).
    """
    problems: list[Skipped] = []
    rows, skipped, count = tally_native(read(path, origin, start, end, problems, progress), origin)
    return rows, [*skipped, *problems], count


def _method_and_outcome(raw_code: bytes, raw_method: bytes) -> tuple[str, Outcome]:
    """The method and the outcome of a ``result/status`` code; UnicodeDecodeError when not UTF-8."""
    method = raw_method.decode("utf-8")
    result, _, status = raw_code.decode("utf-8").partition("/")
    return method, outcome_of(result, status, method)


CHILD_SHARE = 0.52
"""The forked child's share of a big native log: the parent also loads classification data meanwhile."""
GZIP_CHILD_SHARE = 0.46
"""The same for a gzip file: the child also decompresses (and throws away) the parent's part."""


@dataclass
class _Part:
    """A native log (or one part of it), parsed and converted: what :func:`read_native` yields."""

    tally: Tally
    skipped: list[Skipped]
    """Bad lines, in line order."""
    unusable: dict[tuple[bytes, bytes, bytes], Skipped]
    """Distinct requests that name no usable destination, by their raw (url, code, method)."""
    lines: int

    def join(self, later: _Part) -> None:
        """Fold in the next part of the same file (its line numbers count from its own start)."""
        offset = self.lines
        self.skipped.extend(replace(s, lineno=s.lineno + offset) for s in later.skipped)
        for key, bad in later.unusable.items():
            mine = self.unusable.get(key)
            self.unusable[key] = (
                replace(bad, lineno=bad.lineno + offset)
                if mine is None
                else replace(mine, count=mine.count + bad.count)
            )
        self.tally.absorb(later.tally, offset)
        self.lines += later.lines


def _native_part(
    path: str,
    origin: str,
    progress: Callable[[int], None] | None,
    start: int,
    end: int,
    read: RangeReader = read_range,
) -> _Part:
    if progress is None or start > 0 or end <= 0 or end >= TO_THE_END:
        return _convert(*tally_range(path, origin, start, end, read=read), origin)
    # only this process can draw the bar: its part (the file's first) stands for the whole, scaled
    size = os.path.getsize(path)

    def scaled(pos: int) -> None:
        progress(min(size, pos * size // end))

    return _convert(*tally_range(path, origin, start, end, scaled, read), origin)


class _Clients(dict[bytes, str]):
    """Client addresses decoded once each (equal names become one object, also in the child's pickle)."""

    def __missing__(self, raw: bytes) -> str:
        name = self[raw] = raw.decode("utf-8", "replace")
        return name


_NO_DESTINATION = ("error:", "cache_object:", "-")
"""URL prefixes that name no destination (as :func:`.squid_tally.split_url` reads them)."""


def _convert(rows: Rows, skipped: list[Skipped], lines: int, origin: str) -> _Part:
    """Decode and classify the tallied rows of a native log (each distinct request once).

    The rows come in order of their first line (a row is made at its first request), and ``rows`` is emptied
    as they are taken: each row is let go once converted, so its memory serves the rows made meanwhile.
    """
    tally = Tally(origin)
    counted = tally.rows
    unusable: dict[tuple[bytes, bytes, bytes], Skipped] = {}
    kinds: dict[tuple[bytes, bytes], tuple[str, Outcome]] = {}  # (status, method) -> (method, outcome): few
    rows.reverse()
    take = rows.pop
    while rows:
        raw_url, raw_code, raw_method, count, lineno, start, end, clients, sample = take()
        try:
            url = raw_url.decode("utf-8")
            known = kinds.get((raw_code, raw_method))
            if known is None:
                known = kinds[(raw_code, raw_method)] = _method_and_outcome(raw_code, raw_method)
        except UnicodeDecodeError:
            unusable[(raw_url, raw_code, raw_method)] = Skipped(
                origin, lineno, "invalid UTF-8 in the destination or status fields", count=count
            )
            continue
        method, outcome = known
        if method == "CONNECT" and "://" not in url and not url.startswith(_NO_DESTINATION):
            scheme, authority, sample_url = None, url, ""  # what split_url gives a tunnel's host:port
            if sample != raw_url:
                sample_url = (split_url(method, sample.decode("utf-8", "replace")) or (None, "", ""))[2]
        else:
            where = split_url(method, url)
            if where is None:
                unusable[(raw_url, raw_code, raw_method)] = Skipped(
                    origin, lineno, f"no destination in URL {url[:80]!r}", kind="dropped", count=count
                )
                continue
            scheme, authority, sample_url = where
            if sample != raw_url:
                sample_url = (split_url(method, sample.decode("utf-8", "replace")) or (None, "", ""))[2]
        kind = (method, scheme, authority, outcome)
        if kind in counted:  # the same request with another status or credentials: Tally.add merges them
            tally.add(lineno, *kind, clients, start, end, sample_url, count)
        else:  # most rows: what Tally.add does with a new request, without the call (nor a copy of clients)
            counted[kind] = [count, lineno, start, end, sample_url, clients]
    return _Part(tally, skipped, unusable, lines)


def read_native(blocks: Iterable[bytes], origin: str) -> Iterator[Item]:
    """Bad lines, unusable requests, then one observation per distinct request kind of a native log."""
    yield from _items(_convert(*tally_native(blocks, origin), origin))


def read_native_input(stream: InputStream, meanwhile: Callable[[], None] | None = None) -> Iterator[Item]:
    """:func:`read_native` over an opened input; a big file, plain or gzip, is done in two processes.

    ``meanwhile`` runs in this process while the child works. The stream's progress callback gets an estimate
    of the bytes done (this process's share of its part, scaled to the file) and its line count is set.
    """
    parts = None
    reader = range_reader(stream)
    if reader is not None:
        size, read = reader
        work = partial(_native_part, stream.path, stream.origin, stream.progress, read=read)
        share = GZIP_CHILD_SHARE if stream.compressed else CHILD_SHARE
        # a gzip input's decompression thread is stopped: no thread may run when the child is made
        before_fork = stream.release if stream.compressed else None
        parts = split_work(stream.path, work, share, meanwhile, size=size, before_fork=before_fork)
        if parts is None and stream.released:  # the child failed: read the whole again here (no progress bar)
            part = _native_part(stream.path, stream.origin, None, 0, TO_THE_END, read)
            parts = (part, _Part(Tally(stream.origin), [], {}, 0))
    if parts is None:
        yield from read_native(stream.raw_blocks(), stream.origin)
        return
    part = parts[0]
    part.join(parts[1])
    stream.lines_read = part.lines
    # the parts read the file again from its start: the reader's line problems (NUL bytes, over-long lines) in
    # the block read at open are among theirs, so only its warnings stay
    stream.problems[:] = [p for p in stream.problems if p.kind == "warning"]
    yield from _items(part)


def _items(part: _Part) -> Iterator[Item]:
    return chain(part.skipped, part.unusable.values(), part.tally.flush())
