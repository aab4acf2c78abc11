"""Run the probes for every target with bounded concurrency; each target stops at its first failing stage.

Direct:            dns -> tcp -> [tls] -> [http]
Through a proxy:   tcp (to the proxy) -> proxy (CONNECT) -> tls -> http    for TLS destinations
                   tcp (to the proxy) -> http (absolute URI; a proxy error page is a ``proxy`` failure)
The proxy resolves names itself, so nothing is resolved locally for a proxied target.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from .dns import DnsProbe
from .http import HttpProbe
from .interface import ProbeResult, Target, TargetResult
from .limits import OUT_OF_DESCRIPTORS, out_of_descriptors
from .probe import Context, Probe, Settings
from .proxyenv import ProxyChoice
from .report import Outcome
from .targets import TargetPlan
from .tcp import TcpProbe
from .tls import TlsProbe
from .tunnel import ConnectProbe

__all__ = ["PROBES", "Verifier", "run_plan"]

log = logging.getLogger("egressmap")

PROBES: dict[str, Probe] = {
    "dns": DnsProbe(),
    "tcp": TcpProbe(),
    "proxy": ConnectProbe(),
    "tls": TlsProbe(),
    "http": HttpProbe(),
}
"""Every stage, by name: one shared instance each (probes keep no per-target state)."""


class Verifier:
    """Probes targets the way a tool on this node would reach them."""

    def __init__(self, settings: Settings, proxies: ProxyChoice, concurrency: int = 50) -> None:
        """``concurrency`` bounds how many targets are in flight at once."""
        self.settings = settings
        self.proxies = proxies
        self.concurrency = max(1, concurrency)

    def pipeline(self, target: Target, proxied: bool) -> list[str]:
        """The stage names a target goes through."""
        if proxied:
            return ["tcp", "proxy", "tls", "http"] if target.protocol == "https" else ["tcp", "http"]
        return [
            "dns",
            "tcp",
            *(["tls"] if target.protocol == "https" else []),
            *(["http"] if target.protocol != "tcp" else []),
        ]

    async def run(
        self,
        targets: Sequence[Target],
        skipped: Sequence[tuple[Target, str]] = (),
        progress: Callable[[TargetResult], None] | None = None,
    ) -> list[TargetResult]:
        """Every target's result, in the order given (skipped ones last, as given)."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(target: Target) -> TargetResult:
            async with gate:
                result = await self.probe(target)
            if progress is not None:
                progress(result)
            return result

        results = list(await asyncio.gather(*(one(t) for t in targets)))
        return results + [TargetResult(t, skipped=why) for t, why in skipped]

    async def probe(self, target: Target) -> TargetResult:
        """Run one target's stages; the connection is closed whatever happens."""
        proxy = self.proxies.for_target(target)
        ctx = Context(target, self.settings, proxy)
        names = self.pipeline(target, proxy is not None)
        connect = [n for n in names[: names.index("tls")] if n != "dns"] if "tls" in names else []

        async def reopen() -> bool:
            ctx.close()
            for name in connect:
                if not (await _guarded(PROBES[name], ctx)).ok:
                    return False
            return True

        ctx.reopen = reopen
        results: list[ProbeResult] = []
        try:
            for name in names:
                result = await _guarded(PROBES[name], ctx)
                results.append(result)
                if not result.ok:
                    break
        finally:
            ctx.close()
        route = f"proxy {proxy.url}" if proxy is not None else "direct"
        return TargetResult(target, tuple(results), route, addresses=ctx.addresses)


async def _guarded(probe: Probe, ctx: Context) -> ProbeResult:
    """Run a probe; a bug in one probe fails that stage for that target, not the whole run."""
    try:
        return await probe.run(ctx)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # isolate: one misbehaving probe must not end the run
        if out_of_descriptors(exc):
            return ProbeResult("local", False, OUT_OF_DESCRIPTORS)
        log.debug("probe %s failed for %s", probe.stage, ctx.target.name, exc_info=True)
        return ProbeResult(probe.stage, False, f"internal error: {type(exc).__name__}: {exc}"[:160])


def run_plan(
    plan: TargetPlan, verifier: Verifier, progress: Callable[[TargetResult], None] | None = None
) -> Outcome:
    """Probe everything a plan holds, in a fresh event loop, and gather the outcome."""
    results = asyncio.run(verifier.run(plan.targets, plan.skipped, progress))
    return Outcome(tuple(results), tuple(plan.problems))
