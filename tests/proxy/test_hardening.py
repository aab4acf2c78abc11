"""Issue 14, findings 7-11 and 13: attacks on the proxy on loopback (12: test_clients.py). Each fails on main."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from egressmap.errors import ConfigError
from egressmap.proxy.record import Record
from egressmap.proxy.server import ProxyConfig, ProxyServer
from egressmap.proxy.setup import build_config

from .lab import HOSTS, TIMEOUT, closed, connect, enforcing, make_policy, origins, read_response, running


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run a scenario with a generous overall bound."""
    asyncio.run(asyncio.wait_for(coro, 60))


def records(server: ProxyServer) -> list[Record]:
    """Collect the server's records as they are emitted."""
    seen: list[Record] = []
    server.on_record = seen.append
    return seen


async def until(condition: Any) -> None:
    """Wait (bounded by the scenario's timeout) until ``condition()`` is true."""
    while not condition():
        await asyncio.sleep(0.01)


# --- finding 8: Content-Length with Transfer-Encoding --------------------------------------------------


def test_content_length_with_transfer_encoding_is_refused() -> None:
    """Finding 8: both framing headers get 400 and a closed connection; the origin never sees it (main: 200)."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"POST http://allowed.test:{o['http']}/up HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
                "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n".encode()
            )
            status, headers, body = await read_response(reader)
            assert status == 400 and b"Transfer-Encoding" in body
            assert headers.get("connection") == "close" and await closed(reader)
            writer.close()
        assert [(r.status, r.outcome) for r in seen] == [(400, "failed")]
        assert seen[0].bytes_down == 0

    run(scenario())


# --- finding 9: per-client share of the cap, keep-alive timeout --------------------------------------


def test_one_client_cannot_take_the_whole_connection_cap() -> None:
    """Finding 9: a client at --max-conns-per-client gets 503; another client is still served."""

    async def scenario() -> None:
        config = ProxyConfig(port=0, hosts=HOSTS, max_connections=10, max_conns_per_client=2)
        async with origins() as o, running(config) as (server, port):
            hogs = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
            await until(lambda: len(server.conns) == 2)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert (await asyncio.wait_for(reader.read(), TIMEOUT)).startswith(b"HTTP/1.1 503")
            writer.close()
            reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=("127.0.0.2", 0))
            writer.write(f"GET http://allowed.test:{o['http']}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert (await read_response(reader))[0] == 200
            writer.close()
            for _, hog in hogs:
                hog.close()
            assert server.stats.over_cap == 1

    run(scenario())


def test_default_share_is_a_quarter_of_the_cap() -> None:
    """Finding 9: --max-conns-per-client defaults to a quarter of --max-connections."""
    assert build_config(listen="127.0.0.1:0", max_connections=8192)[0].max_conns_per_client == 2048
    assert build_config(listen="127.0.0.1:0", max_conns_per_client=5)[0].max_conns_per_client == 5
    with pytest.raises(ConfigError, match="max-conns-per-client"):
        build_config(listen="127.0.0.1:0", max_conns_per_client=0)


def test_idle_keep_alive_connection_is_closed_after_the_keepalive_timeout() -> None:
    """Finding 9: between requests the client-side keep-alive timeout (Squid's 2 min default) applies."""

    async def scenario() -> None:
        config = ProxyConfig(port=0, hosts=HOSTS, keepalive_timeout=0.3)
        async with origins() as o, running(config) as (server, port):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET http://allowed.test:{o['http']}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert (await read_response(reader))[0] == 200
            assert await closed(reader)
            await until(lambda: not server.conns)
            writer.close()

    run(scenario())


# --- finding 10: the self-connect guard -----------------------------------------------------------------


def test_connect_to_the_proxy_itself_is_refused_in_any_spelling() -> None:
    """Finding 10: IPv4-mapped IPv6 and numeric forms of the proxy's own address get 502, no nested hop."""

    async def scenario() -> None:
        async with running() as (server, port):
            seen = records(server)
            for target in (f"[::ffff:127.0.0.1]:{port}", f"0x7f000001:{port}", f"[::1]:{port}"):
                _, writer, status = await connect(port, target)
                assert status == 502, target
                writer.close()
            await until(lambda: len(seen) == 3)
            assert server.stats.connections == 3  # the three clients, never the proxy itself
        assert all("proxy itself" in r.reason for r in seen)

    run(scenario())


# --- finding 13: numeric IPv4 forms -----------------------------------------------------------------------


def test_numeric_ipv4_forms_are_recorded_as_the_address_they_reach() -> None:
    """Finding 13: audit mode records 0x7f000001, 127.0.0.0x1, 127.1 as 127.0.0.1 (main: names, or refused)."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            for spelling in ("0x7f000001", "127.0.0.0x1", "127.1", "0177.0.0.1", "2130706433"):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(f"GET http://{spelling}:{o['http']}/ HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                assert (await read_response(reader))[0] == 200, spelling
                writer.close()
            _, writer, status = await connect(port, f"127.0.0.0x1:{o['echo']}")
            assert status == 200
            writer.close()
            await until(lambda: len(seen) == 6)
        assert {(r.host, r.outcome) for r in seen} == {("127.0.0.1", "allowed")}

    run(scenario())


def test_numeric_ipv4_forms_are_checked_as_the_address_in_enforce_mode() -> None:
    """Finding 13: in enforce mode a numeric form is denied as the IP it is, not as an invalid name."""

    async def scenario() -> None:
        config = enforcing(make_policy(("allowed.test", [80], "exact")))
        async with running(config) as (server, port):
            seen = records(server)
            _, writer, status = await connect(port, "2130706433:80")
            assert status == 403
            writer.close()
        assert (seen[0].host, seen[0].reason) == ("127.0.0.1", "IP address 127.0.0.1 is not in the policy")

    run(scenario())


# --- finding 11: open-files limit -----------------------------------------------------------------------

ROOT = Path(__file__).parents[2]


def _limit(soft: int, hard: int) -> Callable[[], None]:
    """A preexec function that sets RLIMIT_NOFILE in the child only."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    return apply


async def _tunnels(port: int, target: str, count: int) -> tuple[list[int], list[asyncio.StreamWriter]]:
    """Open ``count`` tunnels one after another; keep the established ones open; their statuses."""
    statuses, held = [], []
    for _ in range(count):
        try:
            _, writer, status = await connect(port, target)
        except (ConnectionError, asyncio.IncompleteReadError) as exc:
            raise AssertionError(f"the proxy dropped a client without an answer ({exc!r})") from None
        statuses.append(status)
        if status == 200:
            held.append(writer)
        else:
            writer.close()
    return statuses, held


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    return err


def _outcomes(record: Path) -> list[str]:
    return [json.loads(line)["outcome"] for line in record.read_text().splitlines()]


def test_out_of_descriptors_is_503_without_failed_records_or_tracebacks(tmp_path: Path) -> None:
    """Finding 11: descriptors run out for real: clients get 503, no failed record, no traceback (main: 502)."""
    record = tmp_path / "r.jsonl"
    cmd = [sys.executable, "-m", "tests.proxy.descriptor_child", "48", str(record)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().split()[1])

        async def scenario() -> None:
            async with origins() as o:
                started = time.monotonic()
                statuses, held = await _tunnels(port, f"allowed.test:{o['echo']}", 40)
                elapsed = time.monotonic() - started
                assert set(statuses) == {200, 503}, statuses
                for writer in held:
                    writer.close()
                await asyncio.sleep(0.1)
                scenario.elapsed = elapsed  # type: ignore[attr-defined]

        run(scenario())
    finally:
        err = _stop(proc)
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if "out of resources" in line]
    assert 1 <= len(lines) <= int(scenario.elapsed) + 2  # type: ignore[attr-defined]  # one a second at most
    assert "failed" not in _outcomes(record)


