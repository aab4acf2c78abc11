"""bundle fetch through an HTTP proxy: egressmap's recording proxy on loopback in front of the fake GitHub."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from egressmap.bundle.manifest import LOCK_NAME
from egressmap.bundle.net import Client
from egressmap.bundle.route import Routes
from egressmap.cli import main
from egressmap.proxy.allow import Verdict
from egressmap.verify.proxyenv import ProxyChoice

from .conftest import PC_HOST, World
from .fake_github import Blob
from .recording_proxy import RecordingProxy


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port(world: World) -> int:
    return int(world.gh.server.server_address[1])


def test_fetch_through_the_proxy_tunnels_to_the_origin_and_locks_the_same(
    world: World, proxy: RecordingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTPS_PROXY: every request is a CONNECT to the fake server; the lock equals a direct fetch's."""
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["bundle", "fetch", str(world.good), "-o", str(one), *world.flags(), "-q"]) == 0
    records = proxy.close()
    assert records and {(r["method"], r["host"], r["port"], r["outcome"]) for r in records} == {
        ("CONNECT", "127.0.0.1", _port(world), "allowed")
    }
    # the proxy is gone: --no-env-proxy must go direct to succeed
    flags = [*world.flags(), "-q", "--no-env-proxy"]
    assert main(["bundle", "fetch", str(world.good), "-o", str(two), *flags]) == 0
    assert (one / LOCK_NAME).read_bytes() == (two / LOCK_NAME).read_bytes()


def test_a_no_proxy_match_goes_direct(
    world: World, proxy: RecordingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """no_proxy=localhost: the installer's mirror on localhost is fetched direct, GitHub through the proxy."""
    monkeypatch.setenv("https_proxy", proxy.url)
    monkeypatch.setenv("no_proxy", "example.test, localhost")
    port = _port(world)
    flags = ["--github-api", world.gh.api, "--ca-file", str(world.gh.ca_file)]
    flags += ["--mirror", f"{PC_HOST}=https://localhost:{port}/mirror", "-q"]
    assert main(["bundle", "fetch", str(world.good), "-o", str(tmp_path / "b"), *flags]) == 0
    records = proxy.close()
    assert {(r["method"], r["host"], r["port"]) for r in records} == {("CONNECT", "127.0.0.1", port)}
    assert any(p.startswith("/mirror/") for p, _ in world.gh.requests)  # served, without the proxy


def test_the_proxy_flag_overrides_the_variables(
    world: World, proxy: RecordingProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--proxy wins over an https_proxy that points nowhere."""
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{_closed_port()}")
    flags = [*world.flags(), "-q", "--proxy", proxy.url]
    assert main(["bundle", "fetch", str(world.good), "-o", str(tmp_path / "b"), *flags]) == 0
    assert {r["method"] for r in proxy.close()} == {"CONNECT"}


def test_an_unreachable_proxy_is_one_line_naming_the_proxy(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing listens at --proxy: one line about the proxy, not about each origin; no lock."""
    dead = f"http://127.0.0.1:{_closed_port()}"
    out = tmp_path / "b"
    assert main(["bundle", "fetch", str(world.good), "-o", str(out), *world.flags(), "--proxy", dead]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"egressmap: error: cannot connect to the proxy {dead}: connection refused (check --proxy or "
        "https_proxy/http_proxy, or --no-env-proxy to go direct); no lock written\n"
    )
    assert world.gh.requests == [] and not (out / LOCK_NAME).exists()


def test_a_proxy_that_refuses_the_tunnel_is_named_with_the_url(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An enforcing proxy answers the CONNECT with 403: the message names the proxy and what was fetched."""
    refusing = RecordingProxy(
        tmp_path, decide=lambda raw, port: Verdict(False, raw, "not listed"), enforce=True
    )
    try:
        flags = [*world.flags(), "--proxy", refusing.url]
        assert main(["bundle", "fetch", str(world.good), "-o", str(tmp_path / "b"), *flags]) == 1
    finally:
        records = refusing.close()
    err = capsys.readouterr().err
    assert f"the proxy {refusing.url} did not open the tunnel (" in err and "403" in err
    assert f"fetching {world.gh.api}/repos/Azure/cyclecloud-slurm/releases/tags/3.0.8" in err
    assert records and {r["outcome"] for r in records} == {"denied"}


def test_a_redirect_is_routed_again_and_keeps_no_authorization(world: World, proxy: RecordingProxy) -> None:
    """A 302 from a proxied origin to a no_proxy one: the second hop is direct and carries no token."""
    port = _port(world)
    world.gh.redirects["/hop"] = f"https://localhost:{port}/target"
    world.gh.blobs["/target"] = Blob(b"arrived")
    client = Client(str(world.gh.ca_file), proxies=ProxyChoice(proxy.url, {"no_proxy": "localhost"}))
    body, _ = client.small(f"{world.gh.base}/hop", {"Authorization": "Bearer secret"})
    client.close()
    assert body == b"arrived"
    assert [(p, "authorization" in h) for p, h in world.gh.requests] == [("/hop", True), ("/target", False)]
    assert [(r["method"], r["host"]) for r in proxy.close()] == [("CONNECT", "127.0.0.1")]


def test_routes_follow_the_proxy_variables() -> None:
    """https and http take their own proxy; no_proxy by suffix and CIDR, and other schemes, go direct."""
    env = {
        "https_proxy": "http://p.test:3128",
        "http_proxy": "http://user:pw@q.test:8080",
        "no_proxy": ".internal.test,10.0.0.0/8",
    }
    routes = Routes(ProxyChoice(None, env))
    got = {
        url: (proxy.url if proxy else None)
        for url in (
            "https://github.com/a",
            "http://deb.example/b",
            "https://repo.internal.test/c",
            "https://10.1.2.3/d",
            "ftp://x.test/e",
        )
        for _, proxy in [routes.choose(url)]
    }
    assert got == {
        "https://github.com/a": "http://p.test:3128",
        "http://deb.example/b": "http://q.test:8080",
        "https://repo.internal.test/c": None,
        "https://10.1.2.3/d": None,
        "ftp://x.test/e": None,
    }
    routes.close()
