"""Enforce mode's decision: is ``host:port`` allowed by a policy, read exactly as the exporters read it.

The policy is turned into rules with :func:`egressmap.exporters.rules.rules_for` (templates expanded for the
regions, entries re-validated, the same function every firewall export uses), and a host is compared with
:func:`egressmap.model.entry_covers` after :func:`egressmap.hostnames.normalize_host`: case, a trailing dot and
IDN U-labels therefore cannot dodge a rule, and IP literals only ever match IP entries. What
:func:`egressmap.validation.refusal` refuses (loopback, link-local and metadata addresses, unspecified, multicast,
wildcards over a public suffix) never becomes a rule, and such a destination is denied whatever the policy says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..exporters.rules import Rule, RuleSet, rules_for
from ..hostnames import is_ip, normalize_host, numeric_ipv4
from ..model import Policy, entry_covers
from ..validation import host_refusal

__all__ = ["Allowlist", "Verdict", "normalized", "numeric_ipv4"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The answer for one destination."""

    allowed: bool
    host: str
    """The normalised host (the raw text, shortened, when it is not a valid name)."""
    reason: str = ""
    """Why it is denied, or which rule allowed it."""


def normalized(raw: str) -> str | None:
    """The canonical host for ``raw``, or None when it is not a valid host name or IP literal.

    Numeric IPv4 forms are read the way inet_aton reads them (:func:`numeric_ipv4`).

    >>> normalized("PyPI.org."), normalized("[::1]"), normalized("a b"), normalized("0x7f.1")
    ('pypi.org', '::1', None, '127.0.0.1')
    """
    numeric = numeric_ipv4(raw) if raw[:1].isdigit() else None
    if numeric is not None:
        return numeric
    try:
        return normalize_host(raw)
    except ValueError:
        return None


class Allowlist:
    """Rules indexed for fast lookups: exact names, IP literals, and wildcard suffixes."""

    def __init__(self, rules: RuleSet) -> None:
        """Index ``rules`` (exact names and IPs in a dict, wildcards by suffix)."""
        self.rules = rules
        self._exact: dict[str, frozenset[int]] = {}
        self._wild: dict[str, list[Rule]] = {}
        self._exact_rules: dict[str, Rule] = {}
        for rule in rules.rules:
            if rule.match == "exact":
                self._exact[rule.name] = self._exact.get(rule.name, frozenset()) | frozenset(rule.ports)
                self._exact_rules[rule.name] = rule
            else:
                self._wild.setdefault(rule.name, []).append(rule)

    @classmethod
    def from_policy(cls, policy: Policy, regions: Sequence[str] | None = None) -> Allowlist:
        """The allowlist of a policy; ``regions`` default to the policy's own."""
        return cls(rules_for(policy.entries, policy.regions if regions is None else regions))

    @property
    def rejected(self) -> tuple[str, ...]:
        """Messages for policy entries that could not become rules (they allow nothing)."""
        return self.rules.rejected

    def covering(self, host: str, *, wildcards_only: bool = False) -> list[Rule]:
        """The rules whose names reach the normalised ``host``, on any port.

        Its exact rule first, then wildcard rules from the longest suffix to the shortest (``wildcards_only``
        leaves the exact rule out). The one matcher ``proxy --enforce`` decides with and ``diff`` compares policies with.
        """
        exact = self._exact_rules.get(host) if not wildcards_only else None
        out = [exact] if exact is not None else []
        if is_ip(host):
            return out
        labels = host.split(".")
        for i in range(len(labels)):
            for rule in self._wild.get(".".join(labels[i:]), ()):
                if entry_covers("*." + rule.name, rule.match, host):
                    out.append(rule)
        return out

    def check(self, raw_host: str, port: int) -> Verdict:
        """Allowed or denied, with the reason; ``raw_host`` is anything a client sent."""
        verdict = self._check(raw_host, port)
        refused = host_refusal(verdict.host) if verdict.allowed else None
        if refused is not None:  # never a rule (rules_for refuses it); checked again whatever the rules say
            return Verdict(False, verdict.host, f"{verdict.host}: {refused}, never allowed")
        return verdict

    def _check(self, raw_host: str, port: int) -> Verdict:
        host = normalized(raw_host)
        if host is None:
            return Verdict(False, raw_host[:80], "not a valid host name")
        ports = self._exact.get(host)
        if ports is not None:
            if port in ports:
                return Verdict(True, host, f"allowed by {host}")
            return Verdict(False, host, f"port {port} not allowed for {host} (allowed: {_ports(ports)})")
        if is_ip(host):
            return Verdict(False, host, f"IP address {host} is not in the policy")
        wrong_port: set[int] = set()
        for rule in self.covering(host, wildcards_only=True):
            if port in rule.ports:
                return Verdict(True, host, f"allowed by *.{rule.name} ({rule.match})")
            wrong_port.update(rule.ports)
        if wrong_port:
            return Verdict(False, host, f"port {port} not allowed for {host} (allowed: {_ports(wrong_port)})")
        return Verdict(False, host, f"{host} is not in the policy")


def _ports(ports: frozenset[int] | set[int]) -> str:
    return ",".join(str(p) for p in sorted(ports))