def test_soft_limit_is_raised_and_caps_the_connections(tmp_path: Path) -> None:
    """Finding 11: soft 40 / hard 128 is raised to 128, the cap fits it, over it clients get 503 (main: 502)."""
    record, hosts = tmp_path / "r.jsonl", tmp_path / "hosts"
    hosts.write_text("127.0.0.1 allowed.test\n")
    cmd = [sys.executable, "-m", "egressmap", "proxy", "-q", "--listen", "127.0.0.1:0"]
    cmd += ["--hosts-file", str(hosts), "--record", str(record)]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True, preexec_fn=_limit(40, 128)
    )
    try:
        assert proc.stderr is not None
        announce = proc.stderr.readline()
        assert "open files limit 128: at most 48 connections" in announce, announce
        port = int(announce.split("listening on 127.0.0.1:")[1].split()[0])

        async def scenario() -> None:
            async with origins() as o:
                statuses, held = await _tunnels(port, f"allowed.test:{o['echo']}", 60)
                assert statuses.count(200) == 48 and set(statuses[48:]) == {503}
                for writer in held:
                    writer.close()
                await asyncio.sleep(0.1)

        run(scenario())
    finally:
        err = _stop(proc)
    assert "Traceback" not in err and "failed" not in _outcomes(record)


# --- finding 7: plain HTTP inside an enforce-mode tunnel -------------------------------------------------


