"""Error descriptions shared by the stages."""

from __future__ import annotations

import asyncio
import errno
import ssl

import pytest

from egressmap.verify.probe import describe_error


@pytest.mark.parametrize(
    ("exc", "stage", "words"),
    [
        (ConnectionRefusedError(errno.ECONNREFUSED, "x"), "tcp", "connection refused"),
        (OSError(errno.ENETUNREACH, "x"), "tcp", "network unreachable"),
        (OSError(errno.EACCES, "Permission denied"), "tcp", "permission denied"),
        (ConnectionResetError(errno.ECONNRESET, "x"), "tls", "handshake reset"),
        (ConnectionResetError(errno.ECONNRESET, "x"), "http", "connection reset"),
        (ssl.SSLEOFError(8, "EOF"), "tls", "handshake closed by the server"),
        (asyncio.IncompleteReadError(b"", 10), "http", "connection closed by the peer"),
        (RuntimeError("odd"), "http", "RuntimeError: odd"),
    ],
)
def test_describe_error(exc: BaseException, stage: str, words: str) -> None:
    """Stable short words per error and stage."""
    assert describe_error(exc, stage) == words  # type: ignore[arg-type]
