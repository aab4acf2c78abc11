"""The DNS stage: the target's name resolved the way the node resolves it (see :mod:`.resolver`)."""

from __future__ import annotations

from .probe import Context, Probe, Step

__all__ = ["DnsProbe"]


class DnsProbe(Probe):
    """Resolve the target's name to A and AAAA addresses (skipped for IP literals and ``--resolve``)."""

    stage = "dns"

    async def attempt(self, ctx: Context) -> Step:
        """Resolve, leaving the addresses for the TCP stage (the resolver never raises)."""
        resolution = await ctx.settings.resolver.resolve(
            ctx.target.host, ctx.target.port, ctx.settings.timeout
        )
        ctx.addresses = resolution.addresses
        result = resolution.result
        return Step(result.ok, result.detail, stage=result.stage)
