"""The fast path for Squid's native log format: lines counted in place, then each distinct request converted.

:func:`.squid_count.tally_native` counts identical requests of the raw lines (in C where it was built). Each
distinct row is then decoded, its URL split and its outcome mapped, into a :class:`.squid_tally.Tally`.
A big file (plain, or gzip with that much data) is read in two parts at once. Where the C module was built,
two threads count them, each with a counter of its own that lets the GIL go while it counts a block; the counts
are folded together in C exactly as one count makes them, then converted once (:func:`_count_in_threads`).
Without it, two processes (:mod:`.parallel`) each count and convert a part, and this one joins the two tallies
(each part's sample of clients kept). Measured in ``bench/ingest``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from typing import TYPE_CHECKING, Any

from ..model import Outcome, Skipped
from .gzip_range import RangeReader, range_reader
from .interface import Item
from .parallel import TO_THE_END, split_work, worth_splitting
from .reader import InputStream, read_range
from .squid_count import Rows, bad_lines, counters, tally_native
from .squid_tally import Tally, outcome_of, split_url

if TYPE_CHECKING:
    from ._squid_count import Counter


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
"""The second part's share of a big native log (the other thread's, or the forked child's): this one also
loads classification data meanwhile."""
GZIP_CHILD_SHARE = 0.46
"""The same for a gzip file: the second part's reader also decompresses (and throws away) the first part."""


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
    # only this process can draw the bar: its part (the file's first) stands for the whole
    scaled = _scaled(path, progress, end) if start == 0 and end < TO_THE_END else None
    return _convert(*tally_range(path, origin, start, end, scaled, read), origin)


_NO_DESTINATION = ("error:", "cache_object:", "-")
"""URL prefixes that name no destination (as :func:`.squid_tally.split_url` reads them; ``plain_tunnel`` in
``_squid_convert.c`` checks the same three: change both together)."""


_convert_c: (
    Callable[[Rows, dict[Any, list[Any]], Callable[..., None], Callable[[bytes, bytes], Any]], Rows] | None
)
try:
    from ._squid_count import convert as _convert_c
except ImportError:  # installed where no C compiler was
    _convert_c = None


def _convert(rows: Rows, skipped: list[Skipped], lines: int, origin: str) -> _Part:
    """Decode and classify the tallied rows of a native log (each distinct request once).

    The rows come in order of their first line (a row is made at its first request), and ``rows`` is emptied
    as they are taken: each row is let go once converted, so its memory serves the rows made meanwhile. Where
    the C module was built, it converts the rows of a tunnel's own ``host:port`` the way this loop does
    (``_squid_count.convert``), and this loop the rest: the tally's rows are the same, in another order.
    """
    tally = Tally(origin)
    counted = tally.rows
    unusable: dict[tuple[bytes, bytes, bytes], Skipped] = {}
    kinds: dict[tuple[bytes, bytes], tuple[str, Outcome]] = {}  # (status, method) -> (method, outcome): few
    rows.reverse()
    if _convert_c is not None:  # the tunnels' own host:port rows, most rows, in C; the others below
        rows = _convert_c(rows, counted, tally.add, _method_and_outcome)
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
    """:func:`read_native` over an opened input; a big file, plain or gzip, is read in two parts at once.

    ``meanwhile`` runs here while the other part is read. The stream's progress callback gets an estimate of the
    bytes done (the first part's, scaled to the file) and its line count is set.
    """
    parts: tuple[_Part, _Part | None] | None = None
    reader = range_reader(stream)
    pair = counters(2) if reader is not None and worth_splitting(reader[0]) else None
    if reader is not None and pair is not None:
        if stream.compressed:
            stream.release()  # its decompression thread: each part decompresses for itself
        parts = (_count_in_threads(stream, *reader, meanwhile, pair), None)
    elif reader is not None:
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
    part, later = parts
    if later is not None:
        part.join(later)
    stream.lines_read = part.lines
    # the parts read the file again from its start: the reader's line problems (NUL bytes, over-long lines) in
    # the block read at open are among theirs, so only its warnings stay
    stream.problems[:] = [p for p in stream.problems if p.kind == "warning"]
    yield from _items(part)


def _count_in_threads(
    stream: InputStream,
    size: int,
    read: RangeReader,
    meanwhile: Callable[[], None] | None,
    pair: list[Counter],
) -> _Part:
    """Count a big input's two parts at once, each in a thread of its own, then convert the rows once.

    The C counter lets the GIL go while it counts a block, so the threads run on two CPUs; ``meanwhile`` runs
    in this one while the other counts. The counts are folded together in C, as one count of the whole would
    have made them, and converted once: no second process, and no tally passed back and joined.
    """
    share = GZIP_CHILD_SHARE if stream.compressed else CHILD_SHARE
    mid = int(size * (1 - share))
    first, later = pair
    mine: list[Skipped] = []
    theirs: list[Skipped] = []
    failed: list[BaseException] = []
    stop = threading.Event()

    def count_later() -> None:
        try:
            blocks = read(stream.path, stream.origin, mid, TO_THE_END, theirs, counted=lambda: later.lines)
            _feed(later, blocks, stop)
        except BaseException as exc:  # noqa: BLE001 - raised again in this thread
            failed.append(exc)

    thread = threading.Thread(target=count_later, name=f"egressmap: {stream.origin} (second part)")
    thread.start()
    try:
        if meanwhile is not None:
            meanwhile()
        scaled = _scaled(stream.path, stream.progress, mid)
        blocks = read(stream.path, stream.origin, 0, mid, mine, scaled, counted=lambda: first.lines)
        _feed(first, blocks, stop)
        thread.join()
    except BaseException:  # (an interrupt while waiting for the other thread too): it stops at its next block
        stop.set()
        thread.join()
        raise
    if failed:
        raise failed[0]
    offset = first.lines
    first.absorb(later)
    rows, bad, lines = first.result()
    skipped = [*bad_lines(bad, stream.origin), *mine, *(replace(s, lineno=s.lineno + offset) for s in theirs)]
    skipped.sort(key=lambda s: s.lineno)
    return _convert(rows, skipped, lines, stream.origin)


def _feed(counter: Counter, blocks: Iterable[bytes], stop: threading.Event) -> None:
    """Count each block before the next is read (the reader asks the counter for the lines so far)."""
    for block in blocks:
        if stop.is_set():
            return
        counter.feed(block)


def _scaled(path: str, progress: Callable[[int], None] | None, end: int) -> Callable[[int], None] | None:
    """The progress of the file's first part, up to ``end``, scaled to stand for the whole.

    Only the reader of that part draws the bar.
    """
    if progress is None or end <= 0:
        return None
    size = os.path.getsize(path)

    def scaled(pos: int) -> None:
        progress(min(size, pos * size // end))

    return scaled


def _items(part: _Part) -> Iterator[Item]:
    return chain(part.skipped, part.unusable.values(), part.tally.flush())
