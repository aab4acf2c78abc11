"""TLS client contexts."""

from __future__ import annotations

import asyncio
import errno
import ssl

import pytest

from egressmap.verify import ProxyChoice, Resolver, Settings, Target, Verifier, tcp
from egressmap.verify.tls import client_context

from .servers import Lab


def test_verifying_and_non_verifying_contexts() -> None:
    """The first checks chain and name; the retry context checks neither."""
    strict, lax = client_context(None), client_context(None, verify=False)
    assert (strict.verify_mode, strict.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert (lax.verify_mode, lax.check_hostname) == (ssl.CERT_NONE, False)


def test_no_descriptor_for_the_retry_connection_is_local(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """An untrusted certificate needs a second connection; EMFILE for it is `local`, not a TLS failure."""
    real = tcp.open_stream
    calls: list[int] = []

    async def first_only(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        calls.append(port)
        if len(calls) > 1:
            raise OSError(errno.EMFILE, "Too many open files")
        return await real(host, port)

    monkeypatch.setattr(tcp, "open_stream", first_only)
    resolver = Resolver(overrides={("allowed.egressmap.test", None): ("127.0.0.1",)})
    verifier = Verifier(Settings(resolver, timeout=30), ProxyChoice(None, {}))
    target = Target("allowed.egressmap.test", lab.untrusted_tls_port, "https")
    (result,) = asyncio.run(verifier.run([target]))
    assert result.summary == "local: out of file descriptors" and len(calls) == 2
