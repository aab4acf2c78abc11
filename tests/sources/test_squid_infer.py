"""Squid logs in layouts egressmap is not told about: the logformat is inferred from the lines themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.model import Observation, Skipped
from egressmap.sources import SquidLayoutUnknown, build_sources, choose
from egressmap.sources.reader import HEAD_LINES
from egressmap.sources.squid_infer import SquidAuto, infer

DATA = Path(__file__).parent.parent / "data" / "sources" / "squid"

Seen = set[tuple[str, int, str, str, int]]


def _read(name: str) -> tuple[str, Seen, list[Skipped]]:
    """(chosen format, {(host, port, tier, outcome, count)}, skipped) for one sample log, sniffed from its head."""
    path = DATA / name
    lines = path.read_text(encoding="utf-8").splitlines()
    source = choose(lines[:HEAD_LINES], build_sources(), origin=str(path))
    items = list(source.read(lines, str(path)))
    seen: Seen = {(o.host, o.port, o.tier, o.outcome, o.count) for o in items if isinstance(o, Observation)}
    assert len(seen) == sum(1 for o in items if isinstance(o, Observation)), "a destination came out twice"
    return source.name, seen, [s for s in items if isinstance(s, Skipped)]


def test_seed_001_minimal_layout_is_inferred() -> None:
    """Seed 001's 'logformat minimal %tl %>a %Ss/%03>Hs %rm %ru', not named to egressmap, reads in full."""
    fmt, seen, skipped = _read("seed001-minimal.log")
    assert fmt == "squid-auto (inferred layout: %tl %>a %Ss/%03>Hs %rm %ru)"
    assert seen == {
        ("api.snapcraft.io", 443, "observed", "allowed", 1),
        ("us-east-1.ec2.archive.ubuntu.com", 80, "observed", "allowed", 2),
        ("security.ubuntu.com", 80, "observed", "allowed", 1),
        ("pypi.org", 443, "observed", "allowed", 2),
        ("files.pythonhosted.org", 443, "observed", "allowed", 1),
        ("s3.us-east-1.amazonaws.com", 443, "observed", "allowed", 1),
        ("developer.download.nvidia.com", 443, "observed", "allowed", 1),
        ("objects.githubusercontent.com", 443, "observed", "failed", 1),
        ("telemetry.vendor.example", 443, "observed", "denied", 1),
        ("ppa.launchpadcontent.net", 80, "observed", "failed", 1),
        ("d1uj6qtbmh3dt5.cloudfront.net", 443, "observed", "allowed", 1),
    }
    assert [(s.lineno, s.kind) for s in skipped] == [(1, "dropped")]  # the error:transaction-end line


def test_reordered_layout_with_a_separate_status_field() -> None:
    """Fields in another order, status and result code apart: a CONNECT a parent answered 500 is failed."""
    fmt, seen, skipped = _read("reordered.log")
    assert fmt == "squid-auto (inferred layout: %>a [%tl] %rm %ru %>Hs %Ss:%Sh %<st %tr)"
    assert seen == {
        ("dl.fedoraproject.org", 443, "observed", "allowed", 2),
        ("mirror.stream.centos.org", 80, "observed", "allowed", 2),
        ("mirrors.fedoraproject.org", 443, "observed", "allowed", 1),
        ("registry-1.docker.io", 443, "observed", "failed", 1),
        ("auth.docker.io", 443, "observed", "denied", 1),
    }
    assert [(s.lineno, s.kind) for s in skipped] == [(8, "dropped")]  # the instance metadata address


