from __future__ import annotations

from egressmap.proxy.allow import Verdict
from egressmap.proxy.commands import (
    CloseClient,
    CloseUpstream,
    Command,
    Emit,
    Limits,
    OpenUpstream,
    SendClient,
    SendUpstream,
    StartRelay,
)
from egressmap.proxy.protocol import ForwardCore
from egressmap.proxy.server import allow_all

from .lab import client_hello


def core(enforce: bool = False) -> ForwardCore:
    return ForwardCore("10.0.0.5:40000", allow_all, enforce=enforce, limits=Limits(max_headers=10))


def sent(commands: list[Command], kind: type[SendClient] | type[SendUpstream]) -> bytes:
    return b"".join(c.data for c in commands if isinstance(c, kind))


def emitted(commands: list[Command]) -> list[Emit]:
    return [c for c in commands if isinstance(c, Emit)]


def test_absolute_uri_becomes_origin_form_after_connect() -> None:
    """GET http://host/p?q: open upstream, then send GET /p?q with the URI's Host and no proxy headers."""
    c = core()
    out = c.client_data(
        b"GET http://Mirror.Example.com/pool/a.deb?x=1 HTTP/1.1\r\nHost: evil.example\r\n"
        b"Proxy-Connection: keep-alive\r\nProxy-Authorization: Basic eA==\r\nAccept: */*\r\n\r\n"
    )
    assert out == [OpenUpstream("mirror.example.com", 80)]
    upstream = sent(c.upstream_connected(), SendUpstream)
    assert upstream.startswith(b"GET /pool/a.deb?x=1 HTTP/1.1\r\nhost: mirror.example.com\r\n")
    assert b"proxy-" not in upstream.lower() and b"evil" not in upstream and b"accept: */*" in upstream


