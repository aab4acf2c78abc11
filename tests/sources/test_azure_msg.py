"""The legacy Azure Firewall msg wordings."""

from __future__ import annotations

from egressmap.sources.azure_msg import NOT_EGRESS, Event, parse


def test_application_rule_with_url_and_rule_names() -> None:
    """HTTP with a Url segment (no scheme: the protocol's), the action and the rule path."""
    event = parse(
        "HTTP request from 10.0.0.4:5000 to example.org:80. Url: example.org/a/b. Action: Allow. "
        "Policy: p. Rule Collection Group: g. Rule Collection: c. Rule: r"
    )
    assert event == Event("application", "example.org", 80, "10.0.0.4", "HTTP", "Allow", "http://example.org/a/b",
                          "p / g / c / r")  # fmt: skip


def test_network_dns_and_not_egress_wordings() -> None:
    """TCP/UDP, DNS Request, DNS proxy errors; DNAT and ICMP are not egress; others are unknown."""
    tcp = parse("UDP request from 10.0.0.4:123 to 1.2.3.4:123. Action: Deny")
    assert isinstance(tcp, Event) and (tcp.kind, tcp.host, tcp.port, tcp.action) == (
        "network",
        "1.2.3.4",
        123,
        "Deny",
    )
    dns = parse(
        "DNS Request: 10.0.0.4:1000 - 12 AAAA IN a.example.com. tcp 60 false 512 SERVFAIL qr,rd 60 0.2s"
    )
    assert isinstance(dns, Event) and (dns.host, dns.client, dns.rcode, dns.protocol) == (
        "a.example.com.",
        "10.0.0.4",
        "SERVFAIL",
        "tcp",
    )
    assert parse("TCP request from 1.1.1.1:1 to 2.2.2.2:22 was DNAT'ed to 10.0.0.4:22") is None
    assert parse("ICMP Type=8 request from 10.0.0.4:0 to 1.1.1.1:0. Action: Allow..") is None
    assert NOT_EGRESS.endswith("not egress")
    unknown = parse("Connection reset")
    assert isinstance(unknown, str) and unknown.startswith("unknown Azure Firewall msg wording")
