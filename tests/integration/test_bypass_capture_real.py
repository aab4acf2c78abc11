"""A real capture: tcpdump on loopback while curl fetches one name through `egressmap proxy` and one around it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from egressmap.cli import main

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60
"""Longest wait for a process to start or stop (generous: a busy machine must not fail the test)."""


class _Origin(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        body = b"ok\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def origin() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if found is None:
        pytest.skip(f"{name} is not installed (scripts/test installs it from apt)")
    return found


def test_the_bypass_finding_names_what_went_around_the_proxy(tmp_path: Path, origin: int) -> None:
    tcpdump, curl = _tool("tcpdump"), _tool("curl")
    if os.geteuid() != 0:
        pytest.skip("capturing on loopback needs root (CI runs as root)")
    hosts, record, capture = tmp_path / "hosts", tmp_path / "record.jsonl", tmp_path / "lo.pcap"
    hosts.write_text("127.0.0.1 through.test\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proxy = subprocess.Popen(
        [sys.executable, "-m", "egressmap", "proxy", "-q", "--listen", "127.0.0.1:0",
         "--record", str(record), "--hosts-file", str(hosts)],
        stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env, text=True,
    )  # fmt: skip
    dump: subprocess.Popen[str] | None = None
    try:
        assert proxy.stderr is not None
        line = proxy.stderr.readline()
        proxy_port = int(line.split(" on ")[1].split()[0].rpartition(":")[2])
        dump = subprocess.Popen(
            [tcpdump, "-i", "lo", "-n", "-U", "--immediate-mode", "-w", str(capture),
             f"tcp port {origin} or tcp port {proxy_port}"],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert dump.stderr is not None
        assert "listening on" in dump.stderr.readline()  # tcpdump says so once the capture runs
        through = subprocess.run(
            [curl, "-sS", "--max-time", str(WAIT), "-x", f"http://127.0.0.1:{proxy_port}",
             f"http://through.test:{origin}/through"],
            capture_output=True, text=True, env={**env, "no_proxy": ""}, check=False,
        )  # fmt: skip
        around = subprocess.run(
            [curl, "-sS", "--max-time", str(WAIT), "--noproxy", "*",
             "--resolve", f"around.test:{origin}:127.0.0.1", f"http://around.test:{origin}/around"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert through.stdout == around.stdout == "ok\n", (through.stderr, around.stderr)
    finally:
        dump_err = ""
        if dump is not None:
            dump.send_signal(signal.SIGINT)  # tcpdump writes what it holds and exits
            dump_err = dump.communicate(timeout=WAIT)[1]
        proxy.send_signal(signal.SIGTERM)  # the proxy writes its last records and exits
        proxy.communicate(timeout=WAIT)
    assert dump is not None and dump.returncode == 0 and "\n0 packets dropped by kernel" in f"\n{dump_err}"
    return_check(record, capture)


def return_check(record: Path, capture: Path) -> None:
    """What scan makes of the record and the capture."""
    import io
    from contextlib import redirect_stdout

    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["scan", "--json", str(record), str(capture)]) == 0
    doc = json.loads(out.getvalue())
    formats = {i["input"].rpartition("/")[2]: i["format"] for i in doc["inputs"]}
    assert formats == {"record.jsonl": "record", "lo.pcap": "pcap"}
    hosts = {r["host"] for r in doc["destinations"]}
    assert {"through.test", "around.test"} <= hosts  # the capture saw both; the record only the first
    bypass = doc["bypass"]
    assert [n["host"] for n in bypass["went_around_the_proxy"]] == ["around.test"]
    assert bypass["went_around_the_proxy"][0]["clients"] == ["127.0.0.1"]
    assert bypass["from_hosts_that_never_used_the_proxy"] == []
