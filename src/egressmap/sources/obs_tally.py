"""Counting identical observations of a structured log in place (one Observation per distinct kind of line).

DNS and firewall logs repeat a few names very many times; the readers add each line's observation here and yield
the counted ones at the end, as the Squid reader does (:mod:`.squid_tally`). Memory grows with the distinct
(host, port, kind, outcome, reason, scheme) keys, not with the lines. The source of a counted observation is its
first line; its clients are a sample; ``time`` and ``last_time`` span its lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..model import Observation

MAX_CLIENTS = 50
"""Clients kept per counted observation (a sample, as for Squid logs)."""

_Key = tuple[str, int, str, str, str, str | None]


@dataclass(slots=True)
class _Row:
    first: Observation
    count: int
    clients: dict[str, None]
    start: float | None
    end: float | None


class ObservationTally:
    """Identical observations (but for source, clients and time) counted together."""

    def __init__(self) -> None:
        self.rows: dict[_Key, _Row] = {}

    def add(self, obs: Observation) -> None:
        """Count one observation."""
        key = (obs.host, obs.port, obs.kind, obs.outcome, obs.reason, obs.scheme)
        row = self.rows.get(key)
        if row is None:
            self.rows[key] = _Row(obs, obs.count, dict.fromkeys(obs.clients), obs.time, obs.time)
            return
        row.count += obs.count
        for client in obs.clients:
            if len(row.clients) < MAX_CLIENTS:
                row.clients.setdefault(client)
        if obs.time is not None:
            row.start = obs.time if row.start is None else min(row.start, obs.time)
            row.end = obs.time if row.end is None else max(row.end, obs.time)

    def observations(self) -> Iterator[Observation]:
        """The counted observations, in the order their first line came."""
        for row in self.rows.values():
            yield replace(
                row.first,
                count=row.count,
                clients=tuple(row.clients),
                time=row.start,
                last_time=row.end if row.count > 1 else None,
            )
