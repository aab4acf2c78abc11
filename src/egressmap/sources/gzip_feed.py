"""Decompress a gzip input in a thread, so that decompression overlaps with parsing.

zlib releases the GIL while it inflates and checks the CRC, so a thread that runs :class:`gzip.GzipFile` and
hands its output over in blocks through a bounded queue costs the parser almost nothing: the parser waits only
when it is faster than decompression. Errors (a truncated or damaged stream) travel through the queue after
the data decompressed before them, so the reader sees exactly what reading the :class:`~gzip.GzipFile` itself
would give: every byte before the damage, then the same exception. Multi-member files are read whole, as
:class:`~gzip.GzipFile` reads them.

With the ``[fast]`` extra installed, python-isal's :class:`isal.igzip.IGzipFile` (Intel's ISA-L inflate, the
same interface) decompresses a seekable file about three times quicker than zlib (``bench/ingest``: a ``.gz``
input against its plain file). It stops at damage with less of the data before it, so at an error the thread
reads the file again with :class:`~gzip.GzipFile` from where ISA-L stopped: a damaged file gives the same bytes
and the same error either way, and only a damaged file is inflated twice.
"""

from __future__ import annotations

import gzip
import queue
import threading
import zlib
from collections.abc import Callable
from typing import BinaryIO, cast

_Opener = Callable[..., gzip.GzipFile]
_fast: _Opener | None
_fast_errors: tuple[type[BaseException], ...] = ()
try:
    from isal import isal_zlib
    from isal.igzip import IGzipFile as _fast

    _fast_errors = (cast("type[BaseException]", isal_zlib.error),)
except ImportError:  # the optional extra is not installed: the standard library's zlib only
    _fast = None

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
        self._fileobj = fileobj
        self._start = fileobj.tell() if _fast is not None and fileobj.seekable() else None
        opener = gzip.GzipFile if self._start is None or _fast is None else _fast
        self._gzip = opener(fileobj=fileobj, mode="rb")
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
        done = 0  # decompressed bytes read so far (those thrown away included)
        try:
            while not self._stop.is_set():
                try:
                    data = self._gzip.read1(BLOCK)
                except ERRORS + _fast_errors:
                    if self._start is None:
                        raise
                    self._again(done)  # ISA-L met damage: the standard library reads on from here
                    continue
                if not data:
                    break
                done += len(data)
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

    def _again(self, done: int) -> None:
        """Go on with :class:`~gzip.GzipFile` from the start, past the ``done`` bytes already read."""
        assert self._start is not None  # noqa: S101 - only a seekable input is read by ISA-L first
        self._gzip.close()
        self._fileobj.seek(self._start)
        self._gzip = gzip.GzipFile(fileobj=self._fileobj, mode="rb")
        self._start = None
        while done > 0:  # the same bytes again, thrown away (the damage lies beyond them)
            again = len(self._gzip.read(min(done, 1 << 20)))
            if not again:
                break
            done -= again

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
            try:  # the thread may wait to put a block: make room, then let it see the stop
                while True:
                    self._queue.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(0.01)
        self._gzip.close()


__all__ = ["GzipFeed"]
