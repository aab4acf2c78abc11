"""The pcap source: captures built in the test (dpkt frames, a real ClientHello), read from their bytes."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import dpkt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.ingest import IngestReport, observe
from egressmap.model import Observation, Skipped
from egressmap.sources.interface import Item
from egressmap.sources.pcap import PcapCapture
from egressmap.sources.pcap_flows import NO_SNI, QUIC

from .pcap_build import (
    Packet,
    block,
    client_hello,
    dns_answer,
    dns_query,
    pcap_bytes,
    pcapng_bytes,
    tcp,
    udp,
)

SYN, ACK, PSH, FIN = dpkt.tcp.TH_SYN, dpkt.tcp.TH_ACK, dpkt.tcp.TH_PUSH, dpkt.tcp.TH_FIN
HOST, RESOLVER = "10.0.0.5", "10.0.0.2"
SSM = "ssm.us-east-1.amazonaws.com"


def read(data: bytes, origin: str = "cap.pcap") -> tuple[list[Observation], list[Skipped], int]:
    """Read a capture's bytes: its observations, problems and packet count."""
    reading = PcapCapture().read_binary(io.BytesIO(data), origin)
    items: list[Item] = list(reading)
    return (
        [i for i in items if isinstance(i, Observation)],
        [i for i in items if isinstance(i, Skipped)],
        reading.records,
    )


def lookup(name: str, ident: int, addresses: list[str], time: float, rcode: int = 0) -> list[Packet]:
    """A DNS question from the host and the resolver's answer, over UDP."""
    return [
        (time, udp(HOST, RESOLVER, 40000 + ident, 53, dns_query(name, ident))),
        (time + 0.01, udp(RESOLVER, HOST, 53, 40000 + ident, dns_answer(name, ident, addresses, rcode))),
    ]


def tls_flow(server: str, sport: int, hello: bytes, time: float, cut: int | None = None) -> list[Packet]:
    """A TCP handshake and a ClientHello, split into two segments at ``cut``."""
    cut = len(hello) // 2 if cut is None else cut
    return [
        (time, tcp(HOST, server, sport, 443, 1000, SYN)),
        (time + 0.01, tcp(server, HOST, 443, sport, 5000, SYN | ACK)),
        (time + 0.02, tcp(HOST, server, sport, 443, 1001, ACK | PSH, hello[:cut])),
        (time + 0.03, tcp(HOST, server, sport, 443, 1001 + cut, ACK | PSH, hello[cut:])),
    ]


def test_dns_sni_split_across_segments_and_the_dns_join() -> None:
    """DNS answers, an SNI split over two segments, and a connection named only by its earlier DNS answer."""
    hello = client_hello(SSM)
    packets = [
        *lookup(SSM, 1, ["52.46.0.1"], 1.0),
        *tls_flow("52.46.0.1", 50001, hello, 1.1),
        *lookup("ssmmessages.us-east-1.amazonaws.com", 2, ["52.46.0.9"], 2.0),
        (2.1, tcp(HOST, "52.46.0.9", 50002, 443, 7, SYN)),
        (2.2, tcp(HOST, "52.46.0.9", 50002, 443, 8, FIN | ACK)),
        (3.0, tcp(HOST, "198.51.100.7", 50003, 8443, 9, SYN)),
    ]
    obs, problems, packets_read = read(pcap_bytes(packets))
    assert packets_read == len(packets)
    assert problems == []
    dns = [o for o in obs if o.kind == "dns"]
    assert [(o.host, o.outcome, o.tier, o.clients, o.source) for o in dns] == [
        (SSM, "allowed", "observed", (HOST,), "cap.pcap:2"),
        ("ssmmessages.us-east-1.amazonaws.com", "allowed", "observed", (HOST,), "cap.pcap:8"),
    ]
    assert all("DNS" in o.reason for o in dns)
    connects = [o for o in obs if o.kind == "connect"]
    sni, joined, bare = connects
    assert (sni.host, sni.port, sni.scheme, sni.clients, sni.time) == (SSM, 443, "https", (HOST,), 1.1)
    assert (sni.outcome, joined.outcome, bare.outcome) == ("allowed", "unknown", "unknown")  # SYN-ACK seen
    assert sni.reason == "TLS ClientHello SNI in a packet capture"
    assert (joined.host, joined.port, joined.source) == (
        "ssmmessages.us-east-1.amazonaws.com",
        443,
        "cap.pcap:9",
    )
    assert "52.46.0.9" in joined.reason and "DNS answer" in joined.reason
    assert (bare.host, bare.port, bare.tier) == ("198.51.100.7", 8443, "observed")
    assert bare.reason.startswith("unattributed IP")


