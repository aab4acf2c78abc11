"""Parts of a gzip file's decompressed data, so that two processes can parse one big ``.gz`` log.

A deflate stream cannot be entered in the middle, so each process decompresses from the start: the one with
the first part stops at its end, the one with a later part decompresses what lies before it and throws that
away (counting its lines), then parses its own. The decompression is done twice, the parsing once, and both run
at the same time. Parts are cut in decompressed bytes exactly as :func:`.reader.read_range` cuts a plain file:
a part holds the lines that begin in its byte range, so any cut points give every line to exactly one part.

How big the decompressed data is only decides where to cut, never what is read (the last part runs to the end
of the data): :func:`estimated_size` takes it from the gzip trailer, which is exact for a single member under
4 GiB. A bigger or multi-member file may be cut unevenly (one process then does more of the work, about as long
as one process alone), and still every line is read once; when the trailer cannot be a size of this file (a
small last member, a truncated file), it is read in one process.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol, cast

from ..model import Skipped
from .gzip_feed import ERRORS, GzipFeed
from .reader import CHUNK, InputStream, read_range, read_raw


class RangeReader(Protocol):
    """Reads the lines of a file that begin in a byte range, as :func:`.reader.read_range` does."""

    def __call__(
        self,
        path: str,
        origin: str,
        start: int,
        end: int,
        problems: list[Skipped],
        progress: Callable[[int], None] | None = None,
        *,
        counted: Callable[[], int] | None = None,
    ) -> Iterator[bytes]:
        """Blocks of the lines of ``path`` that begin in [start, end)."""
        ...


TYPICAL_RATIO = 6.0
"""Decompressed / compressed size of a typical text log, to choose among trailer readings beyond 4 GiB."""
MAX_RATIO = 64
"""The largest decompressed / compressed size taken for a reading of the trailer (deflate of text rarely passes 20)."""
_WRAP = 1 << 32


def estimated_size(path: str) -> int | None:
    """The decompressed size of a gzip file, from its trailer (ISIZE: the size modulo 4 GiB); None if unknown.

    Beyond 4 GiB the trailer repeats every 4 GiB: of the readings between 1 and ``MAX_RATIO`` times the compressed
    size, the one nearest a text log's ratio is taken. None when no reading is in that range: a multi-member file
    whose last member (the trailer read) is small, which is then read in one process.
    """
    try:
        with open(path, "rb") as f:
            packed = os.fstat(f.fileno()).st_size
            if packed < 18:  # header (10) and trailer (8) of the smallest gzip member
                return None
            f.seek(-4, os.SEEK_END)
            isize = int.from_bytes(f.read(4), "little")
    except OSError:
        return None
    lowest = max(0, math.ceil((packed - isize) / _WRAP))
    highest = (packed * MAX_RATIO - isize) // _WRAP
    candidates = [isize + k * _WRAP for k in range(lowest, highest + 1)]
    target = packed * TYPICAL_RATIO
    return min(candidates, key=lambda size: abs(math.log(size / target)), default=None)


def range_reader(stream: InputStream) -> tuple[int, RangeReader] | None:
    """How an opened input can be read in parts: (bytes to cut, reader of a part); None when it cannot.

    A plain file is cut in its own bytes, a gzip file in its decompressed data (of estimated size); stdin cannot
    be read twice.
    """
    if stream.plain_file and stream.size is not None:
        return stream.size, read_range
    if stream.gzip_file:
        size = estimated_size(stream.path)
        return None if size is None else (size, read_gzip_range)
    return None


def read_gzip_range(
    path: str,
    origin: str,
    start: int,
    end: int,
    problems: list[Skipped],
    progress: Callable[[int], None] | None = None,
    *,
    counted: Callable[[], int] | None = None,
) -> Iterator[bytes]:
    """Blocks (as :func:`.reader.read_raw`) of a gzip file's lines that begin in decompressed bytes [start, end).

    Line numbers in reports count from the part's first line, as :func:`.reader.read_range`. Damaged or
    truncated data is reported by the part in which one process would have met it: when it lies before this
    part's first line, that line is never reached, the part is empty and the part before reports it. ``progress``
    gets the decompressed position after each block.
    """
    with open(path, "rb") as raw:
        feed = GzipFeed(raw, skip=max(0, start - 1))
        try:
            before = 0
            if start > 0:
                skipped = _skip_to_line(feed, start)
                if skipped is None:
                    return
                start, before = skipped
            tick = None if progress is None else lambda: progress(feed.tell())
            yield from read_raw(
                cast(BinaryIO, feed),
                origin,
                problems,
                limit=max(0, end - start),
                progress=tick,
                lines_before=before,
                counted=counted,
            )
        finally:
            feed.close()


def _skip_to_line(feed: GzipFeed, start: int) -> tuple[int, int] | None:
    """Read up to the first line that begins at or after ``start``: (its offset, lines before it).

    The feed has thrown away the ``start - 1`` bytes before the one preceding ``start``. None when the data
    ends, or is damaged, before that line begins.
    """
    done = start - 1
    try:
        while True:  # the rest of the line that crosses ``start`` (none if a line begins there)
            piece = feed.readline(CHUNK)
            if not piece:
                return None
            done += len(piece)
            if piece.endswith(b"\n"):
                return done, feed.skipped_lines + 1
    except ERRORS:
        return None


__all__ = ["RangeReader", "estimated_size", "range_reader", "read_gzip_range"]
