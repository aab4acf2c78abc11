from __future__ import annotations

import asyncio
import ssl
from collections.abc import Coroutine
from typing import Any

from egressmap.proxy.record import Record
from egressmap.proxy.server import ProxyConfig, ProxyServer

from .lab import (
    HOSTS,
    TIMEOUT,
    client_hello,
    closed,
    connect,
    enforcing,
    make_policy,
    origins,
    read_response,
    running,
    until,
)


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(asyncio.wait_for(coro, 120))  # a hang guard, far above any wait a test makes


def records(server: ProxyServer) -> list[Record]:
    seen: list[Record] = []
    server.on_record = seen.append
    return seen


async def _get(port: int, url: str, extra: str = "") -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {url} HTTP/1.1\r\nHost: ignored.test\r\n{extra}\r\n".encode())
    try:
        return await read_response(reader)
    finally:
        writer.close()


def test_plain_http_is_forwarded_in_origin_form_and_recorded() -> None:
    """An absolute-URI GET reaches the origin as /path with the URI's host; the record has no query."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            status, _, body = await _get(port, f"http://Allowed.Test:{o['http']}/a/b?secret=1")
            assert status == 200
            assert body == f"GET /a/b?secret=1 host=allowed.test:{o['http']} body=".encode()
        assert [(r.host, r.port, r.method, r.outcome, r.url) for r in seen] == [
            ("allowed.test", o["http"], "GET", "allowed", f"http://Allowed.Test:{o['http']}/a/b")
        ]
        assert seen[0].bytes_down == len(body) and seen[0].client.startswith("127.0.0.1:")

    run(scenario())


def test_keep_alive_serves_several_requests_on_one_connection() -> None:
    """Three requests, one client connection, one upstream connection, three records."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for i in range(3):
                writer.write(f"GET http://allowed.test:{o['http']}/{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                status, _, body = await read_response(reader)
                assert (status, body.split()[1]) == (200, f"/{i}".encode())
            writer.close()
            assert server.stats.connections == 1
        assert len(seen) == 3

    run(scenario())


def test_chunked_request_and_response_bodies() -> None:
    """A chunked POST body arrives whole at the origin; a chunked response arrives whole at the client."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(
                f"POST http://allowed.test:{o['http']}/up HTTP/1.1\r\nHost: x\r\n"
                "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".encode()
            )
            status, _, body = await read_response(reader)
            assert status == 200 and body.endswith(b"body=hello world")
            writer.write(f"GET http://allowed.test:{o['http']}/chunked HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status, headers, body = await read_response(reader)
            assert (status, headers.get("transfer-encoding"), body) == (200, "chunked", b"one,two,three")
            writer.close()
        assert [(r.method, r.bytes_up) for r in seen] == [("POST", 11), ("GET", 0)]

    run(scenario())


def test_connect_tls_tunnel_records_sni() -> None:
    """A real TLS session through CONNECT works; the record has the SNI, no mismatch, and the bytes."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer, status = await connect(port, f"allowed.test:{o['tls']}")
            assert status == 200
            await writer.start_tls(o["client_ctx"], server_hostname="allowed.test")
            writer.write(b"ping")
            assert await asyncio.wait_for(reader.readexactly(4), TIMEOUT) == b"ping"
            writer.close()
            await until(lambda: not server.conns, "closed by the proxy")
        assert [(r.method, r.host, r.sni, r.sni_mismatch, r.status) for r in seen] == [
            ("CONNECT", "allowed.test", "allowed.test", False, 200)
        ]
        assert seen[0].bytes_up > 300 and seen[0].bytes_down > 300

    run(scenario())


def test_audit_mode_records_sni_mismatch_but_allows() -> None:
    """Audit mode lets a mismatching SNI through and flags it in the record."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer, status = await connect(port, f"allowed.test:{o['echo']}")
            hello = client_hello("denied.test")
            writer.write(hello)
            assert await reader.readexactly(len(hello)) == hello
            writer.close()
            await until(lambda: not server.conns, "closed by the proxy")
        assert [(r.outcome, r.sni, r.sni_mismatch) for r in seen] == [("allowed", "denied.test", True)]

    run(scenario())


def test_enforce_allows_policy_and_denies_the_rest_with_403() -> None:
    """Enforce: the allowed host passes; another host gets 403 with a reason and a denied record."""

    async def scenario() -> None:
        async with origins() as o:
            config = enforcing(make_policy(("allowed.test", [o["http"]], "exact")))
            async with running(config) as (server, port):
                seen = records(server)
                assert (await _get(port, f"http://allowed.test:{o['http']}/"))[0] == 200
                status, _, body = await _get(port, f"http://other.test:{o['http']}/")
                assert status == 403 and b"other.test is not in the policy" in body
        assert [(r.host, r.outcome, r.status) for r in seen] == [
            ("allowed.test", "allowed", 200),
            ("other.test", "denied", 403),
        ]

    run(scenario())


async def _enforced_connect(
    target: str, allowed_port_key: str = "echo", extra_port: bool = False
) -> tuple[int, list[Record]]:
    async with origins() as o:
        ports = [o[allowed_port_key]]
        policy = make_policy(("allowed.test", ports, "exact"), ("xn--mnchen-3ya.test", ports, "exact"))
        async with running(enforcing(policy)) as (server, port):
            seen = records(server)
            _, writer, status = await connect(port, target.format(**o))
            writer.close()
    return status, seen


def test_bypass_by_case_is_not_possible() -> None:
    """Upper case reaches only the allowed name; a denied name in upper case stays denied."""
    assert asyncio.run(_enforced_connect("ALLOWED.Test:{echo}"))[0] == 200
    status, seen = asyncio.run(_enforced_connect("DENIED.TEST:{echo}"))
    assert status == 403 and seen[0].host == "denied.test" and seen[0].outcome == "denied"


def test_bypass_by_trailing_dot_is_not_possible() -> None:
    """A trailing dot is the same name: allowed for allowed.test., denied for denied.test."""
    assert asyncio.run(_enforced_connect("allowed.test.:{echo}"))[0] == 200
    status, seen = asyncio.run(_enforced_connect("denied.test.:{echo}"))
    assert (status, seen[0].host) == (403, "denied.test")


def test_bypass_by_ip_literal_is_not_possible() -> None:
    """The allowed name's address is not allowed as an IP literal (IPv4, IPv6-mapped or bracketed)."""
    for target in ("127.0.0.1:{echo}", "[::ffff:127.0.0.1]:{echo}", "[::1]:{echo}"):
        status, seen = asyncio.run(_enforced_connect(target))
        assert status == 403 and "is not in the policy" in seen[0].reason, target


def test_bypass_by_idn_form_is_not_possible() -> None:
    """The A-label of an allowed IDN passes; percent-encoded and look-alike forms are denied."""
    assert asyncio.run(_enforced_connect("xn--mnchen-3ya.test:{echo}"))[0] == 200
    for target in ("m%C3%BCnchen.test:{echo}", "muenchen.test:{echo}", "xn--mnchen-3ya.test.evil:{echo}"):
        assert asyncio.run(_enforced_connect(target))[0] == 403, target


def test_bypass_by_another_port_is_not_possible() -> None:
    """An allowed name on a port the policy does not list is denied, though something listens there."""
    status, seen = asyncio.run(_enforced_connect("allowed.test:{http}"))
    assert status == 403 and seen[0].reason.startswith("port ")


def test_bypass_by_sni_different_from_connect_host_is_not_possible() -> None:
    """CONNECT to the allowed host with a ClientHello for another: closed before forwarding, denied."""

    async def scenario() -> None:
        async with origins() as o:
            policy = make_policy(("allowed.test", [o["echo"]], "exact"))
            async with running(enforcing(policy)) as (server, port):
                seen = records(server)
                reader, writer, status = await connect(port, f"allowed.test:{o['echo']}")
                assert status == 200
                writer.write(client_hello("denied.test"))
                assert await closed(reader)  # nothing echoed: the hello never reached the origin
                writer.close()
        assert [(r.outcome, r.sni, r.sni_mismatch, r.bytes_up) for r in seen] == [
            ("denied", "denied.test", True, 0)
        ]
        assert "differs from the CONNECT host" in seen[0].reason

    run(scenario())


def test_client_outside_allow_client_is_refused() -> None:
    """With --allow-client 10.0.0.0/8 a loopback client is dropped without an answer or a record."""

    async def scenario() -> None:
        import ipaddress

        config = ProxyConfig(port=0, hosts=HOSTS, allow_clients=(ipaddress.ip_network("10.0.0.0/8"),))
        async with running(config) as (server, port):
            seen = records(server)
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET http://allowed.test/ HTTP/1.1\r\nHost: x\r\n\r\n")
            assert await closed(reader)
            writer.close()
            assert (server.stats.refused, seen) == (1, [])

    run(scenario())


def test_slowloris_head_is_cut_off_by_the_handshake_timeout() -> None:
    """A request head dribbled slower than the handshake timeout is closed."""

    async def scenario() -> None:
        async with running(ProxyConfig(port=0, hosts=HOSTS, handshake_timeout=0.3)) as (_, port):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            for _ in range(3):
                writer.write(b"X-A: b\r\n" if _ else b"GET http://allowed.test/ HTTP/1.1\r\n")
                await asyncio.sleep(0.1)
            assert await closed(reader)  # within TIMEOUT, far below the idle timeout (300 s): the head's
            writer.close()

    run(scenario())


def test_header_size_and_count_limits_answer_431() -> None:
    """Too big a head, or too many fields, gets 431 and a closed connection."""

    async def scenario() -> None:
        async with running() as (_, port):
            big = "X-Big: " + "a" * 20000 + "\r\n"
            many = "".join(f"X-{i}: v\r\n" for i in range(150))
            for extra in (big, many):
                status, headers, _ = await _get(port, "http://allowed.test/", extra)
                assert (status, headers.get("connection")) == (431, "close")

    run(scenario())


def test_half_close_is_passed_on_and_the_tunnel_still_answers() -> None:
    """The client shuts its sending side; the origin sees EOF, answers, and the tunnel closes cleanly."""

    async def scenario() -> None:
        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer, _ = await connect(port, f"allowed.test:{o['echo']}")
            writer.write(b"last words")
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), TIMEOUT) == b"last words<eof>"
            writer.close()
            await until(lambda: not server.conns, "closed by the proxy")
        assert [(r.outcome, r.bytes_up, r.bytes_down) for r in seen] == [("allowed", 10, 15)]

    run(scenario())


