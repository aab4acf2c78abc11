"""The TCP stage tries each address in turn and names each failure."""

from __future__ import annotations

import asyncio
import errno

import pytest

from egressmap.verify import ProxyChoice, Resolver, Settings, Target, Verifier, tcp

from .servers import Lab


def _run(port: int, addresses: tuple[str, ...]) -> str:
    resolver = Resolver(overrides={("multi.test", None): addresses})
    verifier = Verifier(Settings(resolver, timeout=30), ProxyChoice(None, {}))
    (result,) = asyncio.run(verifier.run([Target("multi.test", port, "tcp")]))
    return result.summary


def test_falls_back_to_the_next_address(lab: Lab) -> None:
    """IPv4 goes first; when it refuses, the IPv6 address is tried (and here also refuses: nothing on ::1)."""
    assert _run(lab.http_port, ("::1", "127.0.0.1")) == "tcp: connected to 127.0.0.1"
    assert _run(lab.closed_port, ("127.0.0.1", "::1")) == (
        "tcp: 127.0.0.1: connection refused; ::1: connection refused"
    )
    assert _run(lab.closed_port, ("127.0.0.1",)) == "tcp: connection refused"


def test_no_descriptor_for_the_socket_is_local(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14, finding 14 (fails before: `tcp: too many open files`): EMFILE is stage `local`, not the path."""

    async def emfile(*_: object) -> object:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(tcp, "open_stream", emfile)
    assert _run(lab.http_port, ("127.0.0.1", "::1")) == "local: out of file descriptors"
    blocked = Target("multi.test", lab.http_port, "tcp", "blocked")
    verifier = Verifier(
        Settings(Resolver(overrides={("multi.test", None): ("127.0.0.1",)})), ProxyChoice(None, {})
    )
    (result,) = asyncio.run(verifier.run([blocked]))
    assert not result.passed  # not reaching it for want of a socket proves nothing about the firewall
