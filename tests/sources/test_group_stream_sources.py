"""CloudWatch Logs export lines: the Resolver, Network Firewall and free-text readers name group and stream."""

from __future__ import annotations

from egressmap.model import Observation
from egressmap.sources.aws_json import line_source
from egressmap.sources.freetext import FreeText
from egressmap.sources.network_firewall import NetworkFirewallLog
from egressmap.sources.route53_resolver import ResolverLog
from egressmap.sources.text_prefix import awslogs_source
from tests.sources.test_network_firewall import alert
from tests.sources.test_route53_resolver import record

GROUP, STREAM = "/aws/route53/resolver-query-logs", "vpc-0b7d2e4f6a8c13579_i-07c3e5a9b1d2f4680"
FETCHED = f"{GROUP} {STREAM} 2026-11-03T09:14:21.000Z "
"""The prefix ``fetch cloudwatch`` writes (``awslogs get`` with timestamps)."""


def sources(reader: object, *lines: str) -> list[str]:
    """The sources of the observations a reader makes of these lines (origin ``f.log``)."""
    assert isinstance(reader, (ResolverLog, NetworkFirewallLog, FreeText))
    return [o.source for o in reader.read(list(lines), "f.log") if isinstance(o, Observation)]


def test_resolver_lines_name_their_group_and_stream() -> None:
    """A fetched line names group and stream; aws logs tail's time and stream name the stream; plain S3 lines none."""
    assert sources(ResolverLog(), FETCHED + record("pypi.org.")) == [f"f.log:1 ({GROUP} {STREAM})"]
    tail = f"2026-11-03T09:14:21.123000+00:00 {STREAM} " + record("github.com.")
    assert sources(ResolverLog(), "", tail) == [f"f.log:2 ({STREAM})"]
    assert sources(ResolverLog(), record("example.org.")) == ["f.log:1"]


def test_network_firewall_lines_name_their_group_and_stream() -> None:
    """The Network Firewall reader names them the same way (its stream: firewall and hour)."""
    group, stream = "/aws/network-firewall/alert", "egress-fw_2026-11-03-09"
    line = f"{group} {stream} 2026-11-03T09:14:21.000Z {alert()}"
    assert set(sources(NetworkFirewallLog(), line)) == {f"f.log:1 ({group} {stream})"}
    assert set(sources(NetworkFirewallLog(), alert())) == {"f.log:1"}


def test_free_text_lines_name_their_group_and_stream() -> None:
    """An image-build line fetched from CloudWatch names the group and stream; a command or a URL does not."""
    group = "/aws/imagebuilder/ParallelClusterImage-u20lts-image"
    line = f"{group} 3.5.0/1 2026-11-03T09:14:21.000Z Stdout: Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease"
    assert sources(FreeText(), line) == [f"f.log:1 ({group} 3.5.0/1)"]
    assert sources(FreeText(), "see https://example.org/x.tar.gz") == ["f.log:1"]
    assert awslogs_source("f.log", 3, "/usr/bin/curl -O https://example.org/x.tar.gz") == "f.log:3"
    assert awslogs_source("f.log", 3, f"{group} 3.5.0/1 Stdout: x") == "f.log:3"  # no time: not named


def test_times_are_not_names() -> None:
    """ISO times in a prefix, bracketed or not, with or without an offset, are left out of the source."""
    assert line_source("f", 1, '[2026-11-03T09:14:21,314] s1 2026-11-03T09:14Z {"a": 1}') == "f:1 (s1)"
    assert line_source("f", 1, '2026-11-03 {"a": 1}') == "f:1"
