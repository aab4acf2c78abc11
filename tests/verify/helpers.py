"""Run ``egressmap verify`` through ``main`` and read its JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from egressmap.cli import main

from .servers import Lab


def lab_flags(lab: Lab, *https_ports: int) -> list[str]:
    """Point DNS at the lab's server, trust its CA, and mark the TLS ports.

    The stage timeout is generous: no test here waits on it, so a busy machine cannot turn a slow answer
    into a timeout (tests that want a timeout give their own, against a server that never answers).
    """
    flags = ["--dns-server", f"127.0.0.1:{lab.dns_port}", "--ca-file", str(lab.ca_file), "--timeout", "10"]
    for port in (lab.tls_port, *https_ports):
        flags += ["--protocol", f"{port}=https"]
    return flags


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    """Exit code and parsed ``--json`` output of one verify run."""
    code = main(["verify", *argv, "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def by_target(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Results keyed by ``host:port``."""
    return {r["target"]: r for r in doc["results"]}
