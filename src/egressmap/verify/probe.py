"""The probe interface: a stage that runs against a connection context and returns a result, never raises.

A run for one target is a pipeline of probes (DNS, TCP, CONNECT, TLS, HTTP); each takes what the previous
ones left in the :class:`Context` (addresses, an open stream) and leaves its own.
"""

from __future__ import annotations

import asyncio
import errno
import ssl
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import ClassVar

from .interface import ProbeResult, Stage, Target
from .limits import OUT_OF_DESCRIPTORS, out_of_descriptors
from .proxyenv import Proxy
from .resolver import Resolver

__all__ = ["Context", "Probe", "Settings", "Step", "describe_error"]


@dataclass(frozen=True)
class Settings:
    """What every probe of a run shares."""

    resolver: Resolver = field(default_factory=Resolver)
    timeout: float = 5.0
    """Seconds per stage."""
    ca_file: str | None = None
    """Trust these CA certificates (PEM) instead of the system's when checking certificates."""
    user_agent: str = "egressmap-verify"


@dataclass(frozen=True)
class Step:
    """What a probe's attempt found."""

    ok: bool
    detail: str = ""
    warning: str = ""
    stage: Stage | None = None
    """Report under this stage instead of the probe's own (a proxy's error page met by the HTTP probe)."""


@dataclass
class Context:
    """The state of one target's run: what earlier stages found and the open connection."""

    target: Target
    settings: Settings
    proxy: Proxy | None = None
    addresses: tuple[str, ...] = ()
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    peer: str = ""
    """The address connected to (the destination's, or the proxy's)."""
    tls: bool = False
    reopen: Callable[[], Awaitable[bool]] | None = None
    """Close and connect again up to the TLS stage (set by the runner); True when that worked."""

    def close(self) -> None:
        """Drop the connection now, without waiting for the peer (no descriptor outlives the run)."""
        if self.writer is not None:
            self.writer.transport.abort()
        self.reader = self.writer = None
        self.tls = False


class Probe(ABC):
    """One stage of a target's run."""

    stage: ClassVar[Stage]

    async def run(self, ctx: Context) -> ProbeResult:
        """Run the stage within the per-stage timeout; every failure becomes a result."""
        start = time.perf_counter()
        timeout = ctx.settings.timeout
        try:
            async with asyncio.timeout(timeout):
                step = await self.attempt(ctx)
        except TimeoutError:
            step = Step(False, f"timeout after {timeout:g}s")
        except (OSError, EOFError, ssl.SSLError) as exc:
            if out_of_descriptors(exc):
                step = Step(False, OUT_OF_DESCRIPTORS, stage="local")
            else:
                step = Step(False, describe_error(exc, self.stage))
        stage = step.stage or self.stage
        return ProbeResult(stage, step.ok, step.detail, time.perf_counter() - start, step.warning)

    @abstractmethod
    async def attempt(self, ctx: Context) -> Step:
        """Do the work. May raise OSError, EOFError, ssl.SSLError or time out: ``run`` turns those into results."""


_ERRNO_WORDS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timed out",
    errno.EPIPE: "connection closed",
}


def describe_error(exc: BaseException, stage: Stage) -> str:
    """A short, stable description of a network error for a report line.

    >>> describe_error(ConnectionRefusedError(111, "Connection refused"), "tcp")
    'connection refused'
    >>> describe_error(ConnectionResetError(104, "reset"), "tls")
    'handshake reset'
    """
    if stage == "tls" and isinstance(
        exc, ConnectionResetError | ssl.SSLEOFError | asyncio.IncompleteReadError
    ):
        return (
            "handshake reset" if isinstance(exc, ConnectionResetError) else "handshake closed by the server"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate not valid: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"handshake failed: {exc.reason or exc}"
    if isinstance(exc, asyncio.IncompleteReadError | EOFError):
        return "connection closed by the peer"
    if isinstance(exc, OSError) and exc.errno in _ERRNO_WORDS:
        return _ERRNO_WORDS[exc.errno]
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return f"{type(exc).__name__}: {exc}"[:120]
