"""Naming flow-log connections from DNS answers in other inputs: the window, the client, the plan, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.correlate import SKEW, WINDOW, AnswerBook, Correlator, plan
from egressmap.model import DnsAnswer, Observation
from egressmap.policy import UNATTRIBUTED
from egressmap.sources import build_sources
from egressmap.sources.route53_resolver import ResolverLog
from egressmap.sources.vpc_flow import DEFAULT_FIELDS
from egressmap.sources.zeek import ZeekLog

from .sources.test_route53_resolver import record

T0 = 1793697261.0  # 2026-11-03T09:14:21Z, the time of record()'s query


def flow(address: str, client: str = "10.40.7.19", start: float = T0 + 5) -> Observation:
    return Observation(
        host=address,
        port=443,
        kind="connect",
        tier="observed",
        reason="outbound TCP flow in a VPC flow log (unattributed IP)",
        source="flow.log:2",
        outcome="allowed",
        clients=(client,),
        time=start,
        last_time=start + 60,
    )


def answered(name: str, address: str, client: str = "10.40.7.19", t: float | None = T0) -> DnsAnswer:
    return DnsAnswer(client, address, name, t, "r53.log")


def named(answers: list[DnsAnswer], obs: Observation) -> str:
    """The host the correlator gives ``obs`` after these answers."""
    c = Correlator()
    for a in answers:
        c.book.add(a)
    source = build_sources()["vpc-flow"]
    assert c.hold(obs, source)
    ((out, fmt),) = list(c.finish())
    assert fmt == "vpc-flow"
    return out.host


def test_an_answer_to_the_same_client_shortly_before_names_the_flow() -> None:
    assert named([answered("pypi.org", "151.101.0.223")], flow("151.101.0.223")) == "pypi.org"


@pytest.mark.parametrize(
    ("answer_time", "client", "expected"),
    [
        (T0 - WINDOW + 10, "10.40.7.19", "pypi.org"),  # an hour-old answer still names it
        (T0 - WINDOW - 120, "10.40.7.19", "151.101.0.223"),  # older than the window: not
        (T0 + 5 + 60 + SKEW + 30, "10.40.7.19", "151.101.0.223"),  # given after the flow ended: not
        (T0, "10.40.7.20", "151.101.0.223"),  # another client's answer: not
        (None, "10.40.7.19", "pypi.org"),  # an answer without a time is taken on the address
    ],
)
def test_window_and_client(answer_time: float | None, client: str, expected: str) -> None:
    assert (
        named([answered("pypi.org", "151.101.0.223", client, answer_time)], flow("151.101.0.223")) == expected
    )


def test_the_most_recent_answer_wins_and_the_reason_says_the_address_is_shared() -> None:
    c = Correlator()
    c.book.add(answered("old.cdn.example.net", "151.101.0.223", t=T0 - 600))
    c.book.add(answered("files.pythonhosted.org", "151.101.0.223", t=T0))
    source = build_sources()["vpc-flow"]
    c.hold(flow("151.101.0.223"), source)
    ((out, _),) = list(c.finish())
    assert out.host == "files.pythonhosted.org" and out.port == 443 and out.outcome == "allowed"
    assert "named by a DNS answer to the same client in r53.log" in out.reason
    assert "answered for other names too" in out.reason and "unattributed" not in out.reason
    assert (c.named, c.unnamed) == (1, 0)


def test_only_bare_address_connections_of_network_sources_are_held() -> None:
    sources = build_sources()
    c = Correlator()
    assert not c.hold(flow("151.101.0.223"), sources["squid"])  # a proxy log names its hosts
    assert not c.hold(
        Observation("pypi.org", 443, "connect", "observed", "r", "x:1", clients=("a",)), sources["zeek"]
    )
    assert not c.hold(
        Observation("1.2.3.4", 443, "dns", "observed", "r", "x:1", clients=("a",)), sources["zeek"]
    )
    assert not c.hold(
        Observation("1.2.3.4", 443, "connect", "observed", "r", "x:1"), sources["zeek"]
    )  # no client
    assert c.hold(flow("1.2.3.4"), sources["vpc-flow"])


def test_the_book_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("egressmap.correlate.MAX_PAIRS", 2)
    book = AnswerBook()
    for i in range(5):
        book.add(answered(f"n{i}.example.com", f"192.0.2.{i}"))
    book.add(answered("again.example.com", "192.0.2.1"))  # a known pair still learns a name
    assert len(book.pairs) == 2 and book.dropped == 3
    assert [n for n, _ in book.names("10.40.7.19", "192.0.2.1", T0, T0)] == [
        "again.example.com",
        "n1.example.com",
    ]


def test_resolver_answers_only_when_asked() -> None:
    reader = ResolverLog()
    items = list(reader.read([record()], "r53.log"))
    assert not any(isinstance(i, DnsAnswer) for i in items)
    reader.answers = True
    items = list(reader.read([record()], "r53.log"))
    # the CNAME is not an address; the A record is, for the name the client asked
    assert [i for i in items if isinstance(i, DnsAnswer)] == [
        DnsAnswer("10.40.7.19", "151.101.0.223", "files.pythonhosted.org", T0, "r53.log")
    ]


def test_zeek_dns_answers() -> None:
    reader = ZeekLog()
    reader.answers = True
    dns = {"ts": 1793696070.4, "id.orig_h": "10.0.12.40", "query": "ssm.us-east-1.amazonaws.com",
           "qtype_name": "A", "rcode_name": "NOERROR", "answers": ["ssm.cname.example.", "52.46.150.1"]}  # fmt: skip
    items = list(reader.read([json.dumps(dns)], "dns.log"))
    assert [i for i in items if isinstance(i, DnsAnswer)] == [
        DnsAnswer("10.0.12.40", "52.46.150.1", "ssm.us-east-1.amazonaws.com", 1793696070.4, "dns.log")
    ]


# --- the plan: answers only when some input needs them ------------------------------------------------------


def _files(tmp_path: Path) -> dict[str, str]:
    paths = {
        "r53": tmp_path / "r53.log",
        "flow": tmp_path / "flow.log",
        "squid": tmp_path / "access.log",
    }
    paths["r53"].write_text(record() + "\n")
    paths["flow"].write_text(FLOW_LOG)
    paths["squid"].write_text(
        f"{T0 + 30:.3f}    120 10.40.7.19 TCP_TUNNEL/200 4000 CONNECT github.com:443 - HIER_DIRECT/140.82.112.3 -\n"
    )
    return {k: str(v) for k, v in paths.items()}


FLOW_LOG = "\n".join(
    [
        " ".join(DEFAULT_FIELDS),
        f"2 444455556666 eni-0a1b2c3d4e5f60718 10.40.7.19 151.101.0.223 41822 443 6 12 4401 {T0 + 4:.0f} {T0 + 64:.0f} ACCEPT OK",
        f"2 444455556666 eni-0a1b2c3d4e5f60718 10.40.7.19 151.101.0.223 41830 443 6 9 3120 {T0 + 40:.0f} {T0 + 100:.0f} ACCEPT OK",
        f"2 444455556666 eni-0a1b2c3d4e5f60718 10.40.7.19 198.51.100.25 40112 8443 6 3 180 {T0:.0f} {T0 + 60:.0f} REJECT OK",
        f"2 444455556666 eni-0a1b2c3d4e5f60718 10.40.7.19 52.94.5.10 40112 443 6 3 180 {T0:.0f} {T0 + 60:.0f} ACCEPT OK",
    ]
) + "\n"  # fmt: skip


def test_plan(tmp_path: Path) -> None:
    f = _files(tmp_path)
    sources = build_sources()
    assert plan([f["r53"]], sources, "auto", None).answers is False  # a Resolver log alone costs nothing more
    assert plan([f["flow"], f["r53"]], sources, "auto", None).answers is True
    assert plan([f["flow"], f["r53"]], sources, "auto", None).bypass is False
    assert plan([f["squid"], f["r53"]], sources, "auto", None).bypass is True
    assert plan([f["squid"]], sources, "auto", None) == plan([], sources, "auto", None)
    assert plan(["-"], sources, "auto", None).answers is True  # stdin: could be anything


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, dict[str, object]]:
    assert main(["scan", "--json", *args]) == 0
    doc = json.loads(capsys.readouterr().out)
    return {f"{r['host']}:{r['port']}": r for r in doc["destinations"]}


def test_scan_names_flows_in_either_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _files(tmp_path)
    first = _scan(capsys, f["flow"], f["r53"])
    assert _scan(capsys, f["r53"], f["flow"]) == first
    pypi = first["files.pythonhosted.org:443"]
    assert pypi["count"] == 3  # the lookup and both flows
    assert any("named by a DNS answer to the same client in r53.log" in r for r in pypi["reasons"])  # type: ignore[attr-defined]
    assert any("DNS query" in r for r in pypi["reasons"])  # type: ignore[attr-defined]
    # nothing answered for these: they stay IP entries, never dropped
    assert {"198.51.100.25:8443", "52.94.5.10:443"} <= set(first)
    assert "151.101.0.223:443" not in first


def test_build_warns_on_unattributed_ips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _files(tmp_path)
    assert main(["build", "--to", "json", f["flow"], f["r53"]]) == 0
    out = capsys.readouterr()
    entries = {e["pattern"]: e for e in json.loads(out.out)["entries"]}
    assert entries["52.94.5.10"]["warnings"] == [UNATTRIBUTED]
    assert entries["files.pythonhosted.org"]["warnings"] == []
    assert "connections recorded by address: 2 named by a DNS answer to the same client, 2 left" in out.err


def test_a_capture_names_another_input_s_flows(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A capture on the host saw the lookup; the VPC flow log saw the connection."""
    from .sources.pcap_build import dns_answer, dns_query, pcap_bytes, udp

    capture = tmp_path / "dns.pcap"
    capture.write_bytes(
        pcap_bytes(
            [
                (T0 - 1, udp("10.40.7.19", "10.40.0.2", 53001, 53, dns_query("files.pythonhosted.org", 7))),
                (T0, udp("10.40.0.2", "10.40.7.19", 53, 53001, dns_answer("files.pythonhosted.org", 7, ["151.101.0.223"]))),
            ]
        )
    )  # fmt: skip
    flows = tmp_path / "flow.log"
    flows.write_text(FLOW_LOG)
    rows = _scan(capsys, str(flows), str(capture))
    assert rows["files.pythonhosted.org:443"]["count"] == 3
    assert "151.101.0.223:443" not in rows


@pytest.mark.parametrize("with_answer", [False, True])
def test_the_join_is_reported_only_when_dns_answers_came(with_answer: bool) -> None:
    """Flows held with no DNS answer anywhere (a summary or a cluster run of flow logs alone): no join line."""
    from egressmap.ingest import IngestReport, finish_pending

    c = Correlator()
    if with_answer:
        c.book.add(answered("pypi.org", "151.101.0.223"))
    assert c.hold(flow("151.101.0.223"), build_sources()["vpc-flow"])
    report = IngestReport()
    list(finish_pending(c, None, report))
    assert report.joined == ((1, 0, 0) if with_answer else None)
