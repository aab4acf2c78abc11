from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.model import Observation, Skipped
from egressmap.sources import SourceOptions, build_sources, choose, parallel, squid_native
from egressmap.sources.reader import InputStream, read_raw
from egressmap.sources.squid import SquidLog
from egressmap.sources.squid_format import BUILTIN, LogFormat

pytestmark = pytest.mark.usefixtures("c_or_python")  # the Squid tests with the C parts and without

NATIVE = [
    "1732186800.123    120 10.0.0.5 TCP_TUNNEL/200 6120 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -",
    "1732186801.000     40 10.0.0.5 TCP_MISS/200 1024 GET http://security.ubuntu.com/ubuntu/dists/jammy/InRelease - HIER_DIRECT/1.2.3.4 text/plain",
    "this is not a squid line",
    "1732186802.500      0 10.0.0.6 TCP_DENIED/403 3900 CONNECT evil.example.net:443 - HIER_NONE/- text/html",
    "1732186803.000      1 10.0.0.5 TCP_TUNNEL/200 100 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -",
    "1732186804.000   5001 10.0.0.5 TCP_MISS/503 0 GET http://down.example.org/x - HIER_NONE/- -",
    '1732186805.000      1 10.0.0.5 TCP_DENIED/403 0 CONNECT evil.com";pass:443 - HIER_NONE/- -',
    "1732186806.000      1 10.0.0.5 NONE_NONE/000 0 - error:transaction-end-before-headers - HIER_NONE/- -",
    "1732186807.000      1 10.0.0.5 TCP_MISS/200 10 GET http://169.254.169.254/latest - HIER_DIRECT/169.254.169.254 -",
]


def _native() -> SquidLog:
    src = build_sources()["squid"]
    assert isinstance(src, SquidLog)
    return src


def test_native_keeps_good_lines_and_reports_bad_ones() -> None:
    """Bad lines are skipped with their numbers; identical requests are counted, not repeated."""
    items = list(_native().read(NATIVE, "access.log"))
    obs = {(o.host, o.port, o.outcome, o.count) for o in items if isinstance(o, Observation)}
    assert obs == {
        ("pypi.org", 443, "allowed", 2),
        ("security.ubuntu.com", 80, "allowed", 1),
        ("evil.example.net", 443, "denied", 1),
        ("down.example.org", 80, "failed", 1),
    }
    bad = sorted((s.lineno, s.kind) for s in items if isinstance(s, Skipped))
    assert bad == [(3, "malformed"), (7, "malformed"), (8, "dropped"), (9, "dropped")]


def test_native_observation_details() -> None:
    """An observation carries source line, client, times, tier and a reason."""
    items = [o for o in _native().read(NATIVE, "access.log") if isinstance(o, Observation)]
    pypi = next(o for o in items if o.host == "pypi.org")
    assert (pypi.source, pypi.clients, pypi.tier, pypi.kind) == (
        "access.log:1",
        ("10.0.0.5",),
        "observed",
        "connect",
    )
    assert (pypi.time, pypi.last_time) == (1732186800.123, 1732186803.0)
    assert pypi.reason == "CONNECT tunnel seen in squid log"
    denied = next(o for o in items if o.host == "evil.example.net")
    assert "denied" in denied.reason


COMMON = '10.0.0.5 - - [21/Nov/2026:10:00:01 +0000] "CONNECT github.com:443 HTTP/1.1" 200 5000 TCP_TUNNEL:HIER_DIRECT'
COMBINED = (
    '10.0.0.7 - - [21/Nov/2026:10:00:02 +0000] "GET http://deb.debian.org/debian/ HTTP/1.1" 403 3900 "-" '
    '"Debian APT-HTTP/1.3 (2.6.1)" TCP_DENIED:HIER_NONE'
)