def test_host_fronting_inside_a_tunnel_is_refused_and_recorded() -> None:
    """Finding 7: CONNECT allowed.test, then GET with Host: denied.test: 403, closed, both recorded (main: 200)."""

    async def scenario() -> None:
        async with origins() as o:
            policy = make_policy(("allowed.test", [o["http"]], "exact"), ("other.test", [o["http"]], "exact"))
            async with running(enforcing(policy)) as (server, port):
                seen = records(server)
                reader, writer, status = await connect(port, f"allowed.test:{o['http']}")
                assert status == 200
                writer.write(b"GET /secret HTTP/1.1\r\nHost: denied.test\r\n\r\n")
                status, _, body = await read_response(reader)
                assert status == 403 and b"denied.test" in body and await closed(reader)
                writer.close()
                await until(lambda: len(seen) == 2)
        tunnel, inner = sorted(seen, key=lambda r: r.method)  # CONNECT, GET
        assert (inner.host, inner.method, inner.outcome, inner.status) == (
            "denied.test",
            "GET",
            "denied",
            403,
        )
        assert (tunnel.host, tunnel.method, tunnel.outcome) == ("allowed.test", "CONNECT", "denied")
        assert "Host denied.test" in tunnel.reason

    run(scenario())


def test_allowed_requests_inside_a_tunnel_pass_until_one_is_not() -> None:
    """Finding 7: keep-alive requests for allowed Hosts reach the origin; a later fronted one closes the tunnel."""

    async def scenario() -> None:
        async with origins() as o:
            policy = make_policy(("allowed.test", [o["http"]], "exact"), ("other.test", [o["http"]], "exact"))
            async with running(enforcing(policy)) as (server, port):
                seen = records(server)
                reader, writer, _ = await connect(port, f"allowed.test:{o['http']}")
                for host in ("allowed.test", "other.test:1234", "Allowed.Test."):
                    writer.write(f"POST /x HTTP/1.1\r\nHost: {host}\r\nContent-Length: 3\r\n\r\nabc".encode())
                    status, _, body = await read_response(reader)
                    assert status == 200 and body.endswith(f"host={host} body=abc".encode())
                writer.write(b"GET http://denied.test/ HTTP/1.1\r\nHost: allowed.test\r\n\r\n")
                assert await closed(reader)
                writer.close()
                await until(lambda: len(seen) == 2)
        assert {(r.host, r.outcome) for r in seen} == {("denied.test", "denied"), ("allowed.test", "denied")}

    run(scenario())


def test_smuggled_and_upgraded_requests_inside_a_tunnel_are_refused() -> None:
    """Finding 7 and 8: inside a tunnel, CL+TE framing and protocol upgrades are refused too."""

    async def scenario() -> None:
        async with origins() as o:
            policy = make_policy(("allowed.test", [o["http"]], "exact"))
            async with running(enforcing(policy)) as (server, port):
                seen = records(server)
                for extra in (
                    "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
                    "Upgrade: websocket\r\n",
                ):
                    reader, writer, _ = await connect(port, f"allowed.test:{o['http']}")
                    writer.write(f"POST / HTTP/1.1\r\nHost: allowed.test\r\n{extra}\r\n0\r\n\r\n".encode())
                    assert (await read_response(reader))[0] == 403
                    writer.close()
                await until(lambda: len(seen) == 4)
        assert all(r.outcome == "denied" for r in seen)

    run(scenario())


def test_non_http_tunnels_are_relayed_in_enforce_mode() -> None:
    """Finding 7: an SSH-like banner or binary bytes are not HTTP: relayed unchanged, as before."""

    async def scenario() -> None:
        async with origins() as o:
            policy = make_policy(("allowed.test", [o["echo"]], "exact"))
            async with running(enforcing(policy)) as (server, port):
                for first in (b"SSH-2.0-OpenSSH_9.6\r\n", b"AMQP\x00\x00\x09\x01", b"EHLO client.test\r\n"):
                    reader, writer, _ = await connect(port, f"allowed.test:{o['echo']}")
                    writer.write(first)
                    assert await asyncio.wait_for(reader.readexactly(len(first)), TIMEOUT) == first
                    writer.close()

    run(scenario())
