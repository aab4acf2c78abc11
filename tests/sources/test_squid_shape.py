"""What a Squid record line looks like: fields, value kinds, and counting proxy records in other inputs."""

from __future__ import annotations

from pathlib import Path

from egressmap.sources.squid_shape import ProxyLines, counting, kind_of, split_fields, squid_shaped

DATA = Path(__file__).parent.parent / "data" / "sources" / "squid"


def test_squid_shaped_lines_and_fields() -> None:
    """What counts as a proxy record, and how a line splits into fields."""
    assert squid_shaped("1795282820.642 0 10.0.0.1 NONE_NONE/503 0 CONNECT a.example:443 - HIER_NONE/- -")
    assert squid_shaped('1.2.3.4 - - [x] "GET http://a.example/ HTTP/1.1" 403 0 TCP_DENIED:HIER_NONE')
    assert squid_shaped("10.0.0.1 TCP_MISS GET mirror.example.org 80")
    assert squid_shaped(
        "1797002811.7 10.0.0.1:41830 - 1.1 CONNECT 200 TCP_TUNNEL:HIER_DIRECT api.github.com:443"
    )
    assert not squid_shaped("TCP_MISS is a Squid result code")
    assert not squid_shaped("GET returned TCP_MISS for it")
    assert not squid_shaped("GET http://a.example/ 200")
    assert split_fields('a "b c" [d e] 21/Nov/2026:10:00:01 +0000 f') == [
        "a",
        '"b c"',
        "[d e]",
        "21/Nov/2026:10:00:01 +0000",
        "f",
    ]
    assert [kind_of(t) for t in ("-:-", "NONE", "-:0")] == ["dash", "dash", "dash"]  # placeholders
    assert [kind_of(t) for t in ("TCP_MISS:HIER_DIRECT", "NONE/400", "HIER_DIRECT/2600:1407::1", "-")] == [
        "result:hier",
        "result/status",
        "hier",
        "dash",
    ]


def test_counting_proxy_lines_in_text() -> None:
    """Proxy-looking lines in a text input are counted, the first ones by number."""
    lines = (DATA / "bug-report-paste.txt").read_text(encoding="utf-8").splitlines()
    seen = ProxyLines()
    assert list(counting(lines, seen, keep=1)) == lines
    assert (seen.count, seen.first) == (2, [5])
