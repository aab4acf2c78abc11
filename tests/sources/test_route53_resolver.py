"""Route 53 Resolver query logs: field mappings, outcomes, CloudWatch prefixes and bad records."""

from __future__ import annotations

import json
from typing import Any

from egressmap.model import Observation, Skipped
from egressmap.sources import FORMAT_NAMES, build_sources, choose
from egressmap.sources.aws_json import load_record
from egressmap.sources.interface import Item
from egressmap.sources.route53_resolver import Answer, ResolverLog, parse_query

STREAM = "vpc-0b7d2e4f6a8c13579_vpcdnsquerylogs_444455556666_7e1a9c3d"


def record(name: str = "files.pythonhosted.org.", **changes: Any) -> str:
    """A query log record shaped like the service writes them (keys in its order, version 1.100000)."""
    data: dict[str, Any] = {
        "version": "1.100000",
        "account_id": "444455556666",
        "region": "eu-central-1",
        "vpc_id": "vpc-0b7d2e4f6a8c13579",
        "query_timestamp": "2026-11-03T09:14:21Z",
        "query_name": name,
        "query_type": "A",
        "query_class": "IN",
        "rcode": "NOERROR",
        "answers": [
            {"Rdata": "dualstack.python.map.fastly.net.", "Type": "CNAME", "Class": "IN"},
            {"Rdata": "151.101.0.223", "Type": "A", "Class": "IN"},
        ],
        "srcaddr": "10.40.7.19",
        "srcport": "51324",
        "transport": "UDP",
        "srcids": {"instance": "i-07c3e5a9b1d2f4680"},
    }
    data.update(changes)
    return json.dumps({k: v for k, v in data.items() if v is not None}, separators=(",", ":"))


def read(*lines: str) -> list[Item]:
    """Everything the reader yields for these lines."""
    return list(ResolverLog().read(lines, "r53.log"))


def test_every_field_of_a_plain_query_is_mapped() -> None:
    """Name without its dot, port 443, dns kind, observed tier, clients, time, reason naming DNS."""
    (obs,) = read(record())
    assert isinstance(obs, Observation)
    assert (obs.host, obs.port, obs.kind, obs.tier) == ("files.pythonhosted.org", 443, "dns", "observed")
    assert obs.clients == ("10.40.7.19", "i-07c3e5a9b1d2f4680")
    assert obs.time == 1793697261.0 and obs.source == "r53.log:1" and obs.outcome == "unknown"
    assert obs.reason.startswith("DNS query seen in a Route 53 Resolver query log (DNS only")
    assert obs.scheme is None and obs.url is None and obs.count == 1


def test_the_answers_are_kept_for_a_flow_join() -> None:
    """parse_query keeps every answer; addresses are the A/AAAA ones."""
    query = parse_query(load_record(record()))
    assert query.answers == (
        Answer("dualstack.python.map.fastly.net.", "CNAME"),
        Answer("151.101.0.223", "A"),
    )
    assert query.addresses == ("151.101.0.223",)
    assert (query.vpc_id, query.query_type, query.rcode) == ("vpc-0b7d2e4f6a8c13579", "A", "NOERROR")


def test_nxdomain_is_marked_and_servfail_is_failed() -> None:
    """A name answered NXDOMAIN is kept with outcome nxdomain, SERVFAIL with failed; the rcode in the reason."""
    nx, fail = read(record("nope.example.org.", rcode="NXDOMAIN", answers=[]), record(rcode="SERVFAIL"))
    assert isinstance(nx, Observation) and isinstance(fail, Observation)
    assert (nx.host, nx.outcome) == ("nope.example.org", "nxdomain") and "answered NXDOMAIN" in nx.reason
    assert fail.outcome == "failed" and "answered SERVFAIL" in fail.reason


