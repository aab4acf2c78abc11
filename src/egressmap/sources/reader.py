"""Open an input (file, ``.gz`` or ``-`` for stdin) as a stream of text lines, reporting what is wrong.

Gzip is detected by its magic bytes, not its name. A binary input (see :mod:`.binary`: a known magic or mostly
non-text bytes, never a few NUL bytes) is refused as a whole, except a packet capture (pcap, pcapng): that is
handed over raw to the source that reads it (``capture``, :meth:`InputStream.binary_input`). Within a text
input a line that is too long, has a NUL byte or is not UTF-8 is skipped and reported with its line number,
and a truncated gzip stream keeps every whole line read before the damage. Reading is done in blocks of about 1 MiB: the checks run
once per block and only look at single lines when the block needs it, so clean input costs little.

A stream already open (an ``s3://`` or ``cloudwatch://`` source, see :mod:`egressmap.fetch.remote`) is read the
same way. An input whose first line is an object marker holds several objects one after another; see
:mod:`.segments`.
"""

from __future__ import annotations

import gzip
import io
import os
import sys
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO

from ..errors import InputError
from ..model import Skipped
from .binary import SAMPLE, binary_reason, utf16_reason
from .capture_file import capture_kind
from .gzip_feed import GzipFeed
from .segments import MARKER, Segments

MAX_LINE = 256 * 1024
"""Longest line accepted (CloudWatch's largest event is 256 KiB); longer lines are skipped and reported."""
HEAD_LINES = 25
CHUNK = 1 << 16

Progress = Callable[[int], None]


def read_raw(
    binary: BinaryIO,
    origin: str,
    problems: list[Skipped],
    first_lineno: int = 1,
    limit: int | None = None,
    progress: Callable[[], None] | None = None,
    lines_before: int = 0,
    counted: Callable[[], int] | None = None,
) -> Iterator[bytes]:
    """Yield blocks of whole lines joined by newlines (no final line end), cleaned.

    A line with a NUL byte or longer than ``MAX_LINE`` is reported and left empty; carriage returns are dropped.

    With ``limit``, stop at the first line end after ``limit`` bytes (used to split a file between workers).
    Line numbers in reports count from ``first_lineno``; every line of the input appears in exactly one block.
    ``lines_before`` is the number of lines of the input before this part: a damaged stream's report counts the
    lines used before the damage in the whole input. ``counted``, when given, tells how many lines of the blocks
    yielded so far the caller has counted (it counts each block before asking for the next): the lines are then
    not counted here too.
    """
    lineno = first_lineno - 1

    def before() -> int:
        """Lines yielded so far, before the block at hand."""
        return lineno if counted is None else first_lineno - 1 + counted()

    # read1 returns what one decompression step produced, so a truncated gzip loses no whole line before the cut
    read = binary.read1 if isinstance(binary, (gzip.GzipFile, GzipFeed)) else binary.read
    pending = b""
    skipping = False  # inside an over-long line, discarding until its end
    consumed = 0
    while True:
        want = CHUNK if limit is None else max(0, min(CHUNK, limit - consumed))
        try:
            data = read(want) if want else b""
            consumed += len(data)
            if not data and limit is not None and want == 0 and (pending or skipping):
                data = binary.readline(MAX_LINE + 1)  # finish the line that crosses the range end
                limit = None if not data else consumed + len(data)
                consumed += len(data)
        except (EOFError, OSError, zlib.error) as exc:
            done = before()
            problems.append(
                Skipped(
                    origin,
                    done + 1,
                    f"input ends early: truncated or damaged gzip ({exc}); "
                    f"the {done - first_lineno + 1 + lines_before} lines before it were used",
                )
            )
            return
        if not data:
            if pending and not skipping:
                yield _clean(pending, origin, before() + 1, problems)
            return
        buf = pending + data
        cut = buf.rfind(b"\n")
        if cut < 0:
            pending = buf
            if len(pending) > MAX_LINE:
                if not skipping:
                    problems.append(Skipped(origin, before() + 1, f"line longer than {MAX_LINE} characters"))
                    yield b""
                    lineno += 1
                skipping, pending = True, b""
            continue
        block, pending = buf[:cut], buf[cut + 1 :]
        if skipping:
            skipping = False
            end = block.find(b"\n")
            if end < 0:
                continue
            block = block[end + 1 :]
        yield _clean(block, origin, before() + 1, problems)
        if counted is None:  # (else the caller counted them)
            lineno += block.count(b"\n") + 1
        if progress is not None:
            progress()


