"""End to end against real loopback servers: every stage succeeds for real, and every stage fails for real."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.verify import ProxyChoice, Resolver, Settings, Target, TargetResult, Verifier
from egressmap.verify.runner import PROBES

from .helpers import by_target, lab_flags, run_json
from .servers import Lab


def _list(tmp_path: Path, *lines: str) -> str:
    path = tmp_path / "list.txt"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_allowed_https_and_http_pass_every_stage(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A TLS origin goes dns -> tcp -> tls -> http; a plain one dns -> tcp -> http; exit 0."""
    tls = f"allowed.egressmap.test:{lab.tls_port}"
    plain = f"allowed.egressmap.test:{lab.http_port}"
    code, doc = run_json(capsys, _list(tmp_path, tls, f"http://{plain}/"), *lab_flags(lab), "--no-canary")
    results = by_target(doc)
    assert code == 0 and doc["passed"] is True
    assert [s["stage"] for s in results[tls]["stages"]] == ["dns", "tcp", "tls", "http"]
    assert results[tls]["stages"][2]["detail"].endswith("certificate valid")
    assert results[tls]["stages"][3]["detail"] == "HTTP 200 OK"
    assert [s["stage"] for s in results[plain]["stages"]] == ["dns", "tcp", "http"]
    assert results[tls]["addresses"] == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("line", "stage", "detail", "timeout"),
    [
        ("missing.egressmap.test:443", "dns", "NXDOMAIN", "10"),
        ("servfail.egressmap.test:443", "dns", "SERVFAIL (no server answered usefully)", "10"),
        ("allowed.egressmap.test:{closed}", "tcp", "connection refused", "10"),
        ("allowed.egressmap.test:{reset}", "tls", "handshake reset", "10"),
        ("allowed.egressmap.test:{silent}", "tls", "timeout after 1s", "1"),
    ],
)
def test_each_failure_stage_is_reported_where_it_happened(
    lab: Lab,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    line: str,
    stage: str,
    detail: str,
    timeout: str,
) -> None:
    """Unresolvable name, closed port, a server that resets the handshake, one that never answers.

    Only the silent server is given a short timeout; its name is pinned (no DNS) and its TCP connect is
    completed by the kernel, so a busy machine cannot make an earlier stage time out instead.
    """
    target = line.format(closed=lab.closed_port, reset=lab.reset_port, silent=lab.silent_port)
    flags = [*lab_flags(lab, lab.reset_port, lab.silent_port), "--timeout", timeout, "--no-canary"]
    if "silent" in line:
        flags += ["--resolve", "allowed.egressmap.test:127.0.0.1"]
    code, doc = run_json(capsys, _list(tmp_path, target), *flags)
    (result,) = doc["results"]
    assert code == 1 and result["passed"] is False
    assert (result["stopped_at"], result["stages"][-1]["detail"]) == (stage, detail)
    assert result["summary"] == f"{stage}: {detail}"


