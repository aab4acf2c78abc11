"""Suricata EVE JSON (``eve.json``): ``dns``, ``tls``, ``http``, ``alert``, ``flow`` and ``netflow`` events.

The event is the whole line (Network Firewall wraps the same event in ``event``); :mod:`.eve` maps both.
``stats`` events (no destination ever) are passed over; any other event without a name is an observation of its
``dest_ip``, like a flow.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from ..model import Skipped
from .aws_json import BadRecord, has_keys, load_record
from .eve import observations
from .interface import Item, Source, match_ratio
from .obs_tally import ObservationTally

SEEN_BY = "Suricata EVE"
_KEYS = frozenset({"timestamp", "event_type"})
_SILENT = frozenset({"stats"})
"""Event types that never name a destination."""


class SuricataEve(Source):
    """Suricata EVE JSON lines."""

    name = "suricata-eve"
    role = "network"
    description = "Suricata EVE JSON (dns, tls, http, alert and flow events)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "sees only the traffic of the interface the sensor inspects; TLS shows the server name, not the URL",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """Most lines are JSON objects with ``timestamp`` and ``event_type`` (a little below exact formats)."""
        ratio = match_ratio(head, lambda line: has_keys(line, _KEYS))
        return ratio * 0.95 if ratio > 0 else -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """The observations of each event, identical ones counted together; bad events with their line numbers."""
        tally = ObservationTally(origin)
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                event = load_record(line)
                if not event.get("event_type"):
                    raise BadRecord("missing field 'event_type'")
                if event["event_type"] in _SILENT:
                    continue
                items = list(observations(event, SEEN_BY, (origin, lineno), None))
            except BadRecord as exc:
                yield Skipped(origin, lineno, f"bad {SEEN_BY} event: {exc}")
                continue
            for item in items:
                if isinstance(item, Skipped):
                    yield item
                else:
                    tally.add(item)
        yield from tally.observations()
