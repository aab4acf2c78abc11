from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path

import pytest

from egressmap.errors import ConfigError
from egressmap.proxy.setup import build_config, parse_listen, read_hosts

from . import lab
from .lab import NAMES, connect, origins, read_response, until

ROOT = Path(__file__).parents[2]


def test_parse_listen_accepts_addresses_and_refuses_names() -> None:
    """ADDR:PORT, [v6]:PORT and a bare port; a host name is refused."""
    assert parse_listen("[::1]:8080") == ("::1", 8080)
    with pytest.raises(ConfigError, match="IP address"):
        parse_listen("proxy.example.com:3128")


def test_listening_beyond_loopback_needs_allow_client() -> None:
    """0.0.0.0 without --allow-client is refused; 0.0.0.0/0 is refused as an open proxy."""
    with pytest.raises(ConfigError, match="needs --allow-client"):
        build_config(listen="0.0.0.0:3128")
    with pytest.raises(ConfigError, match="open proxy"):
        build_config(listen="0.0.0.0:3128", allow_clients=["0.0.0.0/0"])
    config, _ = build_config(listen="0.0.0.0:3128", allow_clients=["10.0.0.0/8"])
    assert [str(n) for n in config.allow_clients] == ["10.0.0.0/8"]


def test_enforce_reads_policy_and_expands_regions(tmp_path: Path) -> None:
    """--enforce loads a policy; templates expand for the policy's regions unless --region says otherwise."""
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "schema: egressmap.policy/1\nregions: [us-east-1]\nentries:\n"
        "- {pattern: 'ec2.{region}.amazonaws.com', ports: [443]}\n"
    )
    config, rejected = build_config(enforce=str(policy))
    assert config.enforce and rejected == ()
    assert config.decide("EC2.us-east-1.amazonaws.com.", 443).allowed
    assert not config.decide("ec2.eu-west-1.amazonaws.com", 443).allowed
    config, _ = build_config(enforce=str(policy), regions=["eu-west-1"])
    assert config.decide("ec2.eu-west-1.amazonaws.com", 443).allowed


def test_hosts_file_and_bad_lines(tmp_path: Path) -> None:
    """A hosts file maps normalised names; a bad address names its line."""
    hosts = tmp_path / "hosts"
    hosts.write_text("# lab\n127.0.0.1 Mirror.Test. other.test\n\n::1 mirror.test\n")
    assert read_hosts(str(hosts)) == {"mirror.test": ["127.0.0.1", "::1"], "other.test": ["127.0.0.1"]}
    hosts.write_text("999.1.1.1 x.test\n")
    with pytest.raises(ConfigError, match=":1:"):
        read_hosts(str(hosts))


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_flushes_every_record(tmp_path: Path, workers: int) -> None:
    """`python -m egressmap proxy [--workers 2]`, SIGTERM mid-request with tunnels open: one record each."""
    hosts, record = tmp_path / "hosts", tmp_path / "record.jsonl"
    hosts.write_text("127.0.0.1 " + " ".join(NAMES) + "\n")

    async def scenario() -> int:
        async with origins() as o:
            env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "egressmap", "proxy", "-q", "--listen", "127.0.0.1:0",
                "--record", str(record), "--hosts-file", str(hosts), "--workers", str(workers),
                stderr=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, env=env,
            )  # fmt: skip
            assert proc.stderr is not None
            line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
            port = int(line.split(" on ")[1].split()[0].rpartition(":")[2])
            sent = 0
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for i in range(20):
                writer.write(f"GET http://allowed.test:{o['http']}/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert (await read_response(reader))[0] == 200
                sent += 1
            tunnels = []
            for _ in range(5):
                r, w, _ = await connect(port, f"allowed.test:{o['echo']}")
                w.write(b"hi")
                await r.readexactly(2)
                tunnels.append(w)
                sent += 1
            slow_before = len(lab.slow_requests)
            writer.write(f"GET http://allowed.test:{o['http']}/slow HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            sent += 1
            await until(lambda: len(lab.slow_requests) > slow_before, "at the origin")  # in progress
            proc.send_signal(signal.SIGTERM)
            assert (await read_response(reader))[0] == 200  # the request in progress still completes
            assert await asyncio.wait_for(proc.wait(), 60) == 0
            writer.close()
            for w in tunnels:
                w.close()
            return sent

    sent = asyncio.run(scenario())
    lines = record.read_text().splitlines()
    assert len(lines) == sent == 26
    assert sum(json.loads(line)["method"] == "CONNECT" for line in lines) == 5
