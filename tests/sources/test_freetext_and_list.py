from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from egressmap.model import Observation, Skipped
from egressmap.sources import build_sources, choose
from egressmap.sources.freetext import FreeText
from egressmap.sources.plainlist import PlainList


def test_freetext_wget_connection_is_observed() -> None:
    """wget's 'Connecting to ... connected.' is a connection, not just a mention."""
    lines = [
        "Connecting to github.com (github.com)|140.82.112.3|:443... connected.",
        "Connecting to example.org (example.org)|93.184.216.34|:80... failed: Connection timed out.",
    ]
    items = [o for o in FreeText().read(lines, "b.log") if isinstance(o, Observation)]
    assert {(o.host, o.port, o.kind, o.outcome) for o in items} == {
        ("github.com", 443, "connect", "allowed"),
        ("example.org", 80, "connect", "failed"),
    }


def test_freetext_reports_dropped_with_line_numbers() -> None:
    """Placeholders and IMDS URLs are dropped and counted with their line."""
    lines = [
        "ok https://pypi.org/simple/x/",
        "https://localhost:${ext_auth_port}",
        "curl http://169.254.169.254/x",
    ]
    items = list(FreeText().read(lines, "t.log"))
    assert [(s.lineno, s.kind) for s in items if isinstance(s, Skipped)] == [(2, "dropped"), (3, "dropped")]
    assert [o.host for o in items if isinstance(o, Observation)] == ["pypi.org"]


def test_plain_list_reads_hosts_ports_urls_and_comments() -> None:
    """A previous allowlist reads back; sections, comments and tokens like httplib2 are handled."""
    lines = [
        "# HTTP Destinations",
        "security.ubuntu.com:80",
        "# HTTPS Destinations",
        "pypi.org:443",
        "files.pythonhosted.org",
        "https://github.com/x/y/archive/v1.tar.gz",
        "http2-14",
        "httplib2",
        "*.archive.ubuntu.com:80",
        "bad host name",
        'evil.com";x:443',
    ]
    items = list(PlainList().read(lines, "allow.txt"))
    assert {(o.host, o.port) for o in items if isinstance(o, Observation)} == {
        ("security.ubuntu.com", 80),
        ("pypi.org", 443),
        ("files.pythonhosted.org", 443),
        ("github.com", 443),
        ("*.archive.ubuntu.com", 80),  # issue 13: a list's wildcard is kept (it was dropped before)
    }
    assert sorted((s.lineno, s.kind) for s in items if isinstance(s, Skipped)) == [
        (7, "dropped"),
        (8, "dropped"),
        (10, "malformed"),
        (11, "malformed"),
    ]


def test_sniffing_picks_each_format() -> None:
    """Auto-detection tells a list, a native squid log and a free-text log apart."""
    sources = build_sources()
    assert choose(["pypi.org:443", "github.com"], sources).name == "list"
    assert (
        choose(
            ["1732186800.123 1 10.0.0.5 TCP_TUNNEL/200 1 CONNECT pypi.org:443 - HIER_DIRECT/1.1.1.1 -"],
            sources,
        ).name
        == "squid"
    )
    assert choose(["Stdout: Get:1 http://security.ubuntu.com/ubuntu jammy InRelease"], sources).name == "text"


@given(st.lists(st.text(max_size=200), max_size=10))
def test_text_and_list_parsers_never_raise(lines: list[str]) -> None:
    """Arbitrary lines give observations or skipped items only."""
    for src in (FreeText(), PlainList()):
        for item in src.read(lines, "f"):
            assert isinstance(item, Observation | Skipped)
