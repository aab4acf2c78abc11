"""Counting identical observations of a structured log."""

from __future__ import annotations

from egressmap.model import Observation
from egressmap.sources.obs_tally import MAX_CLIENTS, ObservationTally


def obs(client: str, time: float | None, reason: str = "DNS query") -> Observation:
    """A dns observation from one client at one time."""
    return Observation("pypi.org", 443, "dns", "observed", reason, "f:1", clients=(client,), time=time)


def test_clients_are_a_sample_and_times_a_span() -> None:
    """Clients stop at MAX_CLIENTS; time is the earliest, last_time the latest; another reason is another row."""
    tally = ObservationTally()
    for i in range(MAX_CLIENTS + 10):
        tally.add(obs(f"10.0.0.{i}", 100.0 - i if i % 2 else None))
    tally.add(obs("10.0.0.1", 5.0, reason="other"))
    counted, other = tally.observations()
    assert counted.count == MAX_CLIENTS + 10 and len(counted.clients) == MAX_CLIENTS
    assert (counted.time, counted.last_time) == (100.0 - (MAX_CLIENTS + 9), 99.0)
    assert (other.count, other.time, other.last_time) == (1, 5.0, None)