def test_failed_lookups_are_failed_and_unanswered_ones_kept() -> None:
    """NXDOMAIN is nxdomain, SERVFAIL failed; a question without an answer is kept, outcome unknown."""
    packets = [
        *lookup("nope.example.com", 3, [], 1.0, rcode=3),
        *lookup("broken.example.org", 4, [], 1.1, rcode=2),
        (1.2, udp(HOST, RESOLVER, 40009, 53, dns_query("silent.example.net", 9))),
        (1.3, udp(HOST, RESOLVER, 40010, 53, dns_query("7.0.0.10.in-addr.arpa", 10, dpkt.dns.DNS_PTR))),
    ]
    obs, problems, _ = read(pcap_bytes(packets))
    assert problems == []
    assert [(o.host, o.outcome) for o in obs] == [
        ("nope.example.com", "nxdomain"),
        ("broken.example.org", "failed"),
        ("silent.example.net", "unknown"),
    ]
    assert "NXDOMAIN" in obs[0].reason and "SERVFAIL" in obs[1].reason and "no answer" in obs[2].reason


def test_dns_over_tcp_in_two_segments() -> None:
    """DNS over TCP: length-prefixed messages, the answer split across segments, its addresses learned."""
    query = dns_query("pypi.org", 11)
    answer = dns_answer("pypi.org", 11, ["151.101.0.223", "2a04:4e42::223"])
    framed = len(answer).to_bytes(2, "big") + answer
    packets = [
        (1.0, tcp(HOST, RESOLVER, 41000, 53, 1, ACK | PSH, len(query).to_bytes(2, "big") + query)),
        (1.1, tcp(RESOLVER, HOST, 53, 41000, 1, ACK | PSH, framed[:10])),
        (1.2, tcp(RESOLVER, HOST, 53, 41000, 11, ACK | PSH, framed[10:])),
        (2.0, tcp("fd00::5", "2a04:4e42::223", 50010, 443, 1, SYN)),
    ]
    obs, problems, _ = read(pcap_bytes(packets))
    assert problems == []
    assert [(o.kind, o.host, o.outcome) for o in obs] == [
        ("dns", "pypi.org", "allowed"),
        ("connect", "pypi.org", "unknown"),
    ]


def test_http_host_with_port_and_connect() -> None:
    """The HTTP Host header names the flow with its port; CONNECT names its target."""
    request = b"GET /simple/ HTTP/1.1\r\nHost: Mirror.Example.org:8080\r\nAccept: */*\r\n\r\n"
    tunnel = b"CONNECT pypi.org:443 HTTP/1.1\r\nHost: pypi.org:443\r\n\r\n"
    packets = [
        (1.0, tcp(HOST, "203.0.113.4", 50020, 8080, 1, SYN)),
        (1.1, tcp(HOST, "203.0.113.4", 50020, 8080, 2, ACK | PSH, request[:20])),
        (1.2, tcp(HOST, "203.0.113.4", 50020, 8080, 22, ACK | PSH, request[20:])),
        (1.3, tcp(HOST, "203.0.113.9", 50021, 3128, 1, SYN)),
        (1.4, tcp(HOST, "203.0.113.9", 50021, 3128, 2, ACK | PSH, tunnel)),
    ]
    obs, problems, _ = read(pcap_bytes(packets))
    assert problems == []
    assert [(o.host, o.port, o.scheme, o.reason) for o in obs] == [
        ("mirror.example.org", 8080, "http", "HTTP Host header in a packet capture"),
        ("pypi.org", 443, "http", "HTTP Host header in a packet capture"),
    ]


def test_quic_and_tls_without_sni_are_counted_as_name_not_visible() -> None:
    """QUIC (UDP 443) and a ClientHello without SNI are warnings, and their flows still appear."""
    packets = [
        *lookup("www.google.com", 5, ["142.250.1.1"], 1.0),
        (1.1, udp(HOST, "142.250.1.1", 51000, 443, b"\xc3" + bytes(1199))),
        (1.2, udp(HOST, "142.250.1.1", 51000, 443, b"\x40" + bytes(40))),
        *tls_flow("192.0.2.80", 50030, client_hello(None), 2.0),
    ]
    obs, problems, _ = read(pcap_bytes(packets))
    assert [(p.kind, p.reason, p.lineno) for p in problems] == [("warning", QUIC, 3), ("warning", NO_SNI, 5)]
    quic, no_sni = [o for o in obs if o.kind == "connect"]
    assert (quic.host, quic.port) == ("www.google.com", 443) and "QUIC" in quic.reason
    assert (no_sni.host, no_sni.port) == ("192.0.2.80", 443) and no_sni.reason.startswith("unattributed IP")


