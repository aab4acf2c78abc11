"""Decompress a gzip input in a thread, so that decompression overlaps with parsing.

zlib releases the GIL while it inflates and checks the CRC, so a thread that runs :class:`gzip.GzipFile` and
hands its output over in blocks through a bounded queue costs the parser almost nothing: the parser waits only
when it is faster than decompression. Errors (a truncated or damaged stream) travel through the queue after
the data decompressed before them, so the reader sees exactly what reading the :class:`~gzip.GzipFile` itself
would give: every byte before the damage, then the same exception. Multi-member files are read whole, as
:class:`~gzip.GzipFile` reads them.
"""

from __future__ import annotations

import gzip
import queue
import threading
import zlib
from typing import BinaryIO

BLOCK = 256 * 1024
"""Decompressed bytes gathered before they are handed to the reader."""
DEPTH = 8
"""Blocks the thread may be ahead of the reader (bounds the memory used: DEPTH x BLOCK)."""
ERRORS = (EOFError, OSError, zlib.error)
"""What reading a damaged gzip stream raises (handed over to the reader to raise in its place)."""

_END = b""


class GzipFeed:
    """A read-only binary stream of the decompressed data of ``fileobj``, inflated in a background thread.

    ``read(n)`` returns what is ready, up to ``n`` bytes (as ``read1`` does), and ``b""`` only at the end;
    ``peek(n)`` waits for the first block. The caller closes ``fileobj`` after :meth:`close`. With ``skip``, the
    thread throws the first ``skip`` decompressed bytes away (counting their lines) and the stream starts after
    them.
    """

    def __init__(self, fileobj: BinaryIO, skip: int = 0) -> None:
        self._gzip = gzip.GzipFile(fileobj=fileobj, mode="rb")
        self._skip = skip
        self.skipped_lines = 0
        """Newlines in the first ``skip`` bytes, which the thread throws away (set once the first read returns)."""
        self._queue: queue.Queue[bytes | BaseException] = queue.Queue(DEPTH)
        self._stop = threading.Event()
        self._buffer = b""
        self._offset = 0
        self._before = skip  # bytes of the blocks handed over (or thrown away) before the current one
        self._done = False
        self._thread = threading.Thread(target=self._pump, name="egressmap-gunzip", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        """Thread: decompress until the end, an error or :meth:`close`; always ends with an end marker."""
        pending: list[bytes] = []
        size = 0
        skip = self._skip
        try:
            while not self._stop.is_set():
                data = self._gzip.read1(BLOCK)
                if not data:
                    break
                # bytes to throw away come from the same read1 calls as without: the same data, the same errors
                if skip:
                    self.skipped_lines += data.count(b"\n", 0, skip)
                    if len(data) <= skip:
                        skip -= len(data)
                        continue
                    data, skip = data[skip:], 0
                pending.append(data)
                size += len(data)
                if size >= BLOCK:
                    self._put(b"".join(pending))
                    pending, size = [], 0
        except ERRORS as exc:
            if pending:
                self._put(b"".join(pending))
                pending = []
            self._put(exc)
        if pending:
            self._put(b"".join(pending))
        self._put(_END)

    def _put(self, item: bytes | BaseException) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _fill(self) -> bool:
        """Wait for the next block; False at the end. Raises the stream's error in its place."""
        if self._done:
            return False
        item = self._queue.get()
        if isinstance(item, BaseException):
            self._done = True
            raise item
        if item is _END or not item:
            self._done = True
            return False
        self._before += len(self._buffer)
        self._buffer, self._offset = item, 0
        return True

    def tell(self) -> int:
        """Decompressed bytes returned so far."""
        return self._before + self._offset

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); ``b""`` at the end."""
        if size < 0:
            parts = [self._buffer[self._offset :]]
            self._offset = len(self._buffer)
            while self._fill():
                parts.append(self._buffer)
                self._offset = len(self._buffer)
            return b"".join(parts)
        if self._offset >= len(self._buffer) and not self._fill():
            return b""
        start = self._offset
        self._offset = min(len(self._buffer), start + size)
        return self._buffer[start : self._offset]

    read1 = read

    def peek(self, size: int = 1) -> bytes:
        """The bytes the next read returns, without consuming them (at least the rest of the current block)."""
        if self._offset >= len(self._buffer) and not self._fill():
            return b""
        return self._buffer[self._offset :]

    def readline(self, size: int = -1) -> bytes:
        """One line (with its newline), at most ``size`` bytes when given."""
        parts: list[bytes] = []
        total = 0
        while size < 0 or total < size:
            if self._offset >= len(self._buffer) and not self._fill():
                break
            end = self._buffer.find(b"\n", self._offset)
            stop = len(self._buffer) if end < 0 else end + 1
            if size >= 0:
                stop = min(stop, self._offset + size - total)
            parts.append(self._buffer[self._offset : stop])
            total += stop - self._offset
            self._offset = stop
            if end >= 0 and stop == end + 1:
                break
        return b"".join(parts)

    def close(self) -> None:
        """Stop the thread (it may be blocked on a full queue) and wait for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._gzip.close()


__all__ = ["GzipFeed"]
