"""Verify an allowlist from inside the network: DNS -> TCP -> TLS (SNI) -> HTTP, directly or via a proxy.

>>> sorted(PROBES)
['dns', 'http', 'proxy', 'tcp', 'tls']
"""

from __future__ import annotations

from .interface import ProbeResult, Target, TargetResult
from .probe import Settings
from .proxyenv import ProxyChoice
from .report import Outcome, render_plain, render_rich, to_json, to_junit, to_rows
from .resolver import Resolver, parse_nameserver, parse_resolve
from .runner import DEADLINE, PROBES, Verifier, run_plan
from .targets import CANARY, TargetPlan, plan_targets, read_input

__all__ = [
    "CANARY",
    "DEADLINE",
    "PROBES",
    "Outcome",
    "ProbeResult",
    "ProxyChoice",
    "Resolver",
    "Settings",
    "Target",
    "TargetPlan",
    "TargetResult",
    "Verifier",
    "parse_nameserver",
    "parse_resolve",
    "plan_targets",
    "read_input",
    "render_plain",
    "render_rich",
    "run_plan",
    "to_json",
    "to_junit",
    "to_rows",
]
