"""The TCP stage: connect to the destination's addresses in turn, or to the proxy when one is in the way."""

from __future__ import annotations

import asyncio
import socket

from .limits import OUT_OF_DESCRIPTORS, out_of_descriptors
from .probe import Context, Probe, Step, describe_error

__all__ = ["TcpProbe", "open_stream"]

_STREAM_LIMIT = 64 * 1024


async def open_stream(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Connect to an IP literal (no name resolution here), with Nagle off for small probe messages."""
    reader, writer = await asyncio.open_connection(host, port, limit=_STREAM_LIMIT)
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return reader, writer


class TcpProbe(Probe):
    """Open the connection the later stages use."""

    stage = "tcp"

    async def attempt(self, ctx: Context) -> Step:
        """Try each address (IPv4 first) until one accepts."""
        if ctx.proxy is not None:
            resolved = await ctx.settings.resolver.resolve(
                ctx.proxy.host, ctx.proxy.port, ctx.settings.timeout
            )
            if resolved.result.stage == "local":
                return Step(False, resolved.result.detail, stage="local")
            if not resolved.addresses:
                return Step(False, f"proxy {ctx.proxy.url}: {resolved.result.detail}")
            addresses, port, what = resolved.addresses, ctx.proxy.port, f"proxy {ctx.proxy.url}"
        else:
            addresses, port, what = ctx.addresses, ctx.target.port, ""
        errors: list[str] = []
        for address in addresses:
            try:
                ctx.reader, ctx.writer = await open_stream(address, port)
            except OSError as exc:
                if out_of_descriptors(exc):
                    return Step(False, OUT_OF_DESCRIPTORS, stage="local")
                errors.append(f"{address}: {describe_error(exc, 'tcp')}")
                continue
            ctx.peer = address
            shown = f"[{address}]" if ":" in address else address
            return Step(True, f"connected to {what or shown}" + (f" ({shown})" if what else ""))
        if not errors:
            return Step(False, "no address to connect to")
        if len(errors) == 1:
            return Step(False, (f"{what}: " if what else "") + errors[0].split(": ", 1)[1])
        return Step(False, (f"{what}: " if what else "") + "; ".join(errors))