def test_quoted_headers_are_never_destinations() -> None:
    """Quoted Referer, User-Agent (pip's, with escaped quotes) and X-Forwarded-For hosts stay out."""
    fmt, seen, skipped = _read("quoted-headers.log")
    assert fmt == (
        'squid-auto (inferred layout: %tl %>a %Ss:%Sh %>Hs "%{Referer}>h" %rm %ru "%{User-Agent}>h" '
        '"%{X-Forwarded-For}>h")'
    )
    assert seen == {
        ("developer.download.nvidia.com", 80, "observed", "allowed", 1),
        ("developer.download.nvidia.com", 443, "observed", "allowed", 1),
        ("pypi.org", 443, "observed", "allowed", 1),
        ("files.pythonhosted.org", 443, "observed", "allowed", 1),
        ("dl.rockylinux.org", 80, "observed", "allowed", 1),
        ("www.schedmd.com", 443, "observed", "denied", 1),
        ("mirrors.rockylinux.org", 80, "observed", "failed", 1),
    }
    assert skipped == []


def test_syslog_prefixed_native_lines() -> None:
    """Native lines sent through syslog (a date, host and tag before them) are still read field by field."""
    fmt, seen, _ = _read("syslog-native.log")
    assert fmt.startswith("squid-auto (inferred layout: ") and "%ts.%03tu %tr %>a %Ss/%03>Hs" in fmt
    assert seen == {
        ("ec2.eu-west-1.amazonaws.com", 443, "observed", "allowed", 1),
        ("repo.eu-west-1.amazonaws.com", 80, "observed", "allowed", 1),
        ("cdn.amazonlinux.com", 443, "observed", "allowed", 1),
        ("api.ipify.org", 443, "observed", "denied", 1),
        ("ipv6.msftconnecttest.com", 80, "observed", "failed", 1),
    }


def test_frontier_squid_extended_common() -> None:
    """frontier-squid's common layout with milliseconds and appended fields is read as squid-common."""
    fmt, seen, skipped = _read("frontier-common-extended.log")
    assert fmt == "squid-common"
    assert seen == {
        ("cvmfs-stratum-one.cern.ch", 8000, "observed", "allowed", 2),
        ("atlasfrontier-ai.cern.ch", 8000, "observed", "allowed", 1),
        ("atlasfrontier1-ai.cern.ch", 8000, "observed", "failed", 1),
        ("grafana.example-site.org", 443, "observed", "denied", 1),
    }
    assert skipped == []


def test_frontier_times_keep_their_milliseconds() -> None:
    """``[02/Dec/2026:11:20:14.208 +0000]`` is a time, to the millisecond."""
    lines = (DATA / "frontier-common-extended.log").read_text(encoding="utf-8").splitlines()
    items = build_sources()["squid-common"].read(lines, "f.log")
    first = next(o for o in items if isinstance(o, Observation))
    assert (first.time, first.last_time) == (1796210414.208, 1796210414.377)


def test_combined_with_referer_and_user_agent() -> None:
    """The combined layout: a Referer's host (docs.docker.com, news.portal.example) is never a destination."""
    fmt, seen, skipped = _read("combined-referer.log")
    assert fmt == "squid-combined"
    assert seen == {
        ("deb.debian.org", 80, "observed", "allowed", 2),
        ("github.com", 443, "observed", "allowed", 1),
        ("download.docker.com", 80, "observed", "allowed", 1),
        ("ads.tracker.example", 80, "observed", "denied", 1),
        ("update.code.visualstudio.com", 443, "observed", "failed", 1),
    }
    assert skipped == []


def test_extended_combined() -> None:
    """Fields appended after combined's own (response time, X-Forwarded-For) still read as squid-combined."""
    fmt, seen, skipped = _read("combined-extended.log")
    assert fmt == "squid-combined"
    assert seen == {
        ("deb.debian.org", 80, "observed", "allowed", 1),
        ("download.docker.com", 80, "observed", "allowed", 1),
        ("registry.npmjs.org", 443, "observed", "allowed", 1),
    }
    assert skipped == []


def test_layout_that_cannot_be_inferred_names_the_flags() -> None:
    """Raw User-Agents with spaces move the fields: the input is refused with why and what to give."""
    lines = (DATA / "ambiguous-raw-user-agent.log").read_text(encoding="utf-8").splitlines()
    with pytest.raises(SquidLayoutUnknown) as refused:
        choose(lines, build_sources(), origin="proxy.log")
    message = str(refused.value)
    assert message.startswith("proxy.log: looks like a Squid access log (7 of its first 7 lines")
    assert "different numbers of fields" in message
    assert "--squid-logformat" in message and "--squid-conf" in message


