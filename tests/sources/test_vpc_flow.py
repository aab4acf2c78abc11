"""AWS VPC Flow Logs text: header layouts (v2, v3-v5 custom), egress, outcomes, CloudWatch lines, bad input."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.model import Observation, Skipped
from egressmap.sources import build_sources, choose
from egressmap.sources.interface import Item
from egressmap.sources.vpc_flow import DEFAULT_FIELDS, NO_HEADER, VpcFlowLog, header_layout

V2_HEADER = " ".join(DEFAULT_FIELDS)
# records written the way the default format prints them (account, ENI, epoch start/end, action, log-status)
V2_LOG = [
    V2_HEADER,
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 151.101.0.223 41822 443 6 12 4401 1795161600 1795161660 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 151.101.0.223 41830 443 6 9 3120 1795161640 1795161700 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.16 151.101.0.223 52001 443 6 10 3900 1795161700 1795161760 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 198.51.100.25 40112 8443 6 3 180 1795161600 1795161660 REJECT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 203.0.113.53 51515 53 17 1 71 1795161600 1795161660 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 203.0.113.7 10.20.1.15 61022 22 6 20 4249 1795161600 1795161660 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 10.20.2.9 33010 2049 6 40 9000 1795161600 1795161660 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 8.8.4.4 0 0 1 4 336 1795161600 1795161660 ACCEPT OK",
    "2 210987654321 eni-0a1b2c3d4e5f60718 - - - - - - - 1795161600 1795161660 - NODATA",
    "2 210987654321 eni-0a1b2c3d4e5f60718 - - - - - - - 1795161600 1795161660 - SKIPDATA",
]  # fmt: skip

V5_HEADER = (
    "version srcaddr dstaddr srcport dstport protocol start end type packets bytes account-id vpc-id subnet-id "
    "instance-id interface-id region az-id sublocation-type sublocation-id action tcp-flags pkt-srcaddr "
    "pkt-dstaddr pkt-src-aws-service pkt-dst-aws-service traffic-path flow-direction log-status"
)
V5_LOG = [
    V5_HEADER,
    # through a NAT gateway: dstaddr is the NAT's ENI, pkt-dstaddr the real destination
    "5 10.20.1.15 10.20.0.140 45210 443 6 1795161600 1795161660 IPv4 8 1820 210987654321 vpc-0a1b2c3d4e5f60718 "
    "subnet-0a1b2c3d4e5f60718 i-0a1b2c3d4e5f60718 eni-0a1b2c3d4e5f60718 us-east-1 use1-az2 - - ACCEPT 19 "
    "10.20.1.15 52.216.20.171 - S3 8 egress OK",
    # inbound, marked so: dropped though the source is private
    "5 10.20.1.15 10.20.1.40 443 45300 6 1795161600 1795161660 IPv4 8 1820 210987654321 vpc-0a1b2c3d4e5f60718 "
    "subnet-0a1b2c3d4e5f60718 i-0a1b2c3d4e5f60718 eni-0a1b2c3d4e5f60718 us-east-1 use1-az2 - - ACCEPT 19 "
    "10.20.1.15 10.20.1.40 - - 1 ingress OK",
    # pkt-dstaddr '-': dstaddr is used
    "5 10.20.1.15 140.82.112.3 45220 22 6 1795161600 1795161660 IPv4 8 1820 210987654321 vpc-0a1b2c3d4e5f60718 "
    "subnet-0a1b2c3d4e5f60718 i-0a1b2c3d4e5f60718 eni-0a1b2c3d4e5f60718 us-east-1 use1-az2 - - REJECT 2 "
    "10.20.1.15 - - - 8 egress OK",
]


def _read(lines: list[str], origin: str = "flow.log") -> list[Item]:
    return list(VpcFlowLog().read(lines, origin))


def _obs(items: list[Item]) -> list[Observation]:
    return [i for i in items if isinstance(i, Observation)]


def _skips(items: list[Item], kind: str | None = None) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped) and (kind is None or i.kind == kind)]


def test_default_v2_fields_are_mapped() -> None:
    """Outbound TCP/UDP flows become IP destinations: client, port, outcome, time, count, reason."""
    items = _read(V2_LOG)
    by_dest = {(o.host, o.port): o for o in _obs(items)}
    assert set(by_dest) == {("151.101.0.223", 443), ("198.51.100.25", 8443), ("203.0.113.53", 53)}
    https = by_dest[("151.101.0.223", 443)]
    assert (https.kind, https.tier, https.outcome, https.count) == ("connect", "observed", "allowed", 3)
    assert https.clients == ("10.20.1.15", "10.20.1.16")
    assert (https.time, https.last_time) == (1795161600.0, 1795161700.0)
    assert https.source == "flow.log:2"
    assert https.reason == "outbound TCP flow in a VPC flow log (unattributed IP)"
    rejected = by_dest[("198.51.100.25", 8443)]
    assert (
        rejected.outcome == "denied" and "REJECT" in rejected.reason and "unattributed IP" in rejected.reason
    )
    assert by_dest[("203.0.113.53", 53)].reason.startswith("outbound UDP flow")
    assert _skips(items, "malformed") == [] and _skips(items, "warning") == []


def test_dropped_records_are_counted_not_silent() -> None:
    """Inbound, internal, ICMP, NODATA and SKIPDATA records are each counted once, with their first line."""
    dropped = {s.reason: (s.lineno, s.count) for s in _skips(_read(V2_LOG), "dropped")}
    assert dropped == {
        "internal or inbound flow (egress is private to public)": (7, 2),
        "protocol 1 flow (no port): not a destination": (9, 1),
        "NODATA record (no flow in its interval)": (10, 1),
        "SKIPDATA record (no flow in its interval)": (11, 1),
    }


def test_custom_v5_format_prefers_pkt_dstaddr_and_flow_direction() -> None:
    """Columns come from the header; pkt-dstaddr wins unless '-'; flow-direction ingress is dropped."""
    items = _read(V5_LOG)
    nat, ssh = _obs(items)
    assert (nat.host, nat.port, nat.outcome, nat.clients) == (
        "52.216.20.171",
        443,
        "allowed",
        ("10.20.1.15",),
    )
    assert (ssh.host, ssh.port, ssh.outcome) == ("140.82.112.3", 22, "denied")
    (ingress,) = _skips(items, "dropped")
    assert (ingress.reason, ingress.lineno) == ("ingress flow: not egress", 3)


def test_custom_v3_format_in_another_order_with_pkt_srcaddr() -> None:
    """A v3 custom format in its own order: the client is pkt-srcaddr, the destination pkt-dstaddr."""
    header = "instance-id interface-id srcaddr dstaddr pkt-srcaddr pkt-dstaddr dstport protocol action start"
    record = "i-0a1b2c3d4e5f60718 eni-0a1b2c3d4e5f60718 10.20.0.140 10.20.0.141 10.20.1.77 13.32.99.14 443 6 ACCEPT 1795161600"
    (obs,) = _obs(_read([header, record]))
    assert (obs.host, obs.port, obs.clients, obs.time) == ("13.32.99.14", 443, ("10.20.1.77",), 1795161600.0)


def test_ipv6_flow_is_egress_from_a_ula_source() -> None:
    """IPv6 addresses are read; a ULA source to a global destination is egress."""
    line = "2 210987654321 eni-0a1b2c3d4e5f60718 fd00:20::15 2600:1F18:ABCD::10 50100 443 6 5 900 1795161600 1795161660 ACCEPT OK"
    (obs,) = _obs(_read([V2_HEADER, line]))
    assert obs.host == "2600:1f18:abcd::10"


def test_bad_records_counted_with_line_numbers_good_ones_kept() -> None:
    """Wrong field count, non-numeric ports, a bad action: malformed with their line numbers; the rest read."""
    good = V2_LOG[1]
    lines = [
        V2_HEADER,
        good,
        "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 151.101.0.223 41822 443 6 12 4401",
        "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 151.101.0.223 41822 https 6 12 4401 1795161600 1795161660 ACCEPT OK",
        "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 151.101.0.223 41822 443 6 12 4401 1795161600 1795161660 ALLOW OK",
        "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 nowhere 41822 443 6 12 4401 1795161600 1795161660 ACCEPT OK",
        f"extra {good}",
        f"2026-11-20T08:00:00.000Z {good}",
        good,
    ]  # fmt: skip
    items = _read(lines)
    (obs,) = _obs(items)
    assert obs.count == 3
    bad = {s.lineno: s.reason for s in _skips(items, "malformed")}
    assert bad == {
        3: "flow log record with 10 fields, the header names 14",
        4: "non-numeric port or protocol (dstport 'https', protocol '6')",
        5: "action 'ALLOW', not ACCEPT or REJECT",
        6: "flow log record without IP addresses ('10.20.1.15' to 'nowhere')",
        7: "flow log record with 15 fields, the header names 14",
    }


def test_flow_log_without_header_is_refused_with_what_to_do() -> None:
    """A custom-format file cut from its header: every line counted once, the message says to give the header."""
    items = _read(V5_LOG[1:])
    assert _obs(items) == []
    (refused,) = _skips(items)
    assert (refused.reason, refused.lineno, refused.count, refused.kind) == (NO_HEADER, 1, 3, "malformed")
    assert refused.reason.startswith("VPC flow log without its header line: give the flow log's format")
    assert choose(V5_LOG[1:], build_sources()).name == "vpc-flow"  # sniffed, so that this is said


def test_cloudwatch_lines_read_as_default_layout_with_a_warning() -> None:
    """CloudWatch events (no header; a time and stream before each) are read as v2, with one warning."""
    lines = [
        f"2026-11-20T08:00:00.000Z eni-0a1b2c3d4e5f60718-all {V2_LOG[1]}",
        f"2026-11-20T08:00:40.000Z eni-0a1b2c3d4e5f60718-all {V2_LOG[4]}",
        V2_LOG[2],
        f"/aws/vpc/flowlogs eni-0a1b2c3d4e5f60718-all {V2_LOG[3]}",  # awslogs get: group and stream
        "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 151.101.0.223 41822 443 6",
    ]
    items = _read(lines)
    assert {(o.host, o.outcome) for o in _obs(items)} == {
        ("151.101.0.223", "allowed"),
        ("198.51.100.25", "denied"),
    }
    assert sum(o.count for o in _obs(items)) == 4
    # a source names the log stream (and group) its line came from, as the JSON readers' do
    assert {o.source for o in _obs(items)} == {
        "flow.log:1 (eni-0a1b2c3d4e5f60718-all)",
        "flow.log:2 (eni-0a1b2c3d4e5f60718-all)",
    }
    (warning,) = _skips(items, "warning")
    assert warning.lineno == 1 and "read as the default v2 flow log format" in warning.reason
    (cut,) = _skips(items, "malformed")
    assert (cut.lineno, cut.reason) == (5, "flow log record with 8 fields, the default format names 14")


def test_header_repeated_mid_input_switches_layout() -> None:
    """Concatenated S3 objects (zcat *.gz): each header starts its own layout."""
    items = _read([*V2_LOG[:2], *V5_LOG[:2]])
    assert {o.host for o in _obs(items)} == {"151.101.0.223", "52.216.20.171"}


def test_header_layout_requires_the_needed_fields() -> None:
    """A header is a line of field names including the addresses, port, protocol and action."""
    assert header_layout(V2_HEADER) is not None
    assert header_layout("version srcaddr dstaddr") is None
    assert header_layout("srcaddr dstaddr dstport protocol action 10.0.0.1") is None
    assert header_layout("2 srcaddr dstaddr dstport protocol action") is None


def test_later_fields_in_a_header_are_ignored_with_a_warning() -> None:
    """Field names after v5 are columns to skip over, named once in a warning."""
    header = "srcaddr dstaddr dstport protocol action ecs-task-id log-status"
    items = _read([header, "10.20.1.15 151.101.0.223 443 6 ACCEPT - OK"])
    assert [o.host for o in _obs(items)] == ["151.101.0.223"]
    (warning,) = _skips(items, "warning")
    assert (warning.lineno, warning.reason) == (
        1,
        "flow log fields not known to egressmap, ignored: ecs-task-id",
    )


def test_sniffing_picks_vpc_flow() -> None:
    """A header line wins over free text; so do CloudWatch default-format lines; a proxy log is not a flow log."""
    sources = build_sources()
    assert choose(V2_LOG[:6], sources).name == "vpc-flow"
    assert choose(V5_LOG, sources).name == "vpc-flow"
    assert choose([f"2026-11-20T08:00:00.000Z eni-0a-all {V2_LOG[1]}"], sources).name == "vpc-flow"
    squid = "1795161600.123    105 10.20.1.15 TCP_TUNNEL/200 4401 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -"
    assert choose([squid], sources).name != "vpc-flow"


def test_scan_reads_a_gzipped_flow_log(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``scan --json`` on a .gz as S3 delivers it: read as vpc-flow, the IP destinations listed."""
    path = tmp_path / "210987654321_vpcflowlogs_us-east-1_fl-0a1b2c3d4e5f60718_20261120T0800Z_1a2b3c4d.log.gz"
    path.write_bytes(gzip.compress(("\n".join(V2_LOG) + "\n").encode()))
    code = main(["scan", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["inputs"][0]["format"] == "vpc-flow"
    assert {(d["host"], d["port"]) for d in report["destinations"]} == {
        ("151.101.0.223", 443),
        ("198.51.100.25", 8443),
        ("203.0.113.53", 53),
    }


def test_scan_names_a_missing_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``scan`` on a custom-format log cut from its header says so on stderr, with the command to fix it."""
    path = tmp_path / "flows.log"
    path.write_text("\n".join(V5_LOG[1:]) + "\n")
    code = main(["scan", str(path), "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["inputs"][0]["format"] == "vpc-flow"
    assert "3 bad lines (line 1, ...): VPC flow log without its header line" in err
    assert "| egressmap scan --format vpc-flow -" in err


def test_scan_reads_stdin_with_the_header_put_back(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The fix the missing-header message gives: the header line, then the records, on stdin."""
    text = "\n".join(V5_LOG) + "\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code = main(["scan", "--format", "vpc-flow", "-", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert {(d["host"], d["port"]) for d in json.loads(out)["destinations"]} == {
        ("52.216.20.171", 443),
        ("140.82.112.3", 22),
    }


def test_link_local_destination_is_dropped_not_listed() -> None:
    """A flow to a link-local address is no allowlist destination: dropped with the host's reason."""
    line = "2 210987654321 eni-0a1b2c3d4e5f60718 10.20.1.15 169.254.170.2 41000 80 6 5 900 1795161600 1795161660 ACCEPT OK"
    items = _read([V2_HEADER, line])
    assert _obs(items) == []
    (dropped,) = _skips(items, "dropped")
    assert "link-local" in dropped.reason and dropped.lineno == 2
