"""Open an input (file, ``.gz`` or ``-`` for stdin) as a stream of text lines, reporting what is wrong.

Gzip is detected by its magic bytes, not its name. A binary input is refused as a whole; within a text input a
line that is too long, has a NUL byte or is not UTF-8 is reported with its line number, and a truncated gzip
stream keeps every whole line read before the damage. Reading is done in blocks of about 1 MiB: the checks run
once per block and only look at single lines when the block needs it, so clean input costs little.
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

MAX_LINE = 256 * 1024
"""Longest line accepted (CloudWatch's largest event is 256 KiB); longer lines are skipped and reported."""
HEAD_LINES = 25
CHUNK = 1 << 20

Progress = Callable[[int], None]


def read_blocks(
    binary: BinaryIO,
    origin: str,
    problems: list[Skipped],
    first_lineno: int = 1,
    limit: int | None = None,
    progress: Callable[[], None] | None = None,
) -> Iterator[list[str]]:
    """Yield lists of lines (without line ends); a bad line is reported and yielded as ``""``.

    With ``limit``, stop at the first line end after ``limit`` bytes (used to split a file between workers).
    """
    lineno = first_lineno - 1
    # read1 returns what one decompression step produced, so a truncated gzip loses no whole line before the cut
    read = binary.read1 if isinstance(binary, gzip.GzipFile) else binary.read
    pending = b""
    skipping = False  # inside an over-long line, discarding until its end
    consumed = 0
    while True:
        want = CHUNK if limit is None else max(0, min(CHUNK, limit - consumed))
        try:
            data = read(want) if want else b""
        except (EOFError, OSError, zlib.error) as exc:
            problems.append(
                Skipped(
                    origin,
                    lineno + 1,
                    f"input ends early: truncated or damaged gzip ({exc}); "
                    f"the {lineno - first_lineno + 1} lines before it were used",
                )
            )
            return
        consumed += len(data)
        if not data and limit is not None and want == 0 and pending:
            data = binary.readline(MAX_LINE + 1)  # finish the line that crosses the range end
            if data and not data.endswith(b"\n") and len(pending) + len(data) <= MAX_LINE:
                data += binary.readline()
            limit = None if not data else consumed + len(data)
            consumed += len(data)
        if not data:
            if pending and not skipping:
                lineno += 1
                yield _check([pending.decode("utf-8", "surrogateescape")], origin, lineno, problems)
            return
        buf = pending + data
        cut = buf.rfind(b"\n")
        if cut < 0:
            pending = buf
            if len(pending) > MAX_LINE:
                if not skipping:
                    lineno += 1
                    problems.append(Skipped(origin, lineno, f"line longer than {MAX_LINE} characters"))
                    yield [""]
                skipping, pending = True, b""
            continue
        block, pending = buf[:cut], buf[cut + 1 :]
        if skipping:
            skipping = False
            block = block[block.find(b"\n") + 1 :] if b"\n" in block else b""
            if not block:
                continue
        lines = block.decode("utf-8", "surrogateescape").split("\n")
        if (
            block.isascii()
            and b"\x00" not in block
            and b"\r" not in block
            and max(map(len, lines)) <= MAX_LINE
        ):
            yield lines  # the common case: nothing to check line by line
        else:
            yield _check(lines, origin, lineno + 1, problems)
        lineno += len(lines)
        if progress is not None:
            progress()


def _check(lines: list[str], origin: str, first: int, problems: list[Skipped]) -> list[str]:
    out = []
    for offset, line in enumerate(lines):
        lineno = first + offset
        if len(line) > MAX_LINE:
            problems.append(Skipped(origin, lineno, f"line longer than {MAX_LINE} characters"))
            line = ""
        elif "\x00" in line:
            problems.append(Skipped(origin, lineno, "NUL byte in line"))
            line = ""
        elif not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(Skipped(origin, lineno, "invalid UTF-8 (bad bytes replaced)", kind="warning"))
                line = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        out.append(line.rstrip("\r"))
    return out


class InputStream:
    """An opened input: ``head`` for sniffing, ``lines()`` for parsing, ``problems`` for the report."""

    def __init__(self, path: str, progress: Progress | None = None) -> None:
        self.origin = "<stdin>" if path == "-" else path
        self.path = path
        self.problems: list[Skipped] = []
        self.size: int | None = None
        self.lines_read = 0
        self._progress = progress
        raw: BinaryIO
        try:
            if path == "-":
                raw = sys.stdin.buffer
            else:
                raw = open(path, "rb")  # noqa: SIM115 - closed in close()
                self.size = os.fstat(raw.fileno()).st_size
        except OSError as exc:
            raise InputError(f"{path}: cannot open ({exc.strerror or exc})") from exc
        self._raw = raw
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
        self.compressed = buffered.peek(2)[:2] == b"\x1f\x8b"
        self._binary: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb") if self.compressed else buffered  # type: ignore[assignment]
        try:
            sample = self._binary.peek(8192)[:8192]  # type: ignore[attr-defined]
        except (OSError, EOFError, zlib.error) as exc:
            self.close()
            raise InputError(f"{self.origin}: damaged gzip data at the start ({exc})") from exc
        if b"\x00" in sample:
            self.close()
            raise InputError(
                f"{self.origin}: looks like a binary file (NUL bytes in its first 8 KiB); "
                "give a text log, a .gz of one, or a plain list"
            )
        self._blocks = read_blocks(
            self._binary, self.origin, self.problems, progress=None if progress is None else self._tick
        )
        self.head: list[str] = []
        self._first: list[str] = []
        for block in self._blocks:
            self._first = block
            self.head = block[:HEAD_LINES]
            break
        self.plain_file = path != "-" and not self.compressed

    def _tick(self) -> None:
        assert self._progress is not None
        self._progress(self.position())

    def lines(self) -> Iterator[str]:
        """Every line, the head included; a skipped line comes back as an empty string to keep numbering."""
        count = len(self._first)
        yield from self._first
        for block in self._blocks:
            count += len(block)
            self.lines_read = count
            yield from block
        self.lines_read = count

    def blocks(self) -> Iterator[list[str]]:
        """The lines in blocks (faster for parsers that loop themselves); numbering as in :meth:`lines`."""
        count = len(self._first)
        yield self._first
        for block in self._blocks:
            count += len(block)
            self.lines_read = count
            yield block
        self.lines_read = count

    def position(self) -> int:
        """Bytes of the (compressed) input consumed so far, for a progress bar."""
        try:
            return self._raw.tell()
        except (OSError, ValueError):
            return 0

    def close(self) -> None:
        """Close the file (never stdin)."""
        if self._raw is not sys.stdin.buffer:
            self._raw.close()
