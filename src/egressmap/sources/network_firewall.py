"""AWS Network Firewall alert, flow and TLS logs: JSON lines (S3, Firehose) or CloudWatch Logs exports.

Each record wraps a Suricata EVE event in ``event`` beside ``firewall_name``, ``availability_zone`` and
``event_timestamp`` (epoch seconds, an int or a string); :mod:`.eve` turns the event into observations. Ports
may be strings (TLS logs) or ints (alert and flow logs). Network Firewall sees only the traffic routed through
it: traffic that does not cross a firewall endpoint is not in these logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from ..model import Skipped
from .aws_json import BadRecord, epoch_of, has_keys, line_source, load_record
from .eve import observations
from .interface import Item, Source, match_ratio
from .obs_tally import ObservationTally

SEEN_BY = "AWS Network Firewall"
_KEYS = frozenset({"firewall_name", "event"})


class NetworkFirewallLog(Source):
    """AWS Network Firewall logs."""

    name = "aws-network-firewall"
    role = "network"
    description = "AWS Network Firewall alert, flow and TLS logs (JSON lines, or CloudWatch Logs exports)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "sees only traffic routed through the firewall endpoints: not traffic inside the VPC, to gateway "
        "endpoints, or to Amazon DNS, instance metadata and Time Sync",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """Most lines hold a JSON object with ``firewall_name`` and ``event``."""
        return match_ratio(head, lambda line: has_keys(line, _KEYS))

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """The observations of each record, identical ones counted together; bad records with their line numbers."""
        tally = ObservationTally()
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = load_record(line)
                event = data.get("event")
                if not isinstance(event, dict) or not event:
                    raise BadRecord("missing field 'event'")
                where = None if line[0] == "{" else line_source(origin, lineno, line)
                time = epoch_of(data.get("event_timestamp"))
                items = list(observations(event, SEEN_BY, (origin, lineno), time, where))
            except BadRecord as exc:
                yield Skipped(origin, lineno, f"bad {SEEN_BY} record: {exc}")
                continue
            for item in items:
                if isinstance(item, Skipped):
                    yield item
                else:
                    tally.add(item)
        yield from tally.observations()