def test_reset_by_client_closes_upstream_and_records() -> None:
    """A client reset mid-tunnel aborts the upstream side and the tunnel is still recorded."""

    async def scenario() -> None:
        import socket
        import struct

        async with origins() as o, running() as (server, port):
            seen = records(server)
            reader, writer, _ = await connect(port, f"allowed.test:{o['echo']}")
            writer.write(b"data")
            await reader.readexactly(4)
            sock = writer.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()
            await until(lambda: not server.conns, "closed by the proxy")
        assert [(r.outcome, r.bytes_up) for r in seen] == [("allowed", 4)]
        assert "client reset" in seen[0].reason

    run(scenario())


def test_unreachable_upstream_is_502_and_failed() -> None:
    """Nothing listens: 502 with a reason, outcome failed."""

    async def scenario() -> None:
        async with running() as (server, port):
            seen = records(server)
            _, writer, status = await connect(port, "allowed.test:1")
            writer.close()
        assert status == 502 and seen[0].outcome == "failed"

    run(scenario())


def test_connection_cap_answers_503() -> None:
    """Over --max-connections a new client gets 503 and is closed."""

    async def scenario() -> None:
        async with running(ProxyConfig(port=0, hosts=HOSTS, max_connections=1)) as (server, port):
            _, first = await asyncio.open_connection("127.0.0.1", port)
            await until(lambda: len(server.conns) == 1, "accepted")
            reader, second = await asyncio.open_connection("127.0.0.1", port)
            assert (await asyncio.wait_for(reader.read(), TIMEOUT)).startswith(b"HTTP/1.1 503")
            assert server.stats.over_cap == 1
            first.close()
            second.close()

    run(scenario())


def test_tls_client_through_proxy_rejects_wrong_certificate() -> None:
    """Sanity: the tunnel is end to end, the proxy never terminates TLS."""

    async def scenario() -> None:
        async with origins() as o, running() as (_, port):
            _, writer, _ = await connect(port, f"allowed.test:{o['tls']}")
            try:
                await writer.start_tls(ssl.create_default_context(), server_hostname="allowed.test")
            except ssl.SSLCertVerificationError:
                pass
            else:
                raise AssertionError("the proxy's tunnel must not be trusted like the origin")
            writer.close()

    run(scenario())
