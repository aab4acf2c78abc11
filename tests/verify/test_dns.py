"""The DNS stage leaves the addresses for the TCP stage."""

from __future__ import annotations

import asyncio

from egressmap.verify.dns import DnsProbe
from egressmap.verify.interface import Target
from egressmap.verify.probe import Context, Settings
from egressmap.verify.resolver import Resolver

from .servers import Lab


def test_dns_stage_records_addresses(lab: Lab) -> None:
    """A real lookup against the loopback DNS server; the context carries its answer."""
    ctx = Context(
        Target("allowed.egressmap.test", 443, "https"),
        Settings(Resolver(nameserver=("127.0.0.1", lab.dns_port))),
    )
    result = asyncio.run(DnsProbe().run(ctx))
    assert (result.stage, result.ok, result.detail, ctx.addresses) == (
        "dns",
        True,
        "1 A, 0 AAAA",
        ("127.0.0.1",),
    )
