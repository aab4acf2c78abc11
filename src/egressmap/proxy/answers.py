"""What the proxy answers on its own: RFC 9209 ``Proxy-Status`` values, and requests it will not frame."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["framing_conflict", "proxy_status"]


def framing_conflict(headers: Sequence[tuple[bytes, bytes]]) -> str:
    """Why a request's body framing is ambiguous (``""`` when it is not).

    ``Content-Length`` together with ``Transfer-Encoding`` is how requests are smuggled past a proxy: h11
    frames by Transfer-Encoding, an origin may frame by Content-Length. RFC 9112 section 6.1 lets a server
    reject such a request; the proxy does, and closes the connection.

    >>> framing_conflict([(b"content-length", b"5"), (b"transfer-encoding", b"chunked")])
    'Content-Length together with Transfer-Encoding (RFC 9112 section 6.1)'
    """
    names = {k.lower() for k, _ in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        return "Content-Length together with Transfer-Encoding (RFC 9112 section 6.1)"
    return ""


_PROXY_ERRORS = {
    403: b"http_request_denied",
    502: b"destination_unavailable",
    504: b"connection_timeout",
    400: b"http_request_error",
    431: b"http_request_error",
    503: b"connection_limit_reached",
}


def proxy_status(status: int) -> bytes:
    """The RFC 9209 ``Proxy-Status`` value of a refusal, so clients can tell it from the origin's answer.

    >>> proxy_status(403)
    b'egressmap; error=http_request_denied'
    """
    return b"egressmap; error=" + _PROXY_ERRORS.get(status, b"proxy_internal_error")