def test_untrusted_and_mismatched_certificates_are_warnings_not_failures(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """TLS works through the path, so the target passes; the certificate problem is reported."""
    untrusted = f"allowed.egressmap.test:{lab.untrusted_tls_port}"
    mismatch = f"nocert.egressmap.test:{lab.tls_port}"
    flags = [*lab_flags(lab, lab.untrusted_tls_port), "--resolve", "nocert.egressmap.test:127.0.0.1"]
    code, doc = run_json(capsys, _list(tmp_path, untrusted, mismatch), *flags, "--no-canary")
    results = by_target(doc)
    assert code == 0
    assert "certificate not valid: unable to get local issuer certificate" in results[untrusted]["summary"]
    assert "Hostname mismatch" in results[mismatch]["stages"][2]["warning"]
    assert results[mismatch]["stages"][0]["detail"] == "1 A, 0 AAAA (from --resolve)"


def test_expect_blocked_passes_when_blocked_and_fails_when_reachable(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Default deny is proven by failure: a reachable expected-blocked host fails the run."""
    blocked = f"allowed.egressmap.test:{lab.closed_port}"
    reachable = f"other.egressmap.test:{lab.tls_port}"
    args = [_list(tmp_path, "# nothing allowed"), *lab_flags(lab), "--expect-blocked", blocked]
    code, doc = run_json(capsys, *args, "--expect-blocked", reachable)
    results = by_target(doc)
    assert code == 1
    assert results[blocked]["passed"] is True and results[blocked]["expect"] == "blocked"
    assert results[reachable]["passed"] is False and results[reachable]["reached"] is True
    assert results["example.com:443"]["passed"] is True  # the default canary: NXDOMAIN here
    assert results["example.com:443"]["summary"] == "dns: NXDOMAIN"


def test_a_list_with_a_line_that_is_not_utf8_is_still_verified(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, finding 14 (fails before: `cannot read`, nothing probed): the other lines are probed."""
    path = tmp_path / "list.txt"
    good = f"allowed.egressmap.test:{lab.tls_port}"
    path.write_bytes(
        f"{good}\nbad\xff.egressmap.test\nhttp://other.egressmap.test:{lab.http_port}/\n".encode("latin-1")
    )
    code, doc = run_json(capsys, str(path), *lab_flags(lab), "--no-canary")
    assert code == 0 and doc["passed"] is True
    assert sorted(by_target(doc)) == [good, f"other.egressmap.test:{lab.http_port}"]
    assert doc["problems"] == [f"{path}:2: not UTF-8 text (byte 0xff at column 4); line skipped"]


def test_resolve_overrides_dns_for_a_name_and_port(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """curl's HOST:PORT:ADDR form applies to that port only; other ports still use DNS."""
    name = "only-in-resolve.egressmap.test"
    lines = [f"{name}:{lab.http_port}", f"{name}:{lab.closed_port}"]
    flags = [*lab_flags(lab), "--resolve", f"{name}:{lab.http_port}:127.0.0.1", "--no-canary"]
    code, doc = run_json(capsys, _list(tmp_path, *lines), "--protocol", f"{lab.http_port}=http", *flags)
    results = by_target(doc)
    assert code == 1
    assert results[lines[0]]["passed"] is True
    assert results[lines[1]]["summary"] == "dns: NXDOMAIN"


def test_no_descriptor_leaks_across_many_probes(lab: Lab) -> None:
    """Successes, refusals, resets and timeouts all close their sockets (all 300 probes run at once).

    Issue 14, finding 15 (failed before on a busy machine: one 0.3 s, later 3 s, timeout for every target,
    so slow successes became timeouts): the targets that must succeed get a generous timeout, and only
    the silent server, which never answers whatever the load, is given a short one.
    """
    resolver = Resolver(overrides={("allowed.egressmap.test", None): ("127.0.0.1",)})
    generous = Verifier(Settings(resolver, timeout=60, ca_file=str(lab.ca_file)), ProxyChoice(None, {}), 250)
    short = Verifier(Settings(resolver, timeout=1, ca_file=str(lab.ca_file)), ProxyChoice(None, {}), 50)
    ports = [
        (lab.tls_port, "https"),
        (lab.http_port, "http"),
        (lab.closed_port, "tcp"),
        (lab.reset_port, "https"),
        (lab.untrusted_tls_port, "https"),
    ]
    targets = [
        Target("allowed.egressmap.test", port, kind)  # type: ignore[arg-type]
        for port, kind in ports
        for _ in range(50)
    ]
    silent = [Target("allowed.egressmap.test", lab.silent_port, "https") for _ in range(50)]

    async def both() -> list[TargetResult]:
        done = await asyncio.gather(generous.run(targets), short.run(silent))
        return [*done[0], *done[1]]

    before = len(os.listdir("/proc/self/fd"))
    results = asyncio.run(both())
    assert len(results) == 300
    assert sum(r.reached for r in results) == 150
    assert not any(r.reached for r in results[250:])
    assert len(os.listdir("/proc/self/fd")) <= before  # the servers run in another process


def test_the_deadline_ends_the_run_and_names_what_was_not_probed(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 14, finding 14 (fails before: no --deadline, each lookup waited out its hour): DNS never answers.

    The pinned name finishes; every name waiting on the mute DNS server, and the expected-blocked canary,
    is a failure `not probed: deadline`, and the run says so among its problems (stderr).
    """
    fast = f"pinned.egressmap.test:{lab.http_port}"
    names = [f"silent{i}.egressmap.test:{lab.http_port}" for i in range(5)]
    flags = ["--dns-server", f"127.0.0.1:{lab.mute_dns_port}", "--resolve", "pinned.egressmap.test:127.0.0.1"]
    flags += ["--timeout", "3600", "--deadline", "2", "--concurrency", "3", "--no-env-proxy"]
    code, doc = run_json(capsys, _list(tmp_path, fast, *names), *flags)
    results = by_target(doc)
    assert code == 1 and doc["passed"] is False
    assert results[fast]["passed"] is True and results[fast]["not_probed"] is None
    for name in [*names, "example.com:443"]:
        assert (results[name]["passed"], results[name]["not_probed"]) == (False, "deadline")
        assert results[name]["summary"] == "not probed: deadline" and results[name]["stages"] == []
    assert results["example.com:443"]["expect"] == "blocked"
    assert any(
        p.startswith("the deadline (2s) passed: 6 of 7 destination(s) not probed") for p in doc["problems"]
    )


def test_without_the_flag_the_default_deadline_applies(
    lab: Lab, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No --deadline means DEADLINE (300 s; shortened here), not an unbounded run."""
    monkeypatch.setattr("egressmap.verify.DEADLINE", 0.5)
    flags = ["--dns-server", f"127.0.0.1:{lab.mute_dns_port}", "--timeout", "3600", "--no-canary"]
    code, doc = run_json(capsys, _list(tmp_path, "silent.egressmap.test"), *flags)
    assert code == 1 and [r["summary"] for r in doc["results"]] == ["not probed: deadline"]


def test_a_deadline_closes_every_connection_it_cuts(lab: Lab) -> None:
    """Targets cut mid-stage (a silent TLS server) keep the stages they finished and leak no descriptor."""
    resolver = Resolver(overrides={("allowed.egressmap.test", None): ("127.0.0.1",)})
    settings = Settings(resolver, timeout=3600, ca_file=str(lab.ca_file))
    verifier = Verifier(settings, ProxyChoice(None, {}), 40, deadline=1)
    targets = [Target("allowed.egressmap.test", lab.silent_port, "https") for _ in range(40)]
    before = len(os.listdir("/proc/self/fd"))
    results = asyncio.run(verifier.run(targets))
    assert len(os.listdir("/proc/self/fd")) <= before
    assert all(r.summary.startswith("not probed: deadline") for r in results)
    assert all(s.ok for r in results for s in r.stages)  # the stages finished before the cut
    assert not any(r.passed or r.reached for r in results)


def test_a_deadline_must_be_a_number_of_seconds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A negative or infinite --deadline is refused before anything is probed (0 means none)."""
    for bad in ("-1", "inf", "nan"):
        assert main(["verify", _list(tmp_path, "pypi.org"), "--deadline", bad]) == 1
        assert "--deadline must be a number of seconds (0 for none)" in capsys.readouterr().err


def test_a_probe_bug_fails_its_stage_not_the_run(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """One misbehaving probe is isolated: its stage fails with 'internal error', the run goes on."""

    async def broken(*_: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(PROBES["http"], "attempt", broken)
    resolver = Resolver(overrides={("allowed.egressmap.test", None): ("127.0.0.1",)})
    verifier = Verifier(Settings(resolver, timeout=30), ProxyChoice(None, {}))
    (result,) = asyncio.run(verifier.run([Target("allowed.egressmap.test", lab.http_port, "http")]))
    assert result.summary == "http: internal error: RuntimeError: boom"


def test_tcp_only_ports_stop_after_connect(lab: Lab) -> None:
    """A port that is not HTTP(S) is proven by its TCP connect alone."""
    resolver = Resolver(overrides={("allowed.egressmap.test", None): ("127.0.0.1",)})
    verifier = Verifier(Settings(resolver, timeout=30), ProxyChoice(None, {}))
    (result,) = asyncio.run(verifier.run([Target("allowed.egressmap.test", lab.http_port, "tcp")]))
    assert [r.stage for r in result.stages] == ["dns", "tcp"] and result.passed