def test_dns_firewall_block_is_denied_and_alert_is_kept_with_its_action() -> None:
    """firewall_rule_action BLOCK -> denied (rule group named); ALERT keeps the rcode's outcome, action named."""
    fw = {"firewall_rule_group_id": "rslvr-frg-0a1b2c3d4e5f60718", "firewall_domain_list_id": "rslvr-fdl-1"}
    block, alert = read(
        record("pastebin.com.", firewall_rule_action="BLOCK", **fw),
        record("example.net.", firewall_rule_action="ALERT", **fw),
    )
    assert isinstance(block, Observation) and isinstance(alert, Observation)
    assert block.outcome == "denied"
    assert "blocked by DNS Firewall (BLOCK, rule group rslvr-frg-0a1b2c3d4e5f60718)" in block.reason
    assert alert.outcome == "unknown" and "DNS Firewall action ALERT" in alert.reason


def test_no_instance_means_one_client() -> None:
    """A query from a resolver endpoint or without srcids names srcaddr only."""
    (obs,) = read(record(srcids={"resolver_endpoint": "rslvr-in-0123456789abcdef0"}))
    assert isinstance(obs, Observation) and obs.clients == ("10.40.7.19",)


def test_cloudwatch_export_prefixes_are_read() -> None:
    """The same records after a time and a log stream, as CloudWatch Logs exports them."""
    lines = [f"2026-11-03T09:14:2{i}.118000+00:00 {STREAM} {record()}" for i in range(3)]
    assert ResolverLog().sniff(lines) == 1.0
    (obs,) = read(*lines)
    assert isinstance(obs, Observation) and (obs.host, obs.count) == ("files.pythonhosted.org", 3)


def test_identical_queries_are_counted_with_their_clients_and_time_span() -> None:
    """Repeated queries become one counted observation: first line as source, clients sampled, time span."""
    items = read(
        record(query_timestamp="2026-11-03T09:14:30Z"),
        record(srcaddr="10.40.7.20", srcids={"instance": "i-0aaaaaaaaaaaaaaa1"}),
        record("pypi.org."),
        record(query_timestamp="2026-11-03T09:15:00Z"),
    )
    first, pypi = items
    assert isinstance(first, Observation) and isinstance(pypi, Observation)
    assert (first.count, first.source, first.time, first.last_time) == (
        3,
        "r53.log:1",
        1793697261.0,
        1793697300.0,
    )
    assert first.clients == ("10.40.7.19", "i-07c3e5a9b1d2f4680", "10.40.7.20", "i-0aaaaaaaaaaaaaaa1")
    assert (pypi.count, pypi.source, pypi.last_time) == (1, "r53.log:3", None)


def test_bad_records_are_counted_with_line_numbers_and_good_ones_kept() -> None:
    """Missing fields, a record cut mid-way and a wrong major version are malformed lines; the rest is read."""
    good = record()
    items = read(
        good,
        record(query_name=None),
        good[:70],
        record(version="2.000000"),
        "",
        record(srcaddr=None),
        record("pypi.org.", version="1.000000"),
    )
    bad = [i for i in items if isinstance(i, Skipped)]
    assert [(s.lineno, s.kind) for s in bad] == [
        (2, "malformed"),
        (3, "malformed"),
        (4, "malformed"),
        (6, "malformed"),
    ]
    assert "missing field 'query_name'" in bad[0].reason
    assert "JSON cut or damaged" in bad[1].reason
    assert "version 2.000000 is not supported (egressmap reads version 1.x)" in bad[2].reason
    assert "missing field 'srcaddr'" in bad[3].reason
    assert [o.host for o in items if isinstance(o, Observation)] == ["files.pythonhosted.org", "pypi.org"]


def test_reverse_lookups_and_local_names_are_dropped_not_bad() -> None:
    """PTR questions and names that are no destination are dropped with why."""
    ptr, local = read(record("9.0.101.151.in-addr.arpa.", query_type="PTR"), record("localhost."))
    assert (
        isinstance(ptr, Skipped) and ptr.kind == "dropped" and ptr.reason.startswith("reverse lookup (PTR)")
    )
    assert isinstance(local, Skipped) and local.kind == "dropped"


def test_sniffing_picks_the_resolver_reader() -> None:
    """Auto-detection picks route53-resolver for these records, and the name is a --format value."""
    head = [record(), record("github.com."), record("pypi.org.")]
    assert choose(head, build_sources()).name == "route53-resolver"
    assert "route53-resolver" in FORMAT_NAMES
    assert ResolverLog().sniff(['{"ts": 1, "host": "a.example"}']) < 0
