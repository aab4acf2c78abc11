"""verify through a real Squid running the squid exporter's enforce config (the [3/5] export).

Squid resolves the test names to 127.0.0.1 through its hosts_file; the origins are the trustme TLS server
and the plain HTTP server. Allowed entries pass every stage through the proxy; a name the policy does not
allow stops at ``proxy: 403 from squid``; ``--expect-blocked`` on that name passes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from egressmap.model import Classification, Entry, Match, Policy
from egressmap.policy_file import dump_yaml

from ..integration.squidlab import exported_squid
from .helpers import by_target, lab_flags, run_json
from .servers import Lab

pytestmark = pytest.mark.squid

NAMES = ["allowed.egressmap.test", "a.wild.egressmap.test", "other.egressmap.test"]


@dataclass
class Setup:
    """Squid's port and the policy file it enforces."""

    proxy: str
    policy: Path


def _entry(
    pattern: str, ports: tuple[int, ...], match: Match = "exact", hosts: tuple[str, ...] = ()
) -> Entry:
    return Entry(
        pattern,
        hosts or (pattern,),
        ports,
        Classification(),
        "observed",
        1,
        0,
        ("observed: test",),
        (),
        match=match,
    )


@pytest.fixture(scope="module")
def squid(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    """Squid enforcing a policy of one exact name (TLS and HTTP ports) and one wildcard (TLS port)."""
    policy = Policy(
        (
            _entry("allowed.egressmap.test", (lab.tls_port, lab.http_port)),
            _entry("*.wild.egressmap.test", (lab.tls_port,), "subdomains", ("a.wild.egressmap.test",)),
        )
    )
    path = tmp_path_factory.mktemp("verify-squid") / "policy.yaml"
    path.write_text(dump_yaml(policy))
    with exported_squid(policy, NAMES, "enforce") as (proxy, _, _):
        yield Setup(f"http://127.0.0.1:{proxy.port}", path)


def _flags(lab: Lab, setup: Setup) -> list[str]:
    return [*lab_flags(lab), "--protocol", f"{lab.http_port}=http", "--proxy", setup.proxy, "--no-canary"]


def test_every_allowed_entry_passes_through_squid(
    lab: Lab, squid: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """CONNECT + TLS + HTTP for TLS entries, an absolute-URI request for the plain one; the wildcard by its
    observed name."""
    code, doc = run_json(capsys, str(squid.policy), *_flags(lab, squid))
    results = by_target(doc)
    tls = results[f"allowed.egressmap.test:{lab.tls_port}"]
    wild = results[f"a.wild.egressmap.test:{lab.tls_port}"]
    plain = results[f"allowed.egressmap.test:{lab.http_port}"]
    assert code == 0, doc
    assert len(results) == 3
    for result in (tls, wild):
        assert [s["stage"] for s in result["stages"]] == ["tcp", "proxy", "tls", "http"]
        assert result["stages"][1]["detail"] == "CONNECT 200"
        assert result["route"] == squid.proxy.join(["proxy ", ""])
    assert wild["pattern"] == "*.wild.egressmap.test" and wild["note"] == "sample the policy saw"
    assert [s["stage"] for s in plain["stages"]] == ["tcp", "http"]
    assert plain["stages"][1]["detail"] == "HTTP 200 OK"


def test_a_denied_destination_stops_at_the_proxy(
    lab: Lab, squid: Setup, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name the policy leaves out gets Squid's 403, for CONNECT and for plain HTTP alike."""
    listed = tmp_path / "list.txt"
    listed.write_text(f"other.egressmap.test:{lab.tls_port}\nhttp://other.egressmap.test:{lab.http_port}/\n")
    code, doc = run_json(capsys, str(listed), *_flags(lab, squid))
    results = by_target(doc)
    assert code == 1
    for port in (lab.tls_port, lab.http_port):
        result = results[f"other.egressmap.test:{port}"]
        assert result["stopped_at"] == "proxy"
        assert result["summary"] == "proxy: 403 from squid (ERR_ACCESS_DENIED)"


def test_expect_blocked_on_a_denied_host_passes(
    lab: Lab, squid: Setup, capsys: pytest.CaptureFixture[str]
) -> None:
    """The policy's entries pass and the denied name, expected blocked, passes too: exit 0."""
    blocked = f"other.egressmap.test:{lab.tls_port}"
    code, doc = run_json(capsys, str(squid.policy), *_flags(lab, squid), "--expect-blocked", blocked)
    results = by_target(doc)
    assert code == 0
    assert results[blocked]["passed"] is True and results[blocked]["stopped_at"] == "proxy"


def test_proxy_variables_and_no_proxy_are_honoured(
    lab: Lab,
    squid: Setup,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """https_proxy sends TLS targets through Squid; a no_proxy suffix sends a name direct, as curl would."""
    monkeypatch.setenv("https_proxy", squid.proxy)
    monkeypatch.setenv("no_proxy", ".wild.egressmap.test")
    listed = tmp_path / "list.txt"
    listed.write_text(f"allowed.egressmap.test:{lab.tls_port}\na.wild.egressmap.test:{lab.tls_port}\n")
    code, doc = run_json(capsys, str(listed), *lab_flags(lab), "--no-canary")
    results = by_target(doc)
    assert code == 0
    assert results[f"allowed.egressmap.test:{lab.tls_port}"]["route"] == f"proxy {squid.proxy}"
    assert results[f"a.wild.egressmap.test:{lab.tls_port}"]["route"] == "direct"
