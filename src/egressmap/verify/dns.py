"""The DNS stage: the target's name resolved the way the node resolves it (see :mod:`.resolver`)."""

from __future__ import annotations

from .interface import ProbeResult
from .probe import Context, Probe, Step

__all__ = ["DnsProbe"]


class DnsProbe(Probe):
    """Resolve the target's name to A and AAAA addresses (skipped for IP literals and ``--resolve``)."""

    stage = "dns"

    async def run(self, ctx: Context) -> ProbeResult:
        """The resolver bounds its own time and never raises."""
        resolution = await ctx.settings.resolver.resolve(
            ctx.target.host, ctx.target.port, ctx.settings.timeout
        )
        ctx.addresses = resolution.addresses
        return resolution.result

    async def attempt(self, ctx: Context) -> Step:  # pragma: no cover - run() does the work
        """Not used: :meth:`run` is overridden."""
        raise NotImplementedError
