"""Folding observations into destinations."""

from __future__ import annotations

from egressmap.aggregate import MAX_CLIENTS, MAX_SOURCES, aggregate
from egressmap.model import Observation


def _obs(host: str = "pypi.org", port: int = 443, **kw: object) -> Observation:
    fields: dict[str, object] = {"kind": "connect", "tier": "observed", "reason": "seen", "source": "log:1"}
    fields.update(kw)
    return Observation(host, port, **fields)  # type: ignore[arg-type]


def test_counts_outcomes_and_times_add_up_per_host_and_port() -> None:
    table = aggregate(
        [
            _obs(count=3, outcome="allowed", time=20.0, last_time=30.0),
            _obs(count=2, outcome="denied", time=5.0, last_time=25.0, source="log:9"),
            _obs(port=80, count=1),
        ]
    )
    assert set(table) == {("pypi.org", 443), ("pypi.org", 80)}
    dest = table[("pypi.org", 443)]
    assert (dest.count, dest.denied, dest.outcomes["allowed"]) == (5, 2, 3)
    assert (dest.first_seen, dest.last_seen) == (5.0, 30.0)
    assert dest.sources == ["log:1", "log:9"]


def test_the_strongest_tier_wins() -> None:
    table = aggregate([_obs(tier="documentation"), _obs(tier="observed"), _obs(tier="referenced")])
    assert table[("pypi.org", 443)].tier == "observed"


def test_clients_are_capped_with_a_deterministic_sample() -> None:
    names = [f"10.0.0.{i}" for i in range(MAX_CLIENTS + 20)]
    forward = aggregate([_obs(clients=tuple(names[:30])), _obs(clients=tuple(names[30:]))])
    backward = aggregate([_obs(clients=tuple(names[30:])), _obs(clients=tuple(names[:30]))])
    kept = forward[("pypi.org", 443)].clients
    assert len(kept) == MAX_CLIENTS
    assert kept == backward[("pypi.org", 443)].clients
    assert kept <= set(names)


def test_sources_are_a_bounded_sample() -> None:
    table = aggregate([_obs(source=f"log:{i}") for i in range(MAX_SOURCES + 5)])
    assert table[("pypi.org", 443)].sources == [f"log:{i}" for i in range(MAX_SOURCES)]
