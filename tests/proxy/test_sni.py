from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from egressmap.proxy.sni import parse_client_hello

from .lab import client_hello


def _records(hello: bytes, size: int) -> bytes:
    """Split one record's handshake payload over several TLS records of ``size`` bytes."""
    payload = hello[5:]
    out = b""
    for i in range(0, len(payload), size):
        part = payload[i : i + size]
        out += b"\x16\x03\x01" + len(part).to_bytes(2, "big") + part
    return out


def test_real_client_hello_gives_its_sni() -> None:
    """Python's own ClientHello parses, with the name as sent."""
    result = parse_client_hello(client_hello("Pypi.ORG"))
    assert (result.status, result.sni) == ("ok", "Pypi.ORG")


def test_hello_without_sni() -> None:
    """A hello for an IP address carries no server_name: ok, sni None."""
    assert parse_client_hello(client_hello(None)).sni is None


def test_every_prefix_asks_for_more() -> None:
    """Fed byte by byte, the parser says 'more' until the last byte."""
    hello = client_hello("files.pythonhosted.org")
    assert {parse_client_hello(hello[:i]).status for i in range(len(hello))} == {"more"}


def test_hello_fragmented_over_records() -> None:
    """A hello split over many small TLS records (RFC 5246 6.2.1) still gives its SNI."""
    hello = client_hello("github.com")
    for size in (1, 7, 100):
        assert parse_client_hello(_records(hello, size)).sni == "github.com"


def build(extensions: bytes, *, extra_body: bytes = b"") -> bytes:
    """A minimal ClientHello record around ``extensions``."""
    body = b"\x03\x03" + b"r" * 32 + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
    body += len(extensions).to_bytes(2, "big") + extensions + extra_body
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + len(handshake).to_bytes(2, "big") + handshake


def sni_ext(*names: bytes) -> bytes:
    """A server_name extension listing ``names`` as host_name entries."""
    entries = b"".join(b"\x00" + len(n).to_bytes(2, "big") + n for n in names)
    data = len(entries).to_bytes(2, "big") + entries
    return b"\x00\x00" + len(data).to_bytes(2, "big") + data


def test_hand_built_hello_parses() -> None:
    """The minimal hello the malformed cases start from is itself fine."""
    assert parse_client_hello(build(sni_ext(b"a.example"))).sni == "a.example"


def test_not_tls_and_malformed() -> None:
    """SSH is not TLS; lying lengths, a non-hello message or an empty record are malformed."""
    assert parse_client_hello(b"SSH-2.0-OpenSSH_9.6\r\n").status == "not-tls"
    good = build(sni_ext(b"a.example"))
    lying = good[: -len(b"a.example") - 2] + b"\x00\xff" + b"a.example"
    assert parse_client_hello(lying).status == "malformed"
    server_hello = good[:5] + b"\x02" + good[6:]
    assert parse_client_hello(server_hello).status == "malformed"
    assert parse_client_hello(b"\x16\x03\x01\x00\x00").status == "malformed"


def test_ambiguous_names_are_malformed() -> None:
    """Two host_names, two server_name extensions, an empty or non-ASCII name: refused, never guessed."""
    for ext in (
        sni_ext(b"a.example", b"b.example"),
        sni_ext(b"a.example") + sni_ext(b"b.example"),
        sni_ext(b""),
        sni_ext("m\u00fcnchen.de".encode()),
    ):
        assert parse_client_hello(build(ext)).status == "malformed", ext


@given(st.binary(max_size=600))
def test_garbage_never_raises(data: bytes) -> None:
    """Arbitrary bytes, with or without a TLS record header in front, never raise."""
    assert parse_client_hello(data).status in ("more", "not-tls", "malformed", "ok")
    assert parse_client_hello(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc" + data).status in (
        "more", "malformed", "ok", "not-tls",
    )  # fmt: skip