def read_range(
    path: str,
    origin: str,
    start: int,
    end: int,
    problems: list[Skipped],
    progress: Callable[[int], None] | None = None,
    *,
    counted: Callable[[], int] | None = None,
) -> Iterator[bytes]:
    """Blocks (as :func:`read_raw`) of the lines of a plain file that begin at a byte offset in [start, end).

    Cutting a file at any offsets this way gives every line to exactly one part. Line numbers in reports count
    from the part's first line. ``progress`` gets the file position after each block; ``counted`` is
    :func:`read_raw`'s.
    """
    with open(path, "rb") as f:
        if start > 0:  # step over the rest of the line that crosses ``start`` (none if a line begins there)
            f.seek(start - 1)
            while True:
                piece = f.readline(CHUNK)
                start += len(piece)
                if not piece or piece.endswith(b"\n"):
                    break
            start -= 1
        tick = None if progress is None else lambda: progress(f.tell())
        yield from read_raw(f, origin, problems, limit=max(0, end - start), progress=tick, counted=counted)


def _clean(block: bytes, origin: str, first: int, problems: list[Skipped]) -> bytes:
    if b"\x00" not in block and b"\r" not in block and len(block) <= MAX_LINE:
        return block
    lines = block.split(b"\n")
    if b"\x00" not in block and b"\r" not in block and max(map(len, lines)) <= MAX_LINE:
        return block
    for offset, line in enumerate(lines):
        if len(line) > MAX_LINE:
            problems.append(Skipped(origin, first + offset, f"line longer than {MAX_LINE} characters"))
            lines[offset] = b""
        elif b"\x00" in line:
            problems.append(Skipped(origin, first + offset, "NUL byte in line"))
            lines[offset] = b""
        elif line.endswith(b"\r"):
            lines[offset] = line.rstrip(b"\r")
    return b"\n".join(lines)


def decode_block(block: bytes, origin: str, first: int, problems: list[Skipped]) -> list[str]:
    """Split a raw block into text lines; a line that is not UTF-8 is reported and decoded with replacements."""
    if block.isascii():
        return block.decode("ascii").split("\n")
    try:
        return block.decode("utf-8").split("\n")
    except UnicodeDecodeError:
        pass
    lines = block.split(b"\n")
    out = []
    for offset, line in enumerate(lines):
        try:
            out.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            problems.append(
                Skipped(origin, first + offset, "invalid UTF-8 (bad bytes replaced)", kind="warning")
            )
            out.append(line.decode("utf-8", "replace"))
    return out