def test_pcapng_unknown_block_is_skipped_and_reported() -> None:
    """A pcapng block of an unknown type is passed over with a warning; packets on both sides are read."""
    packets = [*lookup("conda.anaconda.org", 6, ["104.17.92.24"], 1.0)]
    obs, problems, count = read(pcapng_bytes(packets, block(0x00001234, b"custom")), "cap.pcapng")
    assert count == 2
    assert [o.host for o in obs] == ["conda.anaconda.org"]
    assert [(p.kind, p.lineno) for p in problems] == [("warning", 2)]
    assert "unknown type 0x00001234" in problems[0].reason


def test_truncated_pcap_keeps_good_packets_and_reports_the_cut() -> None:
    """A capture cut inside its last packet keeps every packet before the cut and says where it ends."""
    packets = [
        *lookup("github.com", 7, ["140.82.112.3"], 1.0),
        *lookup("api.github.com", 8, ["140.82.112.6"], 2.0),
    ]
    data = pcap_bytes(packets)
    obs, problems, count = read(data[:-10])
    assert count == 3
    assert [o.host for o in obs] == ["github.com", "api.github.com"]  # the question is kept, unanswered
    assert obs[1].outcome == "unknown"
    assert [(p.kind, p.lineno) for p in problems] == [("malformed", 4)]
    assert (
        "capture ends early" in problems[0].reason and "3 packets before it were used" in problems[0].reason
    )


def test_non_ip_link_type_is_reported_once_with_its_count() -> None:
    """Frames of a link type not read (802.11 radiotap) are counted in one clear problem."""
    _, problems, count = read(pcap_bytes([(1.0, b"\x00" * 40), (2.0, b"\x00" * 40)], linktype=127))
    assert count == 2
    assert [(p.lineno, p.count) for p in problems] == [(1, 2)]
    assert "link type 127 is not read" in problems[0].reason and "tcpdump -i any" in problems[0].reason


def test_text_input_given_as_pcap_says_so() -> None:
    """``--format pcap`` on a text input is one clear problem, never a crash."""
    items = list(PcapCapture().read(["pypi.org", "github.com"], "list.txt"))
    assert isinstance(items[0], Skipped) and items == [Skipped("list.txt", 1, items[0].reason)]
    assert "not a pcap or pcapng capture" in items[0].reason


@pytest.mark.parametrize("compress", [False, True])
def test_ingest_reads_a_capture_file_and_its_gzip(tmp_path: Path, compress: bool) -> None:
    """Ingest routes a capture (plain or .gz) to the pcap source and counts packets as its lines."""
    data = pcapng_bytes(
        [*lookup(SSM, 1, ["52.46.0.1"], 1.0), *tls_flow("52.46.0.1", 50001, client_hello(SSM), 1.1)]
    )
    path = tmp_path / ("cap.pcapng.gz" if compress else "cap.pcapng")
    path.write_bytes(gzip.compress(data) if compress else data)
    report = IngestReport()
    obs = list(observe([str(path)], report))
    rep = report.inputs[0]
    assert (rep.format, rep.lines, rep.observations, rep.error) == ("pcap", 6, 2, None)
    assert {(o.kind, o.host) for o in obs} == {("dns", SSM), ("connect", SSM)}


def test_ingest_refuses_another_format_for_a_capture(tmp_path: Path) -> None:
    """``--format squid`` on a capture is an input error that names the capture."""
    path = tmp_path / "cap.pcap"
    path.write_bytes(pcap_bytes(lookup(SSM, 1, [], 1.0)))
    report = IngestReport()
    assert list(observe([str(path)], report, wanted="squid")) == []
    assert "a pcap capture, not --format squid" in (report.inputs[0].error or "")


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.binary(max_size=120), max_size=6), st.integers(0, 40))
def test_damaged_packets_never_stop_the_reading(frames: list[bytes], cut: int) -> None:
    """Random bytes inside IP, UDP 53 and TCP 443 frames are reported or passed over, never an exception."""
    packets: list[Packet] = []
    for index, junk in enumerate(frames):
        packets += [
            (float(index), udp(RESOLVER, HOST, 53, 40000, junk)),
            (float(index), tcp(HOST, "192.0.2.1", 50000 + index, 443, 1, ACK, b"\x16\x03\x01" + junk)),
            (float(index), b"\x02" * 12 + b"\x08\x00" + junk),
        ]
    data = pcap_bytes(packets)
    obs, problems, count = read(data[: len(data) - cut])
    assert count <= len(packets)
    assert all(isinstance(p.reason, str) for p in problems) and all(o.host for o in obs)


