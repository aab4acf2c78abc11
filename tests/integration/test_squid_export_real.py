"""The squid exporter's enforce config in a real Squid on loopback: allowed names pass, the rest get 403.

Every wildcard kind is probed at its apex, one label below and two labels below; templates for the
policy's regions and not for others; ports other than the allowed ones; case. Then the audit-mode log
Squid wrote is read back with ``scan --squid-conf`` to show the generated logformat round-trips.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.model import Classification, Entry, Match, Policy

from .squidlab import _connect, _http, _Squid, _start_origins, exported_squid

pytestmark = pytest.mark.squid

NAMES = (
    "exact.egressmap.test sub.exact.egressmap.test xexact.egressmap.test "
    "apex.egressmap.test a.apex.egressmap.test a.b.apex.egressmap.test "
    "subs.egressmap.test a.subs.egressmap.test a.b.subs.egressmap.test "
    "one.egressmap.test a.one.egressmap.test a.b.one.egressmap.test "
    "svc.us-east-1.egressmap.test svc.eu-west-1.egressmap.test svc.ap-south-1.egressmap.test "
    "onlyhttp.egressmap.test other.egressmap.test"
).split()


@dataclass
class Lab:
    """A running Squid with the exported config, and the two origin ports."""

    squid: _Squid
    conf: Path
    workdir: Path
    tls_port: int
    http_port: int

    def connect(self, host: str, port: int | None = None) -> int:
        """CONNECT through Squid (payload echoed when allowed); the status Squid answered."""
        return _connect(self.squid.port, f"{host}:{port or self.tls_port}", b"ping\n")

    def get(self, host: str) -> int:
        """GET an absolute http:// URL through Squid; the status."""
        return _http(self.squid.port, "GET", f"http://{host}:{self.http_port}/file.tar.gz")


def _policy(tls: int, http: int) -> Policy:
    def entry(
        pattern: str, match: Match = "exact", hosts: tuple[str, ...] = (), ports: tuple[int, ...] = ()
    ) -> Entry:
        return Entry(
            pattern,
            hosts or (pattern.removeprefix("*."),),
            ports or (tls, http),
            Classification(),
            "observed",
            1,
            0,
            ("observed: integration test",),
            (),
            match=match,
        )

    return Policy(
        (
            entry("exact.egressmap.test"),
            entry("*.apex.egressmap.test", "apex-and-subdomains"),
            entry("*.subs.egressmap.test", "subdomains"),
            entry("*.one.egressmap.test", "one-label"),
            entry("svc.{region}.egressmap.test", hosts=("svc.us-east-1.egressmap.test",)),
            entry("onlyhttp.egressmap.test", ports=(http,)),
        ),
        regions=("eu-west-1", "us-east-1"),
    )


def _start(mode: str) -> Iterator[Lab]:
    origins = _start_origins()
    try:
        policy = _policy(origins.echo_port, origins.http_port)
        with exported_squid(policy, NAMES, mode) as (proxy, conf, workdir):
            yield Lab(proxy, conf, workdir, origins.echo_port, origins.http_port)
    finally:
        origins.close()


@pytest.fixture(scope="module")
def enforce() -> Iterator[Lab]:
    """Squid running the enforce export of the test policy."""
    yield from _start("enforce")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("exact.egressmap.test", True),
        ("EXACT.EgressMap.test", True),
        ("sub.exact.egressmap.test", False),
        ("xexact.egressmap.test", False),
        ("apex.egressmap.test", True),
        ("a.apex.egressmap.test", True),
        ("a.b.apex.egressmap.test", True),
        ("subs.egressmap.test", False),
        ("a.subs.egressmap.test", True),
        ("a.b.subs.egressmap.test", True),
        ("one.egressmap.test", False),
        ("a.one.egressmap.test", True),
        ("a.b.one.egressmap.test", False),
        ("svc.us-east-1.egressmap.test", True),
        ("svc.eu-west-1.egressmap.test", True),
        ("svc.ap-south-1.egressmap.test", False),
        ("other.egressmap.test", False),
    ],
)
def test_enforce_allows_exactly_the_policy(enforce: Lab, host: str, allowed: bool) -> None:
    """CONNECT and plain GET both pass for allowed names and get 403 from Squid for the rest."""
    want = 200 if allowed else 403
    assert (enforce.connect(host), enforce.get(host)) == (want, want)


def test_enforce_keeps_ports_per_entry(enforce: Lab) -> None:
    """A name allowed on one port is denied on another, and an unlisted port is denied for every name."""
    assert enforce.get("onlyhttp.egressmap.test") == 200
    assert enforce.connect("onlyhttp.egressmap.test") == 403
    assert (
        enforce.connect("exact.egressmap.test", enforce.http_port + 1 if enforce.http_port < 65535 else 1025)
        == 403
    )


def test_audit_allows_everything_and_logs_it_readably(capsys: pytest.CaptureFixture[str]) -> None:
    """Audit mode passes names the policy lacks; scan reads the log through the exported logformat."""
    for lab in _start("audit"):
        assert lab.connect("other.egressmap.test") == 200
        assert lab.get("a.b.one.egressmap.test") == 200
        lab.squid.stop()
        assert main(["scan", "--squid-conf", str(lab.conf), str(lab.workdir / "access.log"), "--json"]) == 0
        rows = json.loads(capsys.readouterr().out)["destinations"]
        seen = {(r["host"], r["port"]): r for r in rows}
        assert ("other.egressmap.test", lab.tls_port) in seen
        assert ("a.b.one.egressmap.test", lab.http_port) in seen
        assert all(r["denied"] == 0 for r in rows)


def test_metadata_and_loopback_entries_never_reach_squid() -> None:
    """Issue 14 finding 5: a hand-edited policy allowing IMDS and loopback gets 403 from a real Squid.

    On the code before issue 14 the export wrote allow rules for them and Squid forwarded
    ``GET http://169.254.169.254/latest/meta-data/iam/security-credentials/`` (no 403: it tried to connect).
    """
    origins = _start_origins()
    try:
        policy = _policy(origins.echo_port, origins.http_port)
        bad = [
            Entry(
                host,
                (host,),
                (80, origins.http_port),
                Classification(),
                "observed",
                1,
                0,
                ("observed: x",),
                (),
            )
            for host in ("169.254.169.254", "127.0.0.1", "0.0.0.0")
        ]
        policy = Policy((*policy.entries, *bad), regions=policy.regions)
        with exported_squid(policy, NAMES) as (proxy, conf, _):
            text = conf.read_text(encoding="utf-8")
            assert "169.254.169.254" not in text and "127.0.0.1 " not in text
            imds = _http(
                proxy.port, "GET", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"
            )
            loop = _http(proxy.port, "GET", f"http://127.0.0.1:{origins.http_port}/file.tar.gz")
            assert (imds, loop) == (403, 403)
            assert _http(proxy.port, "GET", f"http://exact.egressmap.test:{origins.http_port}/x") == 200
    finally:
        origins.close()
