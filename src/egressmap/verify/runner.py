"""Run the probes for every target with bounded concurrency; each target stops at its first failing stage.

Direct:            dns -> tcp -> [tls] -> [http]
Through a proxy:   tcp (to the proxy) -> proxy (CONNECT) -> tls -> http    for TLS destinations
                   tcp (to the proxy) -> http (absolute URI; a proxy error page is a ``proxy`` failure)
The proxy resolves names itself, so nothing is resolved locally for a proxied target.

A run has an overall deadline besides the per-stage timeout: when it passes, the targets still in flight
are cancelled (their connections closed) and they and the ones not started are reported ``not probed:
deadline``, with whatever stages had finished.
"""

from __future__ import annotations

import asyncio
import errno
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

__all__ = ["DEADLINE", "PROBES", "Verifier", "run_plan"]

log = logging.getLogger("egressmap")

PROBES: dict[str, Probe] = {
    "dns": DnsProbe(),
    "tcp": TcpProbe(),
    "proxy": ConnectProbe(),
    "tls": TlsProbe(),
    "http": HttpProbe(),
}
"""Every stage, by name: one shared instance each (probes keep no per-target state)."""


DEADLINE = 300.0
"""Seconds a whole ``egressmap verify`` run may take unless ``--deadline`` says otherwise.

A fixed bound, not one scaled to the number of targets (a scaled bound would let a large list against a
silent network run as long as before). Healthy paths finish far sooner (bench/verify: 1,000 destinations in
under 3 s locally); where every destination is silently dropped, each costs about one stage timeout
(5 s), so at the default concurrency of 50 about 3,000 destinations still finish within 300 s.
"""


class Verifier:
    """Probes targets the way a tool on this node would reach them."""

    def __init__(
        self,
        settings: Settings,
        proxies: ProxyChoice,
        concurrency: int = 50,
        deadline: float | None = None,
    ) -> None:
        """``concurrency`` bounds the targets in flight at once, ``deadline`` (seconds) the whole run."""
        self.settings = settings
        self.proxies = proxies
        self.concurrency = max(1, concurrency)
        self.deadline = deadline

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
        finished: list[list[ProbeResult]] = [[] for _ in targets]
        slots: list[TargetResult | None] = [None for _ in targets]

        async def one(index: int, target: Target) -> None:
            async with gate:
                result = await self.probe(target, finished[index])
            slots[index] = result
            if progress is not None:
                progress(result)

        try:
            async with asyncio.timeout(self.deadline):
                await asyncio.gather(*(one(i, t) for i, t in enumerate(targets)))
        except TimeoutError:
            pass  # gather has cancelled every probe still running, and each has closed its connection
        results: list[TargetResult] = []
        for target, slot, done in zip(targets, slots, finished, strict=True):
            if slot is None:
                proxy = self.proxies.for_target(target)
                route = f"proxy {proxy.url}" if proxy is not None else "direct"
                slot = TargetResult(target, tuple(done), route, unfinished="deadline")
                if progress is not None:
                    progress(slot)
            results.append(slot)
        return results + [TargetResult(t, skipped=why) for t, why in skipped]

    async def probe(self, target: Target, done: list[ProbeResult] | None = None) -> TargetResult:
        """Run one target's stages, each appended to ``done`` as it ends.

        The connection is closed whatever happens, cancellation included.
        """
        proxy = self.proxies.for_target(target)
        ctx = Context(target, self.settings, proxy)
        names = self.pipeline(target, proxy is not None)
        connect = [n for n in names[: names.index("tls")] if n != "dns"] if "tls" in names else []

        async def reopen() -> bool:
            ctx.close()
            for name in connect:
                result = await _guarded(PROBES[name], ctx)
                if result.stage == "local":  # the stage that asked reports it as its own local failure
                    raise OSError(errno.EMFILE, OUT_OF_DESCRIPTORS)
                if not result.ok:
                    return False
            return True

        ctx.reopen = reopen
        results: list[ProbeResult] = [] if done is None else done
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
    problems = list(plan.problems)
    late = sum(bool(r.unfinished) for r in results)
    if late:
        problems.append(
            f"the deadline ({verifier.deadline:g}s) passed: {late} of {len(plan.targets)} destination(s)"
            " not probed, each counted as a failure; give a larger --deadline (0 for none) or --concurrency"
        )
    return Outcome(tuple(results), tuple(problems))
