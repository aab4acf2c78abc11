"""The bypass finding: names that went around the proxy, found by comparing a proxy log with network evidence.

A proxy's access log shows what went through the proxy; a Resolver log, a firewall or flow log, a capture or
Zeek shows what the hosts looked up and connected to whatever way they went. A name the network evidence shows
for a client that *used the proxy for other traffic*, but that never appears in the proxy log, went around
the proxy: software on that host that ignores its proxy settings (seed 000's amazon-ssm-agent). Clients that
never appear in the proxy log are listed apart: they are hosts not set up for the proxy at all, not bypass.

Network evidence counts only inside the proxy log's time span (with :data:`MARGIN` either side) when both
carry times, so a week of Resolver logs beside an hour of proxy log does not report the other days. The
proxy's clients are the ones its log names (a sample of at most 50 per destination for counted lines).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, TextIO

from .hostnames import is_global_ip, is_ip
from .model import NXDOMAIN, Classification, Entry, Observation, Policy

MARGIN = 300.0
"""Seconds before the proxy log's first line and after its last in which network evidence still counts."""
MAX_CLIENTS = 20
"""Clients listed per name."""

UNPROXIED = (
    "this host never used the proxy: point it at the proxy (`egressmap export --to proxy-config` writes a "
    "bootstrap script) or, if it must go direct, allow what it needs in the firewall"
)

SSM = frozenset({"ssm", "ssmmessages", "ec2messages"})
CLOUDWATCH = frozenset({"logs", "monitoring"})


@dataclass(frozen=True, slots=True)
class BypassName:
    """One name seen in network evidence but not in the proxy log."""

    host: str
    clients: tuple[str, ...]
    count: int
    first: float | None
    last: float | None
    seen_as: tuple[str, ...]
    """``DNS lookup`` and/or ``connection``."""
    formats: tuple[str, ...]
    """The sources that saw it (``route53-resolver``, ``vpc-flow``...)."""
    advice: str


@dataclass(frozen=True, slots=True)
class BypassFinding:
    """What went around the proxy, and what came from hosts that never used it."""

    went_around: tuple[BypassName, ...]
    unproxied: tuple[BypassName, ...]
    proxy_clients: int
    span: tuple[float | None, float | None]
    """The proxy log's first and last time."""


@dataclass
class _Name:
    observations: list[tuple[Observation, str]] = field(default_factory=list)


class BypassWatch:
    """Sees every observation while the inputs are read; :meth:`finding` compares the two sides at the end."""

    def __init__(self) -> None:
        self.proxied: set[str] = set()
        self.proxy_clients: set[str] = set()
        self.start: float | None = None
        self.end: float | None = None
        self.network: dict[str, _Name] = {}

    def see(self, obs: Observation, role: str, format_name: str) -> None:
        """Note one observation of a proxy log or of network evidence (others are not the watch's)."""
        if role == "proxy":
            self.proxied.add(obs.host)
            if obs.clients:
                self.proxy_clients.update(obs.clients)
            first, last = obs.time, obs.last_time
            if first is None and last is None:
                return
            start, end = self.start, self.end
            for t in (first, last):  # what min() and max() keep (NaN included), without the calls
                if t is not None:
                    if start is None or t < start:
                        start = t
                    if end is None or t > end:
                        end = t
            self.start, self.end = start, end
        elif role == "network" and obs.kind != "mention":
            self.network.setdefault(obs.host, _Name()).observations.append((obs, format_name))

    def finding(self, classify: Any) -> BypassFinding | None:
        """The finding (None when the inputs lacked a proxy log or network evidence)."""
        if not self.proxied or not self.network:
            return None
        around: list[BypassName] = []
        apart: list[BypassName] = []
        for host, seen in sorted(self.network.items()):
            if host in self.proxied:
                continue
            inside = [(o, f) for o, f in seen.observations if self._inside(o)]
            if all(o.outcome == NXDOMAIN for o, _ in inside):  # (none, or a name that does not exist)
                continue
            c: Classification = classify(host)
            if c.category == "internal" or (is_ip(host) and not is_global_ip(host)):
                continue
            users = _clients(inside, lambda x: x in self.proxy_clients)
            others = _clients(inside, lambda x: x not in self.proxy_clients and is_ip(x))
            if users:
                around.append(_name(host, inside, users, advice(c)))
            else:
                apart.append(_name(host, inside, others, UNPROXIED))
        return BypassFinding(tuple(around), tuple(apart), len(self.proxy_clients), (self.start, self.end))

    def _inside(self, obs: Observation) -> bool:
        if self.start is None or self.end is None or obs.time is None:
            return True
        last = obs.last_time if obs.last_time is not None else obs.time
        return obs.time <= self.end + MARGIN and last >= self.start - MARGIN


def _clients(seen: Iterable[tuple[Observation, str]], keep: Any) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c for o, _ in seen for c in o.clients if keep(c)))


