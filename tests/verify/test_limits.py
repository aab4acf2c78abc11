"""The open-files limit: raised at start, and running out of descriptors reported as ``local``, never as DNS.

Each test runs ``egressmap verify`` in a child process whose RLIMIT_NOFILE was lowered before it started,
against a local DNS server that knows every name and a local TLS origin (both in the lab's process).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import egressmap
from egressmap.verify.limits import raise_open_files_limit

from .servers import Lab, start_lab

NAMES = [f"n{i}.many.egressmap.test" for i in range(300)]


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """A lab whose DNS server answers 300 distinct names with 127.0.0.1."""
    started = start_lab(
        Path(tmp_path_factory.mktemp("limits")),
        ["*.many.egressmap.test"],
        {n: ["127.0.0.1"] for n in NAMES},
    )
    yield started
    started.close()


def _limited(soft: int, hard: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return apply


def _verify(lab: Lab, tmp_path: Path, soft: int, hard: int) -> tuple[int, dict[str, Any], str]:
    """Run verify on every name (concurrency 150) in a child with these limits: exit code, JSON, stderr."""
    listing = tmp_path / "list.txt"
    listing.write_text("".join(f"{n}:{lab.tls_port}\n" for n in NAMES))
    argv = [sys.executable, "-m", "egressmap", "verify", str(listing), "--json", "--no-canary"]
    argv += ["--no-env-proxy", "--dns-server", f"127.0.0.1:{lab.dns_port}", "--ca-file", str(lab.ca_file)]
    argv += ["--protocol", f"{lab.tls_port}=https", "--concurrency", "150", "--timeout", "30"]
    env = {**os.environ, "PYTHONPATH": str(Path(egressmap.__file__).resolve().parents[1])}
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=env,
        preexec_fn=_limited(soft, hard),
        check=False,
        timeout=600,
    )
    assert done.stdout.startswith("{"), done.stderr[-2000:]
    return done.returncode, json.loads(done.stdout), done.stderr


def test_the_soft_limit_is_raised_to_the_hard_limit(many: Lab, tmp_path: Path) -> None:
    """Issue 14, finding 14 (fails before: under a soft limit of 64 the run ran out): 300 names all pass."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1024:
        pytest.skip(f"the hard open-files limit here is {hard}")
    code, doc, _ = _verify(many, tmp_path, 64, min(hard, 4096) if hard != resource.RLIM_INFINITY else 4096)
    assert [r["summary"] for r in doc["results"] if not r["passed"]] == []
    assert code == 0 and doc["summary"]["targets"] == 300


def test_out_of_descriptors_is_local_never_a_dns_result(many: Lab, tmp_path: Path) -> None:
    """Issue 14, finding 14 (fails before: they were `dns: SERVFAIL`): with a hard limit of 64, stage `local`."""
    code, doc, _ = _verify(many, tmp_path, 64, 64)
    failed = [r for r in doc["results"] if not r["passed"]]
    assert code == 1 and failed  # 150 targets in flight need about 300 sockets
    assert {(r["stopped_at"], r["summary"]) for r in failed} == {("local", "local: out of file descriptors")}
    assert all(r["reached"] for r in doc["results"] if r["passed"])


def test_raising_never_fails_and_leaves_soft_equal_to_hard() -> None:
    """In this process (whatever its limits) the call returns the pair in force, soft raised to hard."""
    soft, hard = raise_open_files_limit()
    assert (soft, hard) == resource.getrlimit(resource.RLIMIT_NOFILE)
    assert soft == hard or hard == resource.RLIM_INFINITY
