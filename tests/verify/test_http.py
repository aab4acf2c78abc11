"""HTTP framing shared by the probes: who answered, a proxy's refusal, and responses that are not HTTP."""

from __future__ import annotations

import asyncio

import h11
import pytest

from egressmap.verify.http import proxy_refusal, read_response, request_bytes, responder


@pytest.mark.parametrize(
    ("headers", "who"),
    [
        ([("Server", "squid/6.13")], "squid"),
        ([("Via", "1.1 proxy.corp (squid/5.7)")], "squid"),
        ([("Proxy-Status", "egressmap; error=destination_not_allowed")], "egressmap"),
        ([("Server", "<script>")], "the proxy"),
        ([], "the proxy"),
    ],
)
def test_responder(headers: list[tuple[str, str]], who: str) -> None:
    """The product name from Server, Via or Proxy-Status, and nothing odd-looking."""
    assert responder(h11.Response(status_code=403, headers=headers)) == who


def test_proxy_refusal_names_the_error() -> None:
    """Squid's X-Squid-Error or an RFC 9209 error parameter goes in brackets."""
    squid = h11.Response(
        status_code=403, headers=[("Server", "squid"), ("X-Squid-Error", "ERR_ACCESS_DENIED 0")]
    )
    ours = h11.Response(status_code=403, headers=[("Proxy-Status", "egressmap; error=http_request_denied")])
    assert proxy_refusal(squid) == "403 from squid (ERR_ACCESS_DENIED)"
    assert proxy_refusal(ours) == "403 from egressmap (http_request_denied)"


def _read(data: bytes) -> h11.Response:
    async def go() -> h11.Response:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        conn, _ = request_bytes("HEAD", "/", [("Host", "x.test")])
        return await read_response(conn, reader)

    return asyncio.run(go())


def test_read_response_skips_informational_and_rejects_garbage() -> None:
    """A 100 Continue is skipped; an SSH banner is 'not an HTTP response'; silence is EOF."""
    assert _read(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n").status_code == 204
    with pytest.raises(ValueError, match="not an HTTP response"):
        _read(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
    with pytest.raises(EOFError):
        _read(b"")