def test_the_flags_still_read_what_inference_cannot() -> None:
    """The same log with its logformat named (a raw header field) reads in full."""
    from egressmap.sources import SourceOptions

    lines = (DATA / "ambiguous-raw-user-agent.log").read_text(encoding="utf-8").splitlines()
    options = SourceOptions.from_flags(logformat="%ts.%03tu %>a %'{User-Agent}>h %Ss/%03>Hs %rm %ru")
    source = choose(lines, build_sources(options), options=options)
    hosts = {(o.host, o.port) for o in source.read(lines, "p.log") if isinstance(o, Observation)}
    assert hosts == {
        ("github.com", 443),
        ("archive.ubuntu.com", 80),
        ("security.ubuntu.com", 80),
        ("www.google.com", 443),
        ("fonts.gstatic.com", 443),
        ("pypi.org", 443),
    }


def test_two_url_fields_the_one_after_the_method_is_the_request() -> None:
    """An unquoted Referer URL beside the request URL: the field after the method is the destination."""
    lines = [
        "1796463301.227 10.3.0.44 TCP_MISS/200 GET http://mirror.example.org/a http://docs.example.net/x",
        "1796463302.227 10.3.0.44 TCP_MISS/200 GET http://mirror.example.org/b -",
    ]
    assert infer(lines).spec == "%ts.%03tu %>a %Ss/%03>Hs %rm %ru %{Referer}>h"


def test_several_possible_status_fields_that_disagree_are_ambiguous() -> None:
    """Two numeric fields that could each be the HTTP status, with different values: no guess."""
    lines = [
        "10.0.0.1 TCP_MISS CONNECT a.example.com:443 200 301",
        "10.0.0.1 TCP_MISS CONNECT b.example.com:443 304 200",
    ]
    inferred = infer(lines)
    assert inferred.spec is None and "could each be the HTTP status" in inferred.problem
    agreeing = [
        "10.0.0.1 TCP_DENIED CONNECT a.example.com:443 403 200",
        "10.0.0.1 TCP_TUNNEL CONNECT b.example.com:443 200 403",
    ]
    assert infer(agreeing).spec == "%>a %Ss %rm %ru %>Hs %<st"  # only the first agrees with the result codes


def test_host_and_port_fields_without_a_url() -> None:
    """``%rm %>rd %>rP``: a host field right after the method, then its port."""
    lines = [
        "1796463301.227 10.3.0.44 51566 CONNECT pypi.org 443 200 TCP_TUNNEL HIER_DIRECT 6120",
        "1796463302.227 10.3.0.44 51570 GET deb.debian.org 80 200 TCP_MISS HIER_DIRECT 336",
    ]
    assert infer(lines).spec == "%ts.%03tu %>a %>p %rm %>rd %>rP %>Hs %Ss %Sh %<st"


def test_not_squid_is_not_claimed() -> None:
    """Free text, an Apache log (no Squid result code) and a plain list are left to the other sources."""
    auto = SquidAuto()
    for head in (
        ["Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease [270 kB]"],
        ['10.0.0.1 - - [21/Nov/2026:10:00:01 +0000] "GET /index.html HTTP/1.1" 200 512'],
        ["pypi.org:443", "files.pythonhosted.org"],
        [],
    ):
        assert auto.sniff(head) < 0
        assert auto.resolve(head, "x") is auto
        assert all(isinstance(i, Skipped) for i in auto.read(head, "x"))


@settings(max_examples=150)
@given(st.lists(st.text(max_size=100), max_size=6))
def test_inference_never_raises(lines: list[str]) -> None:
    """Any head gives an Inference, with a layout or a reason."""
    inferred = infer(lines)
    assert (inferred.spec is None) == bool(inferred.problem)


