"""verify through egressmap's own enforcing proxy: the two features agree on what the policy allows."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from egressmap.policy_file import dump_yaml
from egressmap.proxy.allow import Allowlist
from egressmap.proxy.server import ProxyConfig, ProxyServer

from ..proxy.lab import make_policy
from .helpers import by_target, lab_flags, run_json
from .servers import Lab


@pytest.fixture(scope="module")
def enforcing(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """egressmap proxy enforcing allowed.egressmap.test on the TLS origin's port, in a thread of its own."""
    policy = make_policy(("allowed.egressmap.test", [lab.tls_port], "exact"))
    path = tmp_path_factory.mktemp("verify-own-proxy") / "policy.yaml"
    path.write_text(dump_yaml(policy))
    hosts = {n: ["127.0.0.1"] for n in ("allowed.egressmap.test", "other.egressmap.test")}
    config = ProxyConfig(port=0, hosts=hosts, decide=Allowlist.from_policy(policy).check, enforce=True)
    loop = asyncio.new_event_loop()
    server = ProxyServer(config)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    _, port = asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield f"http://127.0.0.1:{port}", path
    finally:
        asyncio.run_coroutine_threadsafe(server.shutdown(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def test_allowed_passes_and_denied_stops_at_egressmap(
    lab: Lab, enforcing: tuple[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """The policy's entry passes every stage; another name gets the proxy's 403, named by Proxy-Status."""
    proxy, policy = enforcing
    other = f"other.egressmap.test:{lab.tls_port}"
    flags = [*lab_flags(lab), "--proxy", proxy, "--no-canary", "--expect-blocked", other]
    code, doc = run_json(capsys, str(policy), *flags)
    results = by_target(doc)
    assert code == 0, doc
    assert results[f"allowed.egressmap.test:{lab.tls_port}"]["summary"] == "http: HTTP 200 OK"
    assert results[other]["summary"] == "proxy: 403 from egressmap (http_request_denied)"