def _name(host: str, seen: list[tuple[Observation, str]], clients: tuple[str, ...], said: str) -> BypassName:
    times = [t for o, _ in seen for t in (o.time, o.last_time) if t is not None]
    kinds = sorted({"DNS lookup" if o.kind == "dns" else "connection" for o, _ in seen})
    return BypassName(
        host=host,
        clients=tuple(sorted(clients))[:MAX_CLIENTS],
        count=sum(o.count for o, _ in seen),
        first=min(times) if times else None,
        last=max(times) if times else None,
        seen_as=tuple(kinds),
        formats=tuple(sorted({f for _, f in seen})),
        advice=said,
    )


def advice(c: Classification) -> str:
    """What to do about a name that went around the proxy, by what the name is."""
    if c.provider == "aws" and c.service in SSM:
        return (
            "amazon-ssm-agent does not read the login shell's proxy variables: `egressmap export --to "
            "proxy-config` sets them in its systemd unit (and puts the name in no_proxy when it has an "
            "interface endpoint); or create the ssm, ssmmessages and ec2messages interface endpoints"
        )
    if c.provider == "aws" and c.service in CLOUDWATCH:
        return (
            "the CloudWatch agent takes its proxy from common-config.toml: `egressmap export --to proxy-config` "
            f"sets it; or create the {c.service} interface endpoint"
        )
    if c.provider == "aws" and c.private_endpoint == "gateway":
        return (
            f"route it through the {c.service} gateway endpoint (no proxy needed): `egressmap export --to "
            "proxy-config` puts the name in no_proxy"
        )
    if c.scope == "cloud" and c.private_endpoint == "interface":
        return (
            f"create the {c.service} interface endpoint and put the name in no_proxy (`egressmap export --to "
            "proxy-config` does), or give the program the proxy (AWS SDKs and the CLI read HTTPS_PROXY)"
        )
    return (
        "a program that does not use the proxy settings: give it the proxy (HTTPS_PROXY or its own setting), "
        "or, if it must go direct, allow it in the firewall"
    )


def finding_dict(finding: BypassFinding) -> dict[str, Any]:
    """The finding for ``--json``."""

    def one(n: BypassName) -> dict[str, Any]:
        return {
            "host": n.host,
            "clients": list(n.clients),
            "count": n.count,
            "first_seen": _iso(n.first),
            "last_seen": _iso(n.last),
            "seen_as": list(n.seen_as),
            "seen_in": list(n.formats),
            "advice": n.advice,
        }

    return {
        "went_around_the_proxy": [one(n) for n in finding.went_around],
        "from_hosts_that_never_used_the_proxy": [one(n) for n in finding.unproxied],
        "proxy_clients": finding.proxy_clients,
        "proxy_log_span": [_iso(finding.span[0]), _iso(finding.span[1])],
    }


def render_finding(finding: BypassFinding, out: TextIO) -> None:
    """The finding as text, after scan's tables."""
    if finding.went_around:
        out.write(
            f"\nwent around the proxy ({len(finding.went_around)} name(s): seen in network evidence for "
            "clients that used the proxy for other traffic, never in the proxy log):\n"
        )
        for n in finding.went_around:
            out.write(_line(n))
    if finding.unproxied:
        out.write(
            f"\nnot through the proxy, from hosts that never used it ({len(finding.unproxied)} name(s); "
            "unproxied hosts, not bypass):\n"
        )
        for n in finding.unproxied:
            out.write(_line(n))
    if not (finding.went_around or finding.unproxied):
        out.write(
            "\nwent around the proxy: nothing (every name in the network evidence is in the proxy log)\n"
        )


def summary_lines(finding: BypassFinding) -> list[str]:
    """One line per name for stderr (build)."""
    lines = [f"went around the proxy: {n.host} ({_what(n)}); {n.advice}" for n in finding.went_around]
    lines += [
        f"not through the proxy, from hosts that never used it: {n.host} ({_what(n)})"
        for n in finding.unproxied
    ]
    return lines


def _line(n: BypassName) -> str:
    return f"  {n.host}  {_what(n)}\n    what to do: {n.advice}\n"


def _what(n: BypassName) -> str:
    clients = ", ".join(n.clients) or "no client named"
    span = f", {_iso(n.first)} to {_iso(n.last)}" if n.first is not None else ""
    return f"{' and '.join(n.seen_as)} x{n.count} by {clients}{span}; seen in {', '.join(n.formats)}"


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_warnings(policy: Policy, finding: BypassFinding) -> Policy:
    """``policy`` with a warning on every entry a bypassing name belongs to (kept in the policy file)."""
    said = {n.host: n for n in finding.went_around}
    if not said:
        return policy

    def warned(entry: Entry) -> Entry:
        hits = [said[h] for h in entry.hosts if h in said]
        if not hits:
            return entry
        notes = tuple(f"went around the proxy: {n.host} ({_what(n)}); {n.advice}" for n in hits[:3])
        return replace(entry, warnings=(*entry.warnings, *notes))

    return replace(policy, entries=tuple(warned(e) for e in policy.entries))
