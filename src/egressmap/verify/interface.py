"""What verify works on and what it gives back: targets, per-stage probe results, and a target's verdict.

Probes never raise for a target: every network outcome is a :class:`ProbeResult`, and the first failing
stage ends the target's run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Expect", "Protocol", "ProbeResult", "Stage", "Target", "TargetResult"]

Stage = Literal["dns", "tcp", "proxy", "tls", "http", "local"]
"""Where a probe got to: name resolution, TCP connect (to the destination or to the proxy), the proxy's
answer to CONNECT or to a request, the TLS handshake, the HTTP exchange; ``local`` when this machine could
not run the stage at all (out of file descriptors), which says nothing about the network."""

Protocol = Literal["https", "http", "tcp"]
"""How far a destination is probed: TLS + HTTP, plain HTTP, or a TCP connect only."""

Expect = Literal["allowed", "blocked"]


@dataclass(frozen=True)
class Target:
    """One destination to probe, with why it is on the list."""

    host: str
    """The name (or IP literal) connected to and sent as SNI and Host: canonical form."""
    port: int
    protocol: Protocol
    expect: Expect = "allowed"
    pattern: str = ""
    """The policy entry (or list line) this target stands for; ``*.x`` entries are probed through a sample."""
    note: str = ""
    """How the target was chosen, e.g. ``sample from the catalog``."""

    @property
    def name(self) -> str:
        """``host:port`` (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class ProbeResult:
    """The outcome of one stage for one target."""

    stage: Stage
    ok: bool
    detail: str = ""
    """What happened, in a few words: ``NXDOMAIN``, ``timeout after 5s``, ``403 from squid``, ``TLSv1.3``."""
    seconds: float = 0.0
    warning: str = ""
    """Something worth showing on success, e.g. an invalid certificate (validity is reported, not required)."""


@dataclass(frozen=True)
class TargetResult:
    """Every stage run for a target, and whether that meets what was expected of it."""

    target: Target
    stages: tuple[ProbeResult, ...] = ()
    route: str = "direct"
    """``direct`` or ``proxy http://host:port`` (the way the tools on the node would go)."""
    skipped: str = ""
    """Why the target was not probed at all (no representative host for a wildcard entry)."""
    addresses: tuple[str, ...] = ()
    """What the name resolved to (A and AAAA), when resolved locally."""
    unfinished: str = ""
    """Why probing stopped before an outcome (``deadline``: ``--deadline`` passed first); ``stages`` holds
    the stages that finished before that. Such a target proves nothing, so it never passes."""

    @property
    def reached(self) -> bool:
        """True when every stage ran and succeeded."""
        return not self.unfinished and bool(self.stages) and all(r.ok for r in self.stages)

    @property
    def stopped(self) -> ProbeResult | None:
        """The stage that failed, if any."""
        return next((r for r in self.stages if not r.ok), None)

    @property
    def passed(self) -> bool:
        """True when the outcome is what was expected: reached when allowed, stopped when blocked.

        A ``local`` failure (this machine could not run the probe) proves neither, so it never passes.
        """
        if self.skipped:
            return True
        if self.unfinished or self.stopped is not None and self.stopped.stage == "local":
            return False
        return self.reached if self.target.expect == "allowed" else not self.reached

    @property
    def seconds(self) -> float:
        """Total time of the stages run."""
        return sum(r.seconds for r in self.stages)

    def stages_text(self) -> list[str]:
        """One line per stage run: ``tcp ok 0.002s connected to 127.0.0.1``."""
        lines = []
        for r in self.stages:
            line = f"{r.stage} {'ok' if r.ok else 'FAILED'} {r.seconds:.3f}s {r.detail}".rstrip()
            lines.append(f"{line} (warning: {r.warning})" if r.warning else line)
        return lines

    @property
    def summary(self) -> str:
        """``stage: detail`` of the stage that decided the outcome."""
        if self.skipped:
            return f"skipped: {self.skipped}"
        if self.unfinished:
            done = f" (cut short after {', '.join(r.stage for r in self.stages)})" if self.stages else ""
            return f"not probed: {self.unfinished}{done}"
        last = self.stopped or (self.stages[-1] if self.stages else None)
        if last is None:
            return "not probed"
        text = f"{last.stage}: {last.detail}" if last.detail else last.stage
        warnings = [r.warning for r in self.stages if r.warning]
        return "; ".join([text, *warnings])
