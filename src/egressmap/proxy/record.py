"""The proxy's record file: JSON Lines, one object per HTTP request or CONNECT/transparent tunnel.

Each line carries ``"record": "egressmap.record/1"`` so ``egressmap scan``/``build`` recognise the file.
The writer buffers lines in memory and writes them out on :meth:`RecordWriter.flush` (the server calls it
every second and on shutdown), so a busy proxy does not make one system call per request.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from typing import Literal

__all__ = ["SCHEMA", "Record", "RecordWriter"]

SCHEMA = "egressmap.record/1"
_encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=True).encode
"""The value of every line's ``record`` key."""

RecordOutcome = Literal["allowed", "denied", "failed"]
Mode = Literal["forward", "transparent"]


@dataclass(slots=True)
class Record:
    """One request or tunnel as the proxy saw it."""

    host: str
    """The destination host, normalised (or the raw text, shortened, when it was not a valid name)."""
    port: int
    method: str
    """HTTP method, ``CONNECT`` for a tunnel, ``TLS``/``TCP``/HTTP method for a transparent connection."""
    client: str
    """The client's address (``ip:port``)."""
    mode: Mode = "forward"
    outcome: RecordOutcome = "allowed"
    reason: str = ""
    """Why denied or failed (or which rule allowed it, in enforce mode)."""
    status: int = 0
    """The HTTP status the proxy answered (200 for an established tunnel, 0 when none was sent)."""
    url: str | None = None
    """For plain HTTP: scheme, authority and path (no query string, no credentials)."""
    sni: str | None = None
    """The TLS server name from the first ClientHello of a tunnel, as sent."""
    sni_mismatch: bool = False
    """True when the SNI names a different host than the CONNECT request (or the original destination)."""
    bytes_up: int = 0
    """Bytes from the client to the destination (body or tunnel payload)."""
    bytes_down: int = 0
    """Bytes from the destination to the client."""
    duration: float = 0.0
    """Seconds from the request (or connection) to its end."""
    time: float = 0.0
    """When the request or tunnel started, seconds since the epoch."""

    def to_json(self) -> str:
        """One line of the record file (no newline)."""
        data = {
            "record": SCHEMA,
            "host": self.host,
            "port": self.port,
            "method": self.method,
            "client": self.client,
            "mode": self.mode,
            "outcome": self.outcome,
            "reason": self.reason,
            "status": self.status,
            "url": self.url,
            "sni": self.sni,
            "sni_mismatch": self.sni_mismatch,
            "bytes_up": self.bytes_up,
            "bytes_down": self.bytes_down,
            "duration": round(self.duration, 6),
            "time": round(self.time, 6),
        }
        return _encode(data)


class RecordWriter:
    """Appends records to a file (or nowhere, when ``path`` is None), buffering between flushes."""

    def __init__(self, path: str | None) -> None:
        """Open ``path`` for appending (created if missing)."""
        self.path = path
        self.count = 0
        """Records accepted so far."""
        self._pending: list[str] = []
        # O_APPEND and one write() per flush: workers sharing the file never interleave inside a line
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644) if path else None

    def add(self, record: Record) -> None:
        """Queue one record; it reaches the file at the next :meth:`flush`."""
        self.count += 1
        if self._fd is not None:
            self._pending.append(record.to_json())

    def flush(self) -> None:
        """Write every queued record and flush the file."""
        if self._fd is None or not self._pending:
            return
        lines, self._pending = self._pending, []
        data = memoryview(("\n".join(lines) + "\n").encode("ascii"))
        while data:
            data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        """Flush, fsync and close the file."""
        self.flush()
        if self._fd is not None:
            try:
                os.fsync(self._fd)
            except OSError:
                pass
            os.close(self._fd)
            self._fd = None


def now() -> float:
    """The wall clock, for a record's ``time``."""
    return time.time()