def test_a_reset_before_the_answer_is_failed() -> None:
    """A server (or firewall) resetting the SYN makes the connection failed; a client FIN leaves it unknown."""
    RST = dpkt.tcp.TH_RST
    packets = [
        (1.0, tcp(HOST, "192.0.2.10", 50040, 443, 1, SYN)),
        (1.1, tcp("192.0.2.10", HOST, 443, 50040, 0, RST | ACK)),
        (1.2, tcp(HOST, "192.0.2.11", 50041, 80, 1, SYN)),
        (1.3, tcp(HOST, "192.0.2.11", 50041, 80, 2, FIN | ACK)),
    ]
    obs, _, _ = read(pcap_bytes(packets))
    assert [(o.host, o.port, o.outcome, o.scheme) for o in obs] == [
        ("192.0.2.10", 443, "failed", "https"),
        ("192.0.2.11", 80, "unknown", "http"),
    ]


def test_the_dns_answer_to_the_same_client_names_the_flow_first() -> None:
    """Two clients got different names for one address: each connection takes its own client's answer."""
    other = "10.0.0.6"
    packets = [
        *lookup("a.example.com", 21, ["198.51.100.20"], 1.0),
        (1.1, udp(other, RESOLVER, 40100, 53, dns_query("b.example.com", 22))),
        (1.2, udp(RESOLVER, other, 53, 40100, dns_answer("b.example.com", 22, ["198.51.100.20"]))),
        (2.0, tcp(HOST, "198.51.100.20", 50050, 443, 1, SYN)),
        (2.1, tcp(other, "198.51.100.20", 50051, 443, 1, SYN)),
        (2.2, tcp("10.0.0.7", "198.51.100.20", 50052, 443, 1, SYN)),
    ]
    obs, _, _ = read(pcap_bytes(packets))
    assert [(o.host, o.clients) for o in obs if o.kind == "connect"] == [
        ("a.example.com", (HOST,)),
        ("b.example.com", (other,)),
        ("b.example.com", ("10.0.0.7",)),  # no answer of its own: the last answer to any client
    ]


@pytest.mark.parametrize("linktype", [101, 113, 276, 0])
def test_raw_ip_cooked_and_loopback_link_types(linktype: int) -> None:
    """Raw IP, Linux cooked captures (tcpdump -i any, v1 and v2) and BSD loopback frames are read."""
    frame = udp(RESOLVER, HOST, 53, 40000, dns_answer("pypi.org", 31, ["151.101.0.223"]))
    ip = frame[14:]  # without the Ethernet header
    wrapped = {
        101: ip,
        113: bytes(dpkt.sll.SLL(type=4, ethtype=0x0800, data=ip)),
        276: bytes(dpkt.sll2.SLL2(ethtype=0x0800, intindex=1, type=4, data=ip)),
        0: (2).to_bytes(4, "little") + ip,
    }[linktype]
    obs, problems, _ = read(pcap_bytes([(1.0, wrapped)], linktype=linktype))
    assert problems == [] and [o.host for o in obs] == ["pypi.org"]


def test_pcapng_simple_packet_block_is_read_without_a_time() -> None:
    """A simple packet block (no timestamp) is a packet like any other; its observation has no time."""
    frame = udp(RESOLVER, HOST, 53, 40000, dns_answer("pypi.org", 41, ["151.101.0.223"]))
    simple = block(3, len(frame).to_bytes(4, "little") + frame)
    obs, problems, count = read(pcapng_bytes(lookup("github.com", 42, [], 1.0), simple), "c.pcapng")
    assert problems == [] and count == 3
    assert [(o.host, o.time, o.source) for o in obs] == [
        ("pypi.org", None, "c.pcapng:2"),
        ("github.com", 1.01, "c.pcapng:3"),
    ]
