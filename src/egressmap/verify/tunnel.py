"""The proxy stage for TLS destinations: ``CONNECT host:port`` through the proxy, as curl sends it."""

from __future__ import annotations

from .http import exchange, proxy_refusal
from .probe import Context, Probe, Step

__all__ = ["ConnectProbe"]


class ConnectProbe(Probe):
    """Ask the proxy for a tunnel to the target; a non-2xx answer is the proxy's refusal."""

    stage = "proxy"

    async def attempt(self, ctx: Context) -> Step:
        """Send CONNECT and read the proxy's answer."""
        authority = ctx.target.name
        headers = [("Host", authority), ("User-Agent", ctx.settings.user_agent)]
        try:
            response, extra = await exchange(ctx, "CONNECT", authority, headers, to_proxy=True)
        except ValueError as exc:
            return Step(False, str(exc))
        if not 200 <= response.status_code < 300:
            return Step(False, proxy_refusal(response))
        if extra:
            return Step(False, "the proxy sent data before the tunnel was used")
        return Step(True, f"CONNECT {response.status_code}")
