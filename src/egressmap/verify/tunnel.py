"""The proxy stage for TLS destinations: ``CONNECT host:port`` through the proxy, as curl sends it."""

from __future__ import annotations

from .http import proxy_refusal, read_response, request_bytes
from .probe import Context, Probe, Step

__all__ = ["ConnectProbe"]


class ConnectProbe(Probe):
    """Ask the proxy for a tunnel to the target; a non-2xx answer is the proxy's refusal."""

    stage = "proxy"

    async def attempt(self, ctx: Context) -> Step:
        """Send CONNECT and read the proxy's answer."""
        assert ctx.reader is not None and ctx.writer is not None and ctx.proxy is not None
        authority = ctx.target.name
        headers = [("Host", authority), ("User-Agent", ctx.settings.user_agent)]
        if ctx.proxy.authorization:
            headers.append(("Proxy-Authorization", ctx.proxy.authorization))
        conn, data = request_bytes("CONNECT", authority, headers)
        ctx.writer.write(data)
        await ctx.writer.drain()
        try:
            response = await read_response(conn, ctx.reader)
        except ValueError as exc:
            return Step(False, str(exc))
        if not 200 <= response.status_code < 300:
            return Step(False, proxy_refusal(response))
        extra, _ = conn.trailing_data
        if extra:
            return Step(False, "the proxy sent data before the tunnel was used")
        return Step(True, f"CONNECT {response.status_code}")