def test_common_and_combined() -> None:
    """The built-in common and combined formats parse, times included."""
    sources = build_sources()
    (gh,) = [o for o in sources["squid-common"].read([COMMON], "c.log") if isinstance(o, Observation)]
    assert (gh.host, gh.port, gh.outcome, gh.time) == ("github.com", 443, "allowed", 1795255201.0)
    (deb,) = [o for o in sources["squid-combined"].read([COMBINED], "x.log") if isinstance(o, Observation)]
    assert (deb.host, deb.port, deb.outcome, deb.clients) == ("deb.debian.org", 80, "denied", ("10.0.0.7",))


def test_custom_logformat_from_flag_and_sniffing() -> None:
    """The seed's 'minimal' logformat is sniffed and parsed when given with --squid-logformat."""
    options = SourceOptions.from_flags(logformat="%tl %>a %Ss/%03>Hs %rm %ru")
    sources = build_sources(options)
    lines = [
        "21/Nov/2026:10:00:01 +0000 172.31.1.9 TCP_TUNNEL/200 CONNECT api.snapcraft.io:443",
        "21/Nov/2026:10:00:02 +0000 172.31.1.9 TCP_MISS/200 GET http://security.ubuntu.com/ubuntu/x",
    ]
    src = choose(lines, sources)
    assert src.name == "squid-custom:custom"
    got = {(o.host, o.port) for o in src.read(lines, "m.log") if isinstance(o, Observation)}
    assert got == {("api.snapcraft.io", 443), ("security.ubuntu.com", 80)}


def test_custom_format_with_unknown_codes_and_sni() -> None:
    """Codes egressmap does not use are skipped; %ssl::>sni and %>rd can name the destination."""
    fmt = LogFormat("x", "%ts %err_code %>a %rm %>rd %>rP %ssl::>sni %{X-Forwarded-For}>h %Ss/%>Hs")
    src = SquidLog(fmt, "squid-custom:x")
    line = "1732186800 - 10.1.1.1 CONNECT files.pythonhosted.org 443 files.pythonhosted.org - TCP_TUNNEL/200"
    (obs,) = [o for o in src.read([line], "x") if isinstance(o, Observation)]
    assert (obs.host, obs.port, obs.outcome) == ("files.pythonhosted.org", 443, "allowed")


def test_squid_conf_maps_files_to_formats(tmp_path: object) -> None:
    """A squid.conf's logformat and access_log lines choose the format by file name."""
    from pathlib import Path

    conf = Path(str(tmp_path)) / "squid.conf"
    conf.write_text(
        "logformat minimal %tl %>a %Ss/%03>Hs %rm %ru\n"
        "access_log /var/log/squid/common.log common\n"
        "access_log stdio:/var/log/squid/minimal-access.log minimal\n"
        "access_log daemon:/var/log/squid/access.log logformat=combined\n"
    )
    options = SourceOptions.from_flags(squid_conf=str(conf))
    assert options.access_logs == {
        "common.log": "common",
        "minimal-access.log": "minimal",
        "access.log": "combined",
    }
    sources = build_sources(options)
    assert (
        choose(["junk"], sources, origin="/tmp/minimal-access.log", options=options).name
        == "squid-custom:minimal"
    )
    assert choose(["junk"], sources, origin="access.log.gz", options=options).name == "squid-combined"


def test_builtin_formats_compile() -> None:
    """Every built-in Squid format compiles."""
    for name, spec in BUILTIN.items():
        if name in ("useragent",):
            continue
        assert LogFormat(name, spec).fields


@settings(max_examples=200)
@given(st.lists(st.text(max_size=120), max_size=8))
def test_every_squid_parser_survives_arbitrary_lines(lines: list[str]) -> None:
    """No input line makes a squid parser raise."""
    sources = build_sources(SourceOptions.from_flags(logformat="%tl %>a %Ss/%03>Hs %rm %ru"))
    for name, src in sources.items():
        for item in src.read(lines, name):
            assert isinstance(item, Observation | Skipped)


