"""Fixtures for verify: loopback servers, and a guard that fails any attempt to leave this machine."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .servers import Lab, start_lab

NAMES = ["allowed.egressmap.test", "*.wild.egressmap.test", "other.egressmap.test", "example.com"]
DNS_TABLE = {
    "allowed.egressmap.test": ["127.0.0.1"],
    "a.wild.egressmap.test": ["127.0.0.1"],
    "v6only.egressmap.test": ["::1"],
    "other.egressmap.test": ["127.0.0.1"],
}


def _loopback(address: Any) -> bool:
    if isinstance(address, str | bytes):
        return True  # AF_UNIX
    try:
        return ipaddress.ip_address(str(address[0]).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connect or send to an address outside this machine fails the test."""
    real_connect, real_connect_ex, real_sendto = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.socket.sendto,
    )

    def connect(self: socket.socket, address: Any) -> None:
        assert _loopback(address), f"test tried to reach {address!r}"
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        assert _loopback(address), f"test tried to reach {address!r}"
        return real_connect_ex(self, address)

    def sendto(self: socket.socket, data: Any, *args: Any) -> int:
        address = args[-1]
        assert _loopback(address), f"test tried to reach {address!r}"
        return real_sendto(self, data, *args)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """HTTP, TLS (trustme), resetting, silent and DNS servers on 127.0.0.1."""
    started = start_lab(Path(tmp_path_factory.mktemp("verify")), NAMES, DNS_TABLE)
    yield started
    started.close()
