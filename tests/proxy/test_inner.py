from __future__ import annotations

from egressmap.proxy.allow import Verdict
from egressmap.proxy.inner import TunnelInspector


def decide(raw: str, port: int) -> Verdict:
    """Only allowed.test is allowed."""
    host = raw.lower().rstrip(".")
    return Verdict(
        host == "allowed.test", host, "" if host == "allowed.test" else f"{host} is not in the policy"
    )


def test_head_bytes_are_held_until_the_head_is_checked() -> None:
    """Nothing of a request head goes upstream before its Host is known; body bytes pass as they come."""
    inspector = TunnelInspector(decide, "allowed.test", 80)
    assert inspector.feed(b"GE") == (b"", "") and inspector.mode == "undecided"
    assert inspector.feed(b"T / HTTP/1.1\r\nHost: allowed.test\r\nContent-Length: 4\r\n") == (b"", "")
    out, deny = inspector.feed(b"\r\nab")
    assert deny == "" and out.endswith(b"\r\n\r\nab") and out.startswith(b"GET / HTTP/1.1")
    assert inspector.feed(b"cdPOST / HTTP/1.1\r\nHost: denied.test") == (b"cd", "")
    out, deny = inspector.feed(b"\r\n\r\n")
    assert out == b"" and "denied.test is not in the policy" in deny
    assert inspector.refused is not None and inspector.refused.host == "denied.test"


def test_leading_empty_lines_do_not_make_a_request_opaque() -> None:
    """Empty lines before a request line (which servers skip) still lead to the HTTP check."""
    inspector = TunnelInspector(decide, "allowed.test", 80)
    assert inspector.feed(b"\r\n") == (b"", "")
    assert "denied.test" in inspector.feed(b"GET / HTTP/1.1\r\nHost: denied.test\r\n\r\n")[1]


def test_other_protocols_are_opaque() -> None:
    """A banner, a binary header or an SMTP command line pass unchanged, and so does all that follows."""
    for first in (
        b"SSH-2.0-x\r\n",
        b"\x00\x00\x00\x08\x04\xd2\x16/",
        b"EHLO a.test\r\n",
        b"a1 LOGIN u p\r\n",
    ):
        inspector = TunnelInspector(decide, "allowed.test", 80)
        assert inspector.feed(first) == (first, "") and inspector.mode == "opaque"
        assert inspector.feed(b"GET / HTTP/1.1\r\nHost: denied.test\r\n\r\n")[1] == ""


def test_http_10_without_host_is_refused() -> None:
    """Without a Host the origin picks a default site: refused."""
    inspector = TunnelInspector(decide, "allowed.test", 80)
    assert "without Host" in inspector.feed(b"GET / HTTP/1.0\r\n\r\n")[1]