@settings(max_examples=200)
@given(
    st.lists(st.from_regex(r"\A\d{10}\.\d{3} +\d+ \S+ [A-Z_]+/\d{3} \d+ [A-Z]+ \S+ - \S+ \S+\Z"), max_size=5)
)
def test_native_parser_on_near_valid_lines(lines: list[str]) -> None:
    """Lines shaped like native squid lines with arbitrary fields never raise."""
    for item in _native().read(lines, "f"):
        assert isinstance(item, Observation | Skipped)


def test_two_part_read_of_a_big_native_log_equals_the_one_process_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counts, first/last times, line numbers of bad lines and unusable rows: the same either way (two threads
    with the C counter, two processes without)."""
    lines: list[bytes] = []
    for i in range(400):
        host = f"h{i % 23}.example.com"
        lines.append(
            f"{1732186800 + i}.000 {i % 97:6d} 10.0.0.{i % 5} TCP_TUNNEL/200 {i} CONNECT {host}:443 - "
            f"HIER_DIRECT/192.0.2.1 -".encode()
        )
        if i % 50 == 7:
            lines.append(b"garbage line %d" % i)
        if i % 60 == 3:
            lines.append(b"# comment")
            lines.append(
                b"1732186900.000 1 10.0.0.9 TCP_MISS/200 5 GET http://caf\xe9.example/x - HIER_NONE/- -"
            )
            lines.append(b"1732186900.000 1 10.0.0.9 NONE_NONE/000 0 - error:invalid-request - HIER_NONE/- -")
            lines.append(
                b"1732186901.000 1 10.0.0.9 TCP_MISS/200 5 GET http://mirror.example.org/p/%d - - -" % i
            )
    path = tmp_path / "access.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    src = _native()
    with path.open("rb") as f:
        one = list(squid_native.read_native(read_raw(f, str(path), []), str(path)))
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    calls: list[str] = []

    def spy(path: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(path)
        return parallel.split_work(path, *args, **kwargs)

    def in_threads(stream: InputStream, *args: Any) -> Any:
        calls.append(stream.path)
        return threads(stream, *args)

    threads = squid_native._count_in_threads  # with the C counter: two threads, else two processes
    monkeypatch.setattr(squid_native, "split_work", spy)
    monkeypatch.setattr(squid_native, "_count_in_threads", in_threads)
    ticks: list[int] = []
    stream = InputStream(str(path), progress=ticks.append)
    two = list(src.read_input(stream))
    stream.close()
    assert stream.lines_read == len(lines)
    assert calls == [str(path)]
    assert ticks == sorted(ticks) and ticks[-1] == path.stat().st_size  # the parent's share, scaled
    assert two == one
    observed = [o for o in two if isinstance(o, Observation)]
    assert sum(o.count for o in observed) == 400 + 7
    assert {s.lineno for s in two if isinstance(s, Skipped) and "fewer than 7" in s.reason} == {
        n for n, line in enumerate(lines, 1) if line.startswith(b"garbage")
    }
    bad_utf8 = [s for s in two if isinstance(s, Skipped) and "UTF-8" in s.reason]
    assert [(s.lineno, s.count) for s in bad_utf8] == [
        (next(n for n, line in enumerate(lines, 1) if b"caf\xe9" in line), 7)
    ]


def test_connect_answered_4xx_or_5xx_is_failed() -> None:
    """A CONNECT the proxy (or its parent) answered 4xx/5xx made no tunnel: failed, in every reader."""
    native = [
        "1796375521.118 30012 10.0.8.17 TCP_MISS/500 0 CONNECT registry-1.docker.io:443 - FIRSTUP_PARENT/10.0.0.9 -",
        "1796375522.000     1 10.0.8.17 NONE/400 3900 CONNECT bad.example.com:443 - HIER_NONE/- text/html",
        "1796375523.000    80 10.0.8.17 TCP_MISS/404 512 GET http://deb.debian.org/missing - HIER_DIRECT/1.2.3.4 text/html",
        "1796375524.000     0 10.0.8.17 TCP_DENIED/403 3900 CONNECT denied.example.com:443 - HIER_NONE/- text/html",
    ]
    want = {
        ("registry-1.docker.io", "failed"),
        ("bad.example.com", "failed"),
        ("deb.debian.org", "allowed"),  # the origin answered: the destination was reached
        ("denied.example.com", "denied"),
    }
    got = {(o.host, o.outcome) for o in _native().read(native, "n.log") if isinstance(o, Observation)}
    assert got == want
    minimal = SquidLog(LogFormat("m", "%ts.%03tu %>a %>Hs %rm %ru"), "squid-custom:m")
    lines = [
        "1796375521.118 10.0.8.17 500 CONNECT registry-1.docker.io:443",
        "1796375523.000 10.0.8.17 404 GET http://deb.debian.org/missing",
    ]
    got = {(o.host, o.outcome) for o in minimal.read(lines, "m.log") if isinstance(o, Observation)}
    assert got == {("registry-1.docker.io", "failed"), ("deb.debian.org", "allowed")}


def test_extended_common_and_combined_are_told_apart() -> None:
    """Fields appended to common or combined: each is read by its own format, exact lines preferred."""
    sources = build_sources()
    common_ext = COMMON + ' 1834 "-" "curl/8.5.0"'
    combined_ext = COMBINED + " 22"
    assert choose([COMMON], sources).name == "squid-common"
    assert choose([common_ext], sources).name == "squid-common"
    assert choose([COMBINED], sources).name == "squid-combined"
    assert choose([combined_ext], sources).name == "squid-combined"
    referer = COMBINED.replace('"-"', '"http://docs.example.net/guide"')
    assert choose([referer, referer + " 5"], sources).name == "squid-combined"
    (obs,) = [o for o in sources["squid-combined"].read([referer], "x") if isinstance(o, Observation)]
    assert obs.host == "deb.debian.org"
    assert sources["squid-common"].sniff([COMMON]) == 1.0
    assert sources["squid-common"].sniff([common_ext]) == 0.95


def test_custom_format_counts_requests_of_one_kind_in_place() -> None:
    """Same destination and outcome: one observation, counted, first/last times, clients, the first URL."""
    src = SquidLog(LogFormat("m", "%ts.%03tu %>a %Ss/%03>Hs %rm %ru"), "squid-custom:m")
    lines = [
        "1796375521.100 10.0.0.1 TCP_MISS/200 GET http://mirror.example.org/a/InRelease",
        "1796375522.200 10.0.0.2 TCP_MISS/200 GET http://mirror.example.org/b/Packages.xz",
        "1796375523.300 10.0.0.1 NONE_NONE/000 - error:transaction-end-before-headers",
        "1796375524.400 10.0.0.3 TCP_MISS/503 GET http://mirror.example.org/c",
        "# a comment",
        "1796375525.500 10.0.0.1 NONE_NONE/000 - error:transaction-end-before-headers",
        "1796375526.600 10.0.0.3 TCP_MISS/200 GET http://mirror.example.org/d",
    ]
    items = list(src.read(lines, "m.log"))
    observed = [o for o in items if isinstance(o, Observation)]
    assert [(o.host, o.outcome, o.count, o.source) for o in observed] == [
        ("mirror.example.org", "allowed", 3, "m.log:1"),
        ("mirror.example.org", "failed", 1, "m.log:4"),
    ]
    allowed = observed[0]
    assert (allowed.time, allowed.last_time) == (1796375521.1, 1796375526.6)
    assert allowed.clients == ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    assert allowed.url == "http://mirror.example.org/a/InRelease"
    assert [(s.lineno, s.kind) for s in items if isinstance(s, Skipped)] == [(3, "dropped"), (6, "dropped")]