class InputStream:
    """An opened input: ``head`` for sniffing, ``lines()`` for parsing, ``problems`` for the report."""

    def __init__(self, path: str, progress: Progress | None = None, opened: BinaryIO | None = None) -> None:
        """Open ``path`` (``-`` for stdin); with ``opened``, read that stream instead, ``path`` naming it."""
        self.origin = "<stdin>" if path == "-" else path
        self.path = path
        self.problems: list[Skipped] = []
        self.size: int | None = None
        self.lines_read = 0
        self.progress = progress
        """Told the bytes consumed so far (for a progress bar), when the caller asked."""
        self.segments: Segments | None = None
        """Set when the input is several objects one after another (see :mod:`.segments`)."""
        raw: BinaryIO
        try:
            if opened is not None:
                raw = opened
            elif path == "-":
                raw = sys.stdin.buffer
            else:
                raw = open(path, "rb")  # noqa: SIM115 - closed in close()
                self.size = os.fstat(raw.fileno()).st_size
        except OSError as exc:
            raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from exc
        self._raw = raw
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
        self.compressed = buffered.peek(2)[:2] == b"\x1f\x8b"
        self._binary: BinaryIO = GzipFeed(buffered) if self.compressed else buffered  # type: ignore[assignment]
        try:
            sample = self._binary.peek(SAMPLE)[:SAMPLE]  # type: ignore[attr-defined]
        except (OSError, EOFError, zlib.error) as exc:
            self.close()
            raise InputError(f"{self.origin}: damaged gzip data at the start ({exc})") from exc
        self.capture = capture_kind(sample)
        """``pcap`` or ``pcapng`` for a packet capture: read from :meth:`binary_input`, never as lines."""
        wide = None if self.capture else utf16_reason(sample)
        if wide is not None:
            self.close()
            raise InputError(
                f"{self.origin}: {wide}; convert it to UTF-8 first (iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8)"
            )
        what = None if self.capture else binary_reason(sample)
        if what is not None:
            self.close()
            raise InputError(
                f"{self.origin}: looks like a binary file ({what}); "
                "give a text log, a .gz of one, or a plain list"
            )
        self._raw_blocks = read_raw(
            self._binary, self.origin, self.problems, progress=None if progress is None else self._tick
        )
        self._first_raw = None if self.capture else next(self._raw_blocks, None)
        if self._first_raw is not None and self._first_raw.startswith(MARKER):
            self.segments = Segments()
            self._first_raw = self.segments.blank(self._first_raw, 1)
            self._raw_blocks = self.segments.blocks(self._raw_blocks, self._first_raw.count(b"\n") + 2)
        self._first: list[str] = (
            [] if self._first_raw is None else decode_block(self._first_raw, self.origin, 1, self.problems)
        )
        self.head: list[str] = self._first[:HEAD_LINES]
        local = opened is None and path != "-" and self.segments is None  # can be read again by parts
        self.plain_file = local and not self.compressed
        self.gzip_file = local and self.compressed
        self.released = False
        """True once :meth:`release` stopped the reading: the input is then read again by parts, from its path."""
        self._block_first = 1
        """The number of the first line of the block :meth:`raw_blocks` yielded last."""

    def binary_input(self) -> BinaryIO:
        """The input's bytes (decompressed), for a binary source such as a capture; no line is read then."""
        return self._binary

    @property
    def first_lines(self) -> list[str]:
        """The lines of the first block read (about 64 KiB; every line of a small input), skipped ones empty."""
        return self._first

    def _tick(self) -> None:
        assert self.progress is not None
        self.progress(self.position())

    def lines(self) -> Iterator[str]:
        """Every line, the head included; a skipped line comes back as an empty string to keep numbering."""
        for block in self.blocks():
            yield from block

    def blocks(self) -> Iterator[list[str]]:
        """The text lines in blocks (faster for parsers that loop themselves); numbering as in :meth:`lines`."""
        for raw in self.raw_blocks():
            if raw is self._first_raw:
                yield self._first  # decoded once already, for sniffing
            else:  # raw_blocks() has counted this block's lines (counting again would cost about 3% of a scan)
                yield decode_block(raw, self.origin, self._block_first, self.problems)

    def raw_blocks(self) -> Iterator[bytes]:
        """The same blocks as raw bytes (lines joined by newlines), for byte-level fast paths."""
        if self._first_raw is None:
            return
        count = len(self._first)
        self.lines_read = count
        yield self._first_raw
        for raw in self._raw_blocks:
            self._block_first = count + 1
            count += raw.count(b"\n") + 1
            self.lines_read = count
            yield raw

    def range_lines(self, start: int, end: int) -> Iterator[str]:
        """The lines of a plain file that begin at a byte offset in [start, end), numbered from the first.

        The head read for sniffing is set aside: problems and ``lines_read`` count this range only.
        """
        self.problems.clear()
        self.lines_read = 0
        count = 0
        for raw in read_range(self.path, self.origin, start, end, self.problems):
            first = count + 1
            count += raw.count(b"\n") + 1
            self.lines_read = count
            yield from decode_block(raw, self.origin, first, self.problems)

    def position(self) -> int:
        """Bytes of the (compressed) input consumed so far, for a progress bar."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def release(self) -> None:
        """Stop reading ahead (a gzip input's decompression thread), before the process forks.

        :meth:`raw_blocks` and the line iterators must not be used afterwards; the file stays open until
        :meth:`close`.
        """
        self.released = True
        if isinstance(self._binary, GzipFeed):
            self._binary.close()

    def close(self) -> None:
        """Close the file (never stdin)."""
        if isinstance(self._binary, GzipFeed):
            self._binary.close()  # stops its thread before the file it reads is closed
        if self._raw is not sys.stdin.buffer:
            self._raw.close()
