"""Open an input (file, ``.gz`` or ``-`` for stdin) as a stream of text lines, reporting what is wrong.

Gzip is detected by its magic bytes, not its name. A binary input is refused as a whole; within a text input a
line that is too long, has a NUL byte or is not UTF-8 is reported with its line number, and a truncated gzip
stream keeps every line read before the damage.
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
_PROGRESS_EVERY = 1 << 16

Progress = Callable[[int], None]


class InputStream:
    """An opened input: ``head`` for sniffing, ``lines()`` for parsing, ``problems`` for the report."""

    def __init__(self, path: str, progress: Progress | None = None) -> None:
        self.origin = "<stdin>" if path == "-" else path
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
        buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
        self.compressed = buffered.peek(2)[:2] == b"\x1f\x8b"
        binary: BinaryIO = gzip.GzipFile(fileobj=buffered, mode="rb") if self.compressed else buffered  # type: ignore[assignment]
        self._binary = binary
        sample = self._peek_sample()
        if b"\x00" in sample:
            self.close()
            raise InputError(f"{self.origin}: looks like a binary file (NUL bytes in its first 8 KiB); "
                             "give a text log, a .gz of one, or a plain list")
        self._text = io.TextIOWrapper(self._binary, encoding="utf-8", errors="surrogateescape",  # type: ignore[type-var]
                                      newline=None)
        self.head: list[str] = []
        self._lines = self._iterate()
        for line in self._lines:
            self.head.append(line)
            if len(self.head) >= HEAD_LINES:
                break

    def _peek_sample(self) -> bytes:
        try:
            return self._binary.peek(8192)[:8192]  # type: ignore[attr-defined, no-any-return]
        except (OSError, EOFError, zlib.error) as exc:
            self.close()
            raise InputError(f"{self.origin}: damaged gzip data at the start ({exc})") from exc

    def _iterate(self) -> Iterator[str]:
        readline = self._text.readline
        problems = self.problems
        origin = self.origin
        lineno = 0
        progress = self._progress
        while True:
            try:
                line = readline(MAX_LINE + 1)
            except (EOFError, OSError, zlib.error) as exc:
                problems.append(Skipped(origin, lineno + 1, f"input ends early: truncated or damaged gzip ({exc}); "
                                        f"the {lineno} lines before it were used"))
                return
            if not line:
                return
            lineno += 1
            self.lines_read = lineno
            if progress is not None and not lineno % _PROGRESS_EVERY:
                progress(self.position())
            if len(line) > MAX_LINE and not line.endswith("\n"):
                problems.append(Skipped(origin, lineno, f"line longer than {MAX_LINE} characters"))
                self._skip_rest(readline)
                yield ""
                continue
            if not line.isascii():
                try:
                    line.encode("utf-8")
                except UnicodeEncodeError:
                    problems.append(Skipped(origin, lineno, "invalid UTF-8 (bad bytes replaced)", kind="warning"))
                    line = line.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            if "\x00" in line:
                problems.append(Skipped(origin, lineno, "NUL byte in line"))
                yield ""
                continue
            yield line.rstrip("\r\n")

    @staticmethod
    def _skip_rest(readline: Callable[[int], str]) -> None:
        while True:
            chunk = readline(MAX_LINE)
            if not chunk or chunk.endswith("\n"):
                return

    def lines(self) -> Iterator[str]:
        """Every line, the head included; a skipped line comes back as an empty string to keep numbering."""
        yield from self.head
        yield from self._lines

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