def test_format_squid_auto_forces_inference() -> None:
    """``--format squid-auto`` infers even where a built-in format would fit, and refuses what it cannot read."""
    lines = (DATA / "combined-referer.log").read_text(encoding="utf-8").splitlines()
    source = choose(lines, build_sources(), "squid-auto")
    assert source.name.startswith('squid-auto (inferred layout: %>a %un %mt [%tl] "%rm %ru HTTP/%rv"')
    hosts = {o.host for o in source.read(lines, "c.log") if isinstance(o, Observation)}
    assert "docs.docker.com" not in hosts and "news.portal.example" not in hosts and len(hosts) == 5
    ambiguous = (DATA / "ambiguous-raw-user-agent.log").read_text(encoding="utf-8").splitlines()
    with pytest.raises(SquidLayoutUnknown):
        choose(ambiguous, build_sources(), "squid-auto")


def test_indented_paste_is_read_too() -> None:
    """A log pasted indented (as in an issue or a mail) is inferred and read like the log itself."""
    lines = [
        "    " + line for line in (DATA / "seed001-minimal.log").read_text(encoding="utf-8").splitlines()
    ]
    source = choose(lines, build_sources())
    assert source.name == "squid-auto (inferred layout: %tl %>a %Ss/%03>Hs %rm %ru)"
    items = list(source.read(lines, "paste.txt"))
    assert sum(o.count for o in items if isinstance(o, Observation)) == 13
    assert [s.kind for s in items if isinstance(s, Skipped)] == ["dropped"]


def test_method_and_url_apart_with_address_port_fields() -> None:
    """A firewall's layout (client:port, Host, server:port, method, status, result, URL): the URL field wins."""
    fmt, seen, skipped = _read("awf-firewall.log")
    assert fmt == (
        "squid-auto (inferred layout: %ts.%03tu %>a:%>p %mt %<a:%<p %mt %rm %>Hs %Ss:%Sh %ru "
        '"%{User-Agent}>h")'
    )
    assert seen == {
        ("api.github.com", 443, "observed", "allowed", 1),
        ("registry.npmjs.org", 443, "observed", "allowed", 1),
        ("example.org", 80, "observed", "allowed", 1),
        ("telemetry.example.net", 443, "observed", "denied", 1),
        ("pypi.org", 443, "observed", "allowed", 1),
        ("files.pythonhosted.org", 443, "observed", "allowed", 1),
        ("exfil.example.io", 80, "observed", "denied", 1),
    }
    assert [(s.lineno, s.kind) for s in skipped] == [(1, "dropped")]  # method NONE, no destination


def test_connect_only_head_with_two_agreeing_target_fields() -> None:
    """Only tunnels in the head: the Host field and the URL field agree, so either names the destination."""
    lines = [
        line
        for line in (DATA / "awf-firewall.log").read_text(encoding="utf-8").splitlines()
        if " CONNECT " in line
    ]
    inferred = infer(lines)
    assert inferred.spec is not None and inferred.spec.startswith("%ts.%03tu %>a:%>p %ru %<a:%<p")
    source = choose(lines, build_sources())
    hosts = {o.host for o in source.read(lines, "t.log") if isinstance(o, Observation)}
    assert hosts == {
        "api.github.com",
        "registry.npmjs.org",
        "telemetry.example.net",
        "pypi.org",
        "files.pythonhosted.org",
    }


def test_address_port_fields_that_disagree_are_ambiguous() -> None:
    """Two host:port fields that are not addresses and differ: no guess about which is the request."""
    lines = [
        "1797002811.731 10.0.0.1 CONNECT 200 TCP_TUNNEL:HIER_DIRECT api.github.com:443 proxy-b.example.net:3128",
        "1797002812.090 10.0.0.1 CONNECT 200 TCP_TUNNEL:HIER_DIRECT pypi.org:443 proxy-a.example.net:3128",
    ]
    inferred = infer(lines)
    assert inferred.spec is None and "none is clearly the request" in inferred.problem
