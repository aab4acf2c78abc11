from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from egressmap.proxy.commands import Emit, OpenUpstream, Resolve, SendUpstream, StartRelay
from egressmap.proxy.server import allow_all
from egressmap.proxy.transparent import TransparentCore

from .lab import client_hello, make_policy

ROOT = Path(__file__).parents[2]


def core(enforce: bool = True) -> TransparentCore:
    from egressmap.proxy.allow import Allowlist

    decide = (
        Allowlist.from_policy(make_policy(("a.example", [443, 80], "exact"))).check if enforce else allow_all
    )
    return TransparentCore("10.0.0.5:4000", ("192.0.2.10", 443), decide, enforce=enforce)


def test_sni_must_be_allowed_and_resolve_to_the_original_destination() -> None:
    """An allowed SNI is resolved; the original address among its addresses lets the hello through."""
    c = core()
    hello = client_hello("a.example")
    assert c.client_data(hello) == [Resolve("a.example")]
    assert c.resolved(["192.0.2.10"]) == [OpenUpstream("192.0.2.10", 443)]
    assert c.upstream_connected() == [SendUpstream(hello), StartRelay()]
    (record,) = [x.record for x in c.finish(1, 2) if isinstance(x, Emit)]
    assert (record.mode, record.method, record.host, record.sni, record.outcome) == (
        "transparent", "TLS", "a.example", "a.example", "allowed"
    )  # fmt: skip


def test_sni_resolving_elsewhere_is_denied_in_enforce_and_flagged_in_audit() -> None:
    """An allowed name pointing at another address is a mismatch: denied (enforce) or flagged (audit)."""
    c = core()
    c.client_data(client_hello("a.example"))
    out = c.resolved(["198.51.100.7"])
    (record,) = [x.record for x in out if isinstance(x, Emit)]
    assert record.outcome == "denied" and record.sni_mismatch and "original destination" in record.reason
    audit = core(enforce=False)
    audit.client_data(client_hello("a.example"))
    assert audit.resolved(["198.51.100.7"]) == [OpenUpstream("192.0.2.10", 443)]
    assert audit.record.sni_mismatch


def test_http_host_header_names_the_destination() -> None:
    """Plain HTTP: the Host header is the name, checked like an SNI; the URL is recorded."""
    c = TransparentCore("c", ("192.0.2.10", 80), core().decide, enforce=True)
    assert c.client_data(b"GET /x?y=1 HTTP/1.1\r\nHo") == []
    assert c.client_data(b"st: A.example\r\n\r\n") == [Resolve("a.example")]
    assert (c.record.method, c.record.url) == ("GET", "http://A.example/x")


def test_no_name_falls_back_to_the_address() -> None:
    """A server-first protocol (nothing sent in time) is decided on the original address alone."""
    c = core()
    out = c.first_timeout()
    (record,) = [x.record for x in out if isinstance(x, Emit)]
    assert record.outcome == "denied" and record.host == "192.0.2.10"
    assert core(enforce=False).first_timeout() == [OpenUpstream("192.0.2.10", 443)]


def _skip_reason() -> str | None:
    if sys.platform != "linux":
        return "transparent mode needs Linux (SO_ORIGINAL_DST)"
    if os.geteuid() != 0:
        return "creating a network namespace with iptables rules needs root"
    for tool in ("unshare", "iptables", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install util-linux iptables iproute2)"
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, timeout=10)
    if probe.returncode != 0:
        return f"unshare --net is not permitted here: {probe.stderr.decode().strip()[:200]}"
    return None


def test_iptables_redirect_into_the_transparent_proxy() -> None:
    """In a new netns, REDIRECTed TLS and HTTP are recorded and enforced by SNI/Host and original address."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        ["unshare", "--net", sys.executable, "-m", "tests.proxy.transparent_child"],
        capture_output=True, text=True, timeout=300, cwd=ROOT, env=env,
    )  # fmt: skip
    if done.returncode != 0 and "iptables" in done.stderr and "Permission denied" in done.stderr:
        pytest.skip(f"iptables cannot change the namespace's nat table: {done.stderr[-200:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout)
    assert out["tls_allowed"] == "ping"
    assert out["tls_denied"].startswith("refused") and out["tls_elsewhere"].startswith("refused")
    assert out["http_allowed"] == "HTTP/1.1 200 " and out["http_denied"] == "closed"
    assert sorted((r["host"], r["method"], r["outcome"], r["mode"]) for r in out["records"]) == [
        ("allowed.test", "GET", "allowed", "transparent"),
        ("allowed.test", "TLS", "allowed", "transparent"),
        ("denied.test", "GET", "denied", "transparent"),
        ("denied.test", "TLS", "denied", "transparent"),
        ("elsewhere.test", "TLS", "denied", "transparent"),
    ]
    (elsewhere,) = [r for r in out["records"] if r["host"] == "elsewhere.test"]
    assert "original destination" in elsewhere["reason"]
