"""The TLS stage: a handshake with the target's name as SNI; certificate validity is reported, not required.

The first handshake verifies the certificate (system CAs or ``--ca-file``). When only verification fails,
a second connection repeats the handshake without it, so the result says both whether TLS works through
this path (the firewall question) and whether the certificate is trusted (a warning, e.g. an inspecting
proxy's own CA).
"""

from __future__ import annotations

import ssl

from .probe import Context, Probe, Step, describe_error

__all__ = ["TlsProbe", "client_context"]


def client_context(ca_file: str | None, verify: bool = True) -> ssl.SSLContext:
    """A client context offering HTTP/1.1 by ALPN; verifying (hostname included) unless ``verify`` is False."""
    context = ssl.create_default_context(cafile=ca_file)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    context.set_alpn_protocols(["http/1.1"])
    return context


class TlsProbe(Probe):
    """Upgrade the open connection (direct, or a CONNECT tunnel) to TLS."""

    stage = "tls"

    def __init__(self) -> None:
        """Contexts are built on first use and shared by every target of the run."""
        self._contexts: dict[tuple[str | None, bool], ssl.SSLContext] = {}

    def _context(self, ca_file: str | None, verify: bool) -> ssl.SSLContext:
        key = (ca_file, verify)
        if key not in self._contexts:
            self._contexts[key] = client_context(ca_file, verify)
        return self._contexts[key]

    async def attempt(self, ctx: Context) -> Step:
        """Handshake; on a certificate error only, reconnect and handshake without verification."""
        try:
            version = await self._handshake(ctx, verify=True)
            return Step(True, f"{version}, certificate valid")
        except ssl.SSLCertVerificationError as exc:
            warning = describe_error(exc, "tls")
        ctx.close()
        if ctx.reopen is None or not await ctx.reopen():
            return Step(False, f"{warning}; a second connection to retry without verification failed")
        version = await self._handshake(ctx, verify=False)
        return Step(True, version, warning=warning)

    async def _handshake(self, ctx: Context, verify: bool) -> str:
        assert ctx.writer is not None
        await ctx.writer.start_tls(
            self._context(ctx.settings.ca_file, verify),
            server_hostname=ctx.target.host,
            ssl_handshake_timeout=ctx.settings.timeout,
        )
        ctx.tls = True
        ssl_object = ctx.writer.get_extra_info("ssl_object")
        return str(ssl_object.version()) if ssl_object is not None else "TLS"
