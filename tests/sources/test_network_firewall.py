"""AWS Network Firewall alert, flow and TLS logs: names, ports, outcomes, flows without a name, bad records."""

from __future__ import annotations

import json
from typing import Any

from egressmap.model import Observation, Skipped
from egressmap.sources import FORMAT_NAMES, build_sources, choose
from egressmap.sources.interface import Item
from egressmap.sources.network_firewall import NetworkFirewallLog

STAMP = 1793697261


def wrap(event: dict[str, Any], stamp: object = STAMP, **top: Any) -> str:
    """A Network Firewall record: the firewall's fields around a Suricata EVE event, one line."""
    data = {"firewall_name": "egress-fw", "availability_zone": "eu-central-1a", "event_timestamp": stamp}
    data.update(top)
    data["event"] = event
    return json.dumps(data, separators=(",", ":"))


def alert(action: str = "blocked", **extra: Any) -> str:
    """An alert log record (ports as ints, the alert object as Suricata writes it)."""
    event = {
        "timestamp": "2026-11-03T09:14:21.402117+0000",
        "flow_id": 1842203916734512,
        "event_type": "alert",
        "src_ip": "10.40.7.19",
        "src_port": 50412,
        "dest_ip": "104.16.24.34",
        "dest_port": 443,
        "proto": "TCP",
        "app_proto": "tls",
        "alert": {
            "action": action,
            "signature_id": 5,
            "rev": 0,
            "signature": "not in the egress allowlist",
            "category": "",
            "severity": 3,
        },
    }
    event.update(extra)
    return wrap(event)


def netflow(**extra: Any) -> str:
    """A flow log record (event type netflow, one direction)."""
    event: dict[str, Any] = {
        "timestamp": "2026-11-03T09:14:25.007515+0000",
        "flow_id": 771204518823309,
        "event_type": "netflow",
        "src_ip": "10.40.7.19",
        "src_port": 38112,
        "dest_ip": "52.94.133.131",
        "dest_port": 443,
        "proto": "TCP",
        "app_proto": "tls",
        "netflow": {"pkts": 9, "bytes": 1730, "start": "2026-11-03T09:13:11.001212+0000", "age": 0},
    }
    event.update(extra)
    return wrap(event, stamp=str(STAMP + 4))


def tls_log(sni: str = "-", **extra: Any) -> str:
    """A TLS log record: ports as strings, an SNI that may be '-', a TLS error."""
    event: dict[str, Any] = {
        "timestamp": "2026-11-03T09:14:30.118331Z",
        "src_ip": "10.40.7.19",
        "src_port": "59844",
        "dest_ip": "18.66.15.102",
        "dest_port": "443",
        "sni": sni,
        "tls_error": {"error_message": "SNI does not match the certificate's names"},
    }
    event.update(extra)
    return wrap(event)


def read(*lines: str) -> list[Item]:
    """Everything the reader yields for these lines."""
    return list(NetworkFirewallLog().read(lines, "nfw.log"))


def test_a_blocked_alert_with_tls_sni_is_denied_with_every_field_mapped() -> None:
    """event.tls.sni names the host; port, scheme, client, time and the denied outcome are mapped."""
    (obs,) = read(alert(tls={"sni": "pastebin.com", "version": "TLS 1.2"}))
    assert isinstance(obs, Observation)
    assert (obs.host, obs.port, obs.scheme, obs.kind, obs.tier) == (
        "pastebin.com",
        443,
        "https",
        "connect",
        "observed",
    )
    assert (obs.outcome, obs.clients, obs.time, obs.source) == (
        "denied",
        ("10.40.7.19",),
        float(STAMP),
        "nfw.log:1",
    )
    assert obs.reason == "TLS SNI seen by AWS Network Firewall (alert record, alert action blocked)"


def test_drop_and_reject_are_denied_allowed_is_allowed() -> None:
    """Alert actions drop/reject (any case) are denied; allowed is allowed."""
    items = read(
        alert("drop", sni="a.example.com"),
        alert("REJECT", sni="b.example.com"),
        alert("allowed", sni="c.example.com"),
    )
    assert [(o.host, o.outcome) for o in items if isinstance(o, Observation)] == [
        ("a.example.com", "denied"),
        ("b.example.com", "denied"),
        ("c.example.com", "allowed"),
    ]


def test_http_hostname_dest_hostname_and_dns_rrname() -> None:
    """http.hostname (scheme http), dest_hostname, and DNS rrname (a dns observation naming DNS) are read."""
    http, named, dns = read(
        alert("allowed", http={"hostname": "deb.debian.org", "url": "/debian/dists"}, dest_port=80),
        alert("allowed", dest_hostname="api.github.com"),
        alert(
            "allowed",
            app_proto="dns",
            dest_port=53,
            dns={"query": [{"type": "query", "rrname": "pypi.org."}]},
        ),
    )
    assert isinstance(http, Observation) and (http.host, http.port, http.scheme) == (
        "deb.debian.org",
        80,
        "http",
    )
    assert isinstance(named, Observation) and (named.host, named.port) == ("api.github.com", 443)
    assert named.reason.startswith("destination host name seen by AWS Network Firewall (alert record")
    assert isinstance(dns, Observation) and (dns.host, dns.port, dns.kind) == ("pypi.org", 443, "dns")
    assert dns.reason.endswith("; DNS only: no connection seen)")