def test_response_is_relayed_and_recorded_then_keep_alive_reuses_upstream() -> None:
    """The response reaches the client, one record is emitted, and the next request reuses the upstream."""
    c = core()
    c.client_data(b"GET http://a.example/1 HTTP/1.1\r\nHost: a.example\r\n\r\n")
    c.upstream_connected()
    out = c.upstream_data(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nKeep-Alive: timeout=5\r\n\r\nok")
    client = sent(out, SendClient)
    assert client.startswith(b"HTTP/1.1 200 OK\r\n") and client.endswith(b"\r\n\r\nok")
    assert b"keep-alive" not in client.lower()
    (record,) = (e.record for e in emitted(out))
    assert (record.host, record.port, record.status, record.bytes_down, record.url) == (
        "a.example", 80, 200, 2, "http://a.example/1"
    )  # fmt: skip
    again = c.client_data(b"GET http://a.example/2 HTTP/1.1\r\nHost: a.example\r\n\r\n")
    assert [type(x) for x in again] == [SendUpstream]


def test_another_host_closes_the_old_upstream() -> None:
    """A keep-alive request for another destination opens a new upstream connection."""
    c = core()
    c.client_data(b"GET http://a.example/ HTTP/1.1\r\nHost: a\r\n\r\n")
    c.upstream_connected()
    c.upstream_data(b"HTTP/1.1 204 No Content\r\n\r\n")
    out = c.client_data(b"GET http://b.example:8080/ HTTP/1.1\r\nHost: b\r\n\r\n")
    assert out == [CloseUpstream(), OpenUpstream("b.example", 8080)]


def test_chunked_request_body_is_forwarded_chunked() -> None:
    """Chunks fed in odd pieces arrive upstream re-framed, and the body bytes are counted."""
    c = core()
    c.client_data(b"POST http://a.example/up HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n")
    c.upstream_connected()
    upstream = b""
    for piece in (b"5\r\nhel", b"lo\r\n", b"0\r\n\r\n"):
        upstream += sent(c.client_data(piece), SendUpstream)
    assert upstream == b"3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n"
    assert c.current is not None and c.current.bytes_up == 5


def test_denied_request_gets_403_and_keeps_the_connection() -> None:
    """Enforce-style denial: 403 with the reason, a denied record, and the next request is read."""
    c = ForwardCore("c", lambda h, p: allow_all(h, p) if h == "ok.example" else _deny(h), enforce=True)
    out = c.client_data(
        b"GET http://no.example/ HTTP/1.1\r\nHost: no\r\n\r\nGET http://ok.example/ HTTP/1.1\r\nHost: ok\r\n\r\n"
    )
    assert sent(out, SendClient).startswith(b"HTTP/1.1 403 ")
    assert b"no.example is not allowed" in sent(out, SendClient)
    assert [e.record.outcome for e in emitted(out)] == ["denied"]
    assert OpenUpstream("ok.example", 80) in out


def _deny(host: str) -> Verdict:
    return Verdict(False, host, f"{host} is not allowed")


def test_connect_answers_200_after_upstream_and_checks_the_hello() -> None:
    """CONNECT: open, 200 once connected, then the first client bytes are checked before forwarding."""
    c = core(enforce=True)
    assert c.client_data(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n") == [
        OpenUpstream("a.example", 443)
    ]
    out = c.upstream_connected()
    assert sent(out, SendClient).startswith(b"HTTP/1.1 200 Connection established\r\n")
    hello = client_hello("A.example.")
    assert c.client_data(hello[:50]) == []  # partial hello: nothing forwarded yet
    out = c.client_data(hello[50:])
    assert out == [SendUpstream(hello), StartRelay()]
    (record,) = (e.record for e in emitted(c.finish(10, 20)))
    assert (record.sni, record.sni_mismatch, record.bytes_up, record.bytes_down) == (
        "A.example.", False, len(hello) + 10, 20
    )  # fmt: skip


def test_hello_sent_with_the_connect_request_is_checked_too() -> None:
    """A client that pipelines its ClientHello behind CONNECT gets it checked from h11's trailing data."""
    c = core(enforce=True)
    hello = client_hello("other.example")
    c.client_data(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n" + hello)
    out = c.upstream_connected()
    assert CloseClient() in out and not sent(out, SendUpstream)
    assert [e.record.outcome for e in emitted(out)] == ["denied"]


def test_server_first_protocol_flows_before_the_client_speaks() -> None:
    """Upstream bytes reach the client while the proxy still waits for the client's first bytes."""
    c = core(enforce=True)
    c.client_data(b"CONNECT a.example:22 HTTP/1.1\r\nHost: a.example:22\r\n\r\n")
    c.upstream_connected()
    assert c.upstream_data(b"SSH-2.0-x\r\n") == [SendClient(b"SSH-2.0-x\r\n")]
    assert c.client_data(b"SSH-2.0-y\r\n") == [SendUpstream(b"SSH-2.0-y\r\n"), StartRelay()]


def test_too_many_headers_and_bad_requests() -> None:
    """Over the header count: 431 and close; garbage: 400 and close; origin-form: 400."""
    c = core()
    out = c.client_data(b"GET http://a.example/ HTTP/1.1\r\nHost: a\r\n" + b"X: y\r\n" * 10 + b"\r\n")
    assert (
        sent(out, SendClient).startswith(b"HTTP/1.1 431 Request Header Fields Too Large")
        and CloseClient() in out
    )
    out = core().client_data(b"\x16\x03\x01garbage\r\n\r\n")
    assert sent(out, SendClient).startswith(b"HTTP/1.1 400 ") and CloseClient() in out
    out = core().client_data(b"GET /local HTTP/1.1\r\nHost: a\r\n\r\n")
    assert sent(out, SendClient).startswith(b"HTTP/1.1 400 ")


def test_upstream_failure_is_502_and_abort_records_the_tunnel() -> None:
    """A failed connect answers 502 (failed); an abort mid-tunnel records it with the reason."""
    c = core()
    c.client_data(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n")
    out = c.upstream_failed("Connection refused")
    assert sent(out, SendClient).startswith(b"HTTP/1.1 502 ")
    assert [e.record.outcome for e in emitted(out)] == ["failed"]
    c = core()
    c.client_data(b"CONNECT a.example:443 HTTP/1.1\r\nHost: a\r\n\r\n")
    c.upstream_connected()
    out = c.abort("idle timeout")
    assert [(e.record.outcome, e.record.reason) for e in emitted(out)] == [("allowed", "idle timeout")]
