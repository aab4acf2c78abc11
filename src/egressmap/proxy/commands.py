"""What the sans-io cores ask the I/O layer to do, and the limits they work within."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .allow import Verdict
from .record import Record

if TYPE_CHECKING:
    from .inner import TunnelInspector

__all__ = [
    "CloseClient",
    "CloseUpstream",
    "Command",
    "Decide",
    "Emit",
    "Limits",
    "OpenUpstream",
    "Resolve",
    "SendClient",
    "SendUpstream",
    "StartRelay",
]

Decide = Callable[[str, int], Verdict]
"""``(raw host, port) -> Verdict``: the policy (enforce mode) or allow-all (audit mode)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on what one client may send before the proxy gives up on it."""

    max_header_bytes: int = 16 * 1024
    """Largest request head (request line plus headers)."""
    max_headers: int = 100
    """Most header fields in one request."""


@dataclass(frozen=True, slots=True)
class SendClient:
    """Write bytes to the client."""

    data: bytes


@dataclass(frozen=True, slots=True)
class SendUpstream:
    """Write bytes to the upstream connection."""

    data: bytes


@dataclass(frozen=True, slots=True)
class OpenUpstream:
    """Connect to ``host:port``; answer with ``upstream_connected`` or ``upstream_failed``."""

    host: str
    port: int


@dataclass(frozen=True, slots=True)
class Resolve:
    """Look ``host`` up; answer with ``resolved(addresses)`` (empty when the name does not resolve)."""

    host: str


@dataclass(frozen=True, slots=True)
class CloseUpstream:
    """Close the upstream connection (after writing what is queued)."""


@dataclass(frozen=True, slots=True)
class CloseClient:
    """Close the client connection (after writing what is queued)."""


@dataclass(frozen=True, slots=True)
class StartRelay:
    """From now on copy bytes both ways without the core; call ``finish`` when both sides are closed."""

    inspector: TunnelInspector | None = None
    """Enforce mode, a tunnel that is not TLS: client bytes pass through it first (:mod:`.inner`)."""


@dataclass(frozen=True, slots=True)
class Emit:
    """A finished request or tunnel for the record file."""

    record: Record


Command = SendClient | SendUpstream | OpenUpstream | Resolve | CloseUpstream | CloseClient | StartRelay | Emit