def test_one_name_in_several_fields_is_one_observation() -> None:
    """sni and tls.sni with the same name give a single observation."""
    items = read(alert(sni="pastebin.com", tls={"sni": "PasteBin.com"}))
    assert len(items) == 1


def test_a_flow_without_a_name_is_an_ip_destination() -> None:
    """A netflow record names dest_ip with a reason saying no name was seen; its outcome is unknown."""
    (obs,) = read(netflow())
    assert isinstance(obs, Observation)
    assert (obs.host, obs.port, obs.kind, obs.outcome) == ("52.94.133.131", 443, "connect", "unknown")
    assert (
        obs.reason
        == "connection to an IP address seen by AWS Network Firewall (netflow record; no name seen)"
    )
    assert obs.time == float(STAMP + 4)


def test_the_return_half_of_a_flow_is_dropped() -> None:
    """Network Firewall logs each direction: public -> private is the reply, dropped with why."""
    (back,) = read(netflow(src_ip="52.94.133.131", src_port=443, dest_ip="10.40.7.19", dest_port=38112))
    assert isinstance(back, Skipped) and back.kind == "dropped"
    assert back.reason == "return direction of a flow (52.94.133.131 -> 10.40.7.19)"


def test_tls_log_with_string_ports_and_a_dash_sni() -> None:
    """'-' is no name (the dest_ip is used); string ports are read; a TLS error is failed with its message."""
    dash, named = read(tls_log(), tls_log("registry.npmjs.org"))
    assert isinstance(dash, Observation) and (dash.host, dash.port, dash.outcome) == (
        "18.66.15.102",
        443,
        "failed",
    )
    assert "TLS error: SNI does not match" in dash.reason
    assert isinstance(named, Observation) and (named.host, named.port) == ("registry.npmjs.org", 443)
    assert named.time == float(STAMP)


def test_cloudwatch_prefixed_lines_are_read() -> None:
    """Records after a time and a log stream (a CloudWatch Logs export) are sniffed and read."""
    lines = [
        f"2026-11-03T09:14:2{i}.000000+00:00 egress-fw_alert_eu-central-1a {alert(sni='x.example.org')}"
        for i in range(3)
    ]
    assert NetworkFirewallLog().sniff(lines) == 1.0
    assert [(o.host, o.count) for o in read(*lines) if isinstance(o, Observation)] == [("x.example.org", 3)]


def test_bad_records_are_counted_with_line_numbers_and_good_ones_kept() -> None:
    """No event, a cut line, a flow with neither name nor dest_ip, a bad port: malformed; the rest read."""
    good = alert(sni="pypi.org")
    no_ip = json.loads(netflow())
    del no_ip["event"]["dest_ip"]
    bad_port = netflow(dest_port="https")
    items = read(
        good,
        json.dumps({"firewall_name": "egress-fw", "event_timestamp": STAMP}),
        good[:90],
        json.dumps(no_ip),
        bad_port,
        alert(tls="not an object"),
        good,
    )
    bad = [i for i in items if isinstance(i, Skipped)]
    assert [(s.lineno, s.kind) for s in bad] == [(n, "malformed") for n in (2, 3, 4, 5, 6)]
    assert "missing field 'event'" in bad[0].reason and "JSON cut or damaged" in bad[1].reason
    assert "no name and no 'dest_ip'" in bad[2].reason and "bad 'dest_port'" in bad[3].reason
    assert "field 'tls' is not an object" in bad[4].reason
    assert [(o.source, o.count) for o in items if isinstance(o, Observation)] == [("nfw.log:1", 2)]


def test_sniffing_picks_the_network_firewall_reader() -> None:
    """Auto-detection picks aws-network-firewall for these records, and the name is a --format value."""
    head = [alert(sni="pypi.org"), netflow(), tls_log()]
    assert choose(head, build_sources()).name == "aws-network-firewall"
    assert "aws-network-firewall" in FORMAT_NAMES


def test_a_revocation_drop_and_a_blocked_alert_without_a_name() -> None:
    """A revoked certificate dropped is denied; a blocked alert with no name is its dest_ip, denied."""
    revoked, unnamed = read(
        tls_log(
            "updates.example.com",
            tls_error=None,
            revocation_check={"leaf_cert_fpr": "ab12", "status": "REVOKED", "action": "DROP"},
        ),
        alert(),
    )
    assert isinstance(revoked, Observation) and revoked.outcome == "denied"
    assert "certificate revocation check REVOKED" in revoked.reason
    assert isinstance(unnamed, Observation) and (unnamed.host, unnamed.outcome) == ("104.16.24.34", "denied")
    assert unnamed.reason.endswith("(alert record, alert action blocked; no name seen)")
