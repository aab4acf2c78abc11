"""Fixtures for the fetch tests: the Log Analytics stand-in, an Azure environment pointed at it, no way out."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egressmap.fetch import azure_sdk

from .azure_standin import CLIENT_ID, SECRET, TENANT, StandIn, start

_LOCAL_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


def _loopback(address: Any) -> bool:
    if isinstance(address, str | bytes):
        return True  # AF_UNIX
    try:
        return ipaddress.ip_address(str(address[0]).split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_way_out(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every attempt to resolve a public name or connect off this machine is refused, recorded and fails the test.

    Refused with an OSError (so the SDK gives up at once) and checked at teardown, because the credential chain
    swallows the errors of the sign-ins it tries.
    """
    attempts: list[str] = []
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not _loopback(address):
            attempts.append(f"connect {address!r}")
            raise OSError(f"test tried to reach {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and str(host) not in _LOCAL_NAMES:
            attempts.append(f"resolve {host!r}")
            raise socket.gaierror(socket.EAI_NONAME, f"test tried to resolve {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts
    assert attempts == [], f"tests must stay on this machine: {attempts}"


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandIn]:
    """The Log Analytics and token stand-in on 127.0.0.1, empty."""
    state, server = start(tmp_path)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def no_azure(
    no_way_out: list[str], standin: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> StandIn:
    """No Azure credentials anywhere; sign-in and instance metadata (IMDS) go to the stand-in, which trusts its CA.

    HOME and PATH point at empty folders so no Azure CLI, PowerShell or token cache of the machine is used.
    """
    for name in list(os.environ):
        if name.startswith(("AZURE_", "MSI_", "IDENTITY_", "IMDS_")):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("HOME", str(empty))
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("AZURE_CONFIG_DIR", str(empty / ".azure"))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(standin.ca_file))
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", standin.url)
    monkeypatch.setenv("AZURE_POD_IDENTITY_AUTHORITY_HOST", standin.url)
    # MSAL checks an authority it does not know with login.microsoftonline.com unless told not to
    monkeypatch.setattr(azure_sdk, "CREDENTIAL_OPTIONS", {"disable_instance_discovery": True})
    return standin


@pytest.fixture
def azure(no_azure: StandIn, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    """A service principal in the environment (EnvironmentCredential, the chain's first) that the stand-in knows."""
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", SECRET)
    return no_azure
