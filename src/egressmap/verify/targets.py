"""What to probe: the entries of a policy (or the lines of a plain list), plus what must stay blocked.

Policy entries go through the exporters' own validation and template expansion (``rules_for``), so verify
probes exactly the names a firewall export would carry; list lines go through the same refusal
(:func:`egressmap.validation.refusal`: loopback, link-local and metadata addresses, unspecified, multicast,
wildcards over a public suffix). A list line that cannot be read (not UTF-8 text included) is reported with its
line number and the rest of the list is still used. An entry with more than :data:`MAX_PORTS` ports is not
probed: it is reported instead (probing every port of ``1-65535`` would take minutes and hundreds of MB to say
nothing a firewall rule review would not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import ConfigError, InputError
from ..exporters.rules import rules_for
from ..hostnames import normalize_host, split_host_port
from ..model import REGION_TOKEN, Match, Policy, entry_covers
from ..policy_file import policy_from_dict
from ..sources.plainlist import read_wildcard
from ..validation import refusal
from .interface import Protocol, Target
from .samples import parse_protocols, parse_samples, protocol_for, representative

__all__ = ["CANARY", "MAX_PORTS", "TargetPlan", "plan_targets", "read_input"]

CANARY = "example.com"
"""Probed by default and expected blocked: a default-deny network must not reach it."""

MAX_PORTS = 1000
"""Most ports of one policy entry that verify probes; an entry with more is reported and left out."""


@dataclass
class TargetPlan:
    """The targets of a run, the entries that cannot be probed, and problems met while reading."""

    targets: list[Target] = field(default_factory=list)
    skipped: list[tuple[Target, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    regions: tuple[str, ...] = ()
    allows: list[tuple[str, Match]] = field(default_factory=list)
    """Every pattern the input allows, with its match kind."""
    _keys: set[tuple[str, int, str]] = field(default_factory=set, repr=False)

    def covers(self, host: str) -> bool:
        """True when the input allows ``host`` (on some port)."""
        return any(entry_covers(p, m, host) for p, m in self.allows)

    def add(self, target: Target) -> None:
        """Add a target unless the same name, port and expectation is already there."""
        key = (target.host, target.port, target.expect)
        if key not in self._keys:
            self._keys.add(key)
            self.targets.append(target)

    def allowed(self, host: str, port: int) -> bool:
        """True when ``host:port`` is already a target that must be reachable."""
        return (host, port, "allowed") in self._keys


def read_input(path: str) -> Policy | list[tuple[int, str]]:
    """A policy file, or the numbered lines of a plain list.

    A list line that is not UTF-8 keeps its bad bytes as lone surrogates (``surrogateescape``), so that
    planning reports that line and still uses the others; a policy file must be UTF-8 throughout.
    """
    try:
        text = Path(path).read_bytes().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc})") from None
    if "schema:" in text or text.lstrip().startswith("{"):
        bad = _first_undecodable(text)
        if bad:
            raise InputError(f"{path}:{bad}: not UTF-8 text; a policy file must be UTF-8 throughout")
        import yaml

        try:
            data: Any = yaml.safe_load(text)
        except yaml.YAMLError:
            data = None
        if isinstance(data, dict) and "schema" in data:
            return policy_from_dict(data, path)
    return list(enumerate((line.removesuffix("\r") for line in text.split("\n")), 1))


def _first_undecodable(text: str) -> int:
    """The number of the first line holding a byte that is not UTF-8, or 0."""
    for lineno, line in enumerate(text.split("\n"), 1):
        if _undecodable(line):
            return lineno
    return 0


def _undecodable(line: str) -> str:
    """``byte 0xff at column 7`` for the first byte of ``line`` that was not UTF-8, else ``""``."""
    for column, char in enumerate(line, 1):
        if "\udc80" <= char <= "\udcff":
            return f"byte 0x{ord(char) - 0xDC00:02x} at column {column}"
    return ""


def plan_targets(
    source: Policy | list[tuple[int, str]],
    origin: str,
    *,
    regions: Sequence[str] = (),
    samples: Sequence[str] = (),
    expect_blocked: Sequence[str] = (),
    canary: bool = True,
    include_documentation: bool = False,
    protocols: Sequence[str] = (),
) -> TargetPlan:
    """Everything one ``verify`` run probes; ``protocols`` (``PORT=KIND``) overrides how a port is probed."""
    try:
        wanted = parse_samples(samples)
        by_port = parse_protocols(protocols)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if isinstance(source, Policy):
        plan = TargetPlan(regions=tuple(regions or source.regions))
        _from_policy(plan, source, wanted, include_documentation)
    else:
        plan = TargetPlan(regions=tuple(regions))
        _from_list(plan, source, origin, wanted)
    for value in expect_blocked:
        host, port, protocol = _destination(value, "--expect-blocked")
        if plan.allowed(host, port):
            raise ConfigError(f"--expect-blocked {value!r}: the input allows {host}:{port}")
        plan.add(Target(host, port, protocol, "blocked", value, "--expect-blocked"))
    if canary and not plan.covers(CANARY) and not any(t.host == CANARY for t in plan.targets):
        plan.add(
            Target(CANARY, 443, "https", "blocked", CANARY, "default canary (--no-canary leaves it out)")
        )
    if by_port:
        plan.targets = [replace(t, protocol=by_port.get(t.port, t.protocol)) for t in plan.targets]
    return plan


def _from_policy(
    plan: TargetPlan, policy: Policy, samples: Sequence[tuple[str | None, str]], include_documentation: bool
) -> None:
    entries = [e for e in policy.entries if include_documentation or e.tier != "documentation"]
    for entry in [e for e in entries if len(e.ports) > MAX_PORTS]:
        plan.problems.append(
            f"{entry.pattern}: {len(entry.ports)} ports in one entry; verify probes at most {MAX_PORTS:,} per"
            " entry, so this one is not probed (list only the ports the destination serves)"
        )
    entries = [e for e in entries if len(e.ports) <= MAX_PORTS]
    ruleset = rules_for(entries, plan.regions)
    plan.problems.extend(ruleset.rejected)
    for entry in entries:
        if REGION_TOKEN in entry.pattern and not plan.regions:
            plan.problems.append(f"{entry.pattern}: a region template; give --region to probe it")
    for rule in ruleset.rules:
        plan.allows.append((f"*.{rule.name}" if rule.wildcard else rule.name, rule.match))
        for port in rule.ports:
            if not rule.wildcard:
                plan.add(
                    Target(
                        rule.name,
                        port,
                        protocol_for(rule.name, port, plan.regions),
                        "allowed",
                        rule.entry.pattern,
                    )
                )
                continue
            _add_wildcard(plan, f"*.{rule.name}", rule.match, port, rule.entry.hosts, samples)


def _add_wildcard(
    plan: TargetPlan,
    pattern: str,
    match: Match,
    port: int,
    seen: Sequence[str],
    samples: Sequence[tuple[str | None, str]],
) -> None:
    found = representative(pattern, match, seen, samples, plan.regions)
    if found is None:
        why = f"no name to probe for {pattern}; give --sample '{pattern}=NAME'"
        plan.skipped.append((Target(pattern[2:], port, "tcp", "allowed", pattern), why))
        return
    host, how = found
    plan.add(Target(host, port, protocol_for(host, port, plan.regions), "allowed", pattern, how))


def _from_list(
    plan: TargetPlan, lines: list[tuple[int, str]], origin: str, samples: Sequence[tuple[str | None, str]]
) -> None:
    for lineno, line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        bad = _undecodable(line)
        if bad and _undecodable(text):
            plan.problems.append(f"{origin}:{lineno}: not UTF-8 text ({bad}); line skipped")
            continue
        if bad:
            plan.problems.append(f"{origin}:{lineno}: not UTF-8 text in the comment ({bad}); line used")
        try:
            if text.startswith(("*", ".")):  # read as the list source reads it (public suffixes refused)
                suffix, port, match = read_wildcard(text)
                pattern = f"*.{suffix}"
                plan.allows.append((pattern, match))
                _add_wildcard(plan, pattern, match, port, (), samples)
                continue
            host, port, protocol = _destination(text, "list line")
            refused = refusal(host)  # what build, every export and proxy --enforce refuse
            if refused is not None:
                raise ConfigError(refused)
        except ConfigError as exc:
            plan.problems.append(f"{origin}:{lineno}: {exc}")
            continue
        except ValueError as exc:
            plan.problems.append(f"{origin}:{lineno}: {text[:80]!r}: {exc}")
            continue
        plan.allows.append((host, "exact"))
        plan.add(Target(host, port, protocol, "allowed", text))


def _destination(value: str, what: str) -> tuple[str, int, Protocol]:
    """``HOST``, ``HOST:PORT`` or ``http(s)://HOST[:PORT]/...`` -> (host, port, protocol)."""
    text = value.strip()
    try:
        if "://" in text:
            parts = urlsplit(text)
            scheme = parts.scheme.lower()
            if scheme not in ("http", "https") or not parts.hostname:
                raise ValueError("only http:// and https:// URLs")
            port = parts.port or (443 if scheme == "https" else 80)
            protocol: Protocol = "https" if scheme == "https" else "http"
            return normalize_host(parts.hostname), port, protocol
        raw, port = split_host_port(text)
        host = normalize_host(raw)
    except ValueError as exc:
        raise ConfigError(f"{what} {text[:80]!r}: {exc}") from None
    return host, port, protocol_for(host, port)
