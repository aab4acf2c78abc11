"""Counting identical observations of a structured log."""

from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

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


lines = st.lists(
    st.tuples(st.integers(0, 80), st.one_of(st.none(), st.floats(0, 1000)), st.sampled_from(["a", "b"])),
    max_size=300,
)


@example(lines=[(1, 3.0, "a"), (1, 1.0, "a"), (1, 5.0, "a")], share=0.4)
@given(lines=lines, share=st.floats(0, 1))
def test_two_parts_joined_count_like_one_pass(
    lines: list[tuple[int, float | None, str]], share: float
) -> None:
    """absorb: the same counts, client samples, time spans and first lines as one tally over all the lines."""
    cut = int(len(lines) * share)

    def line_obs(number: int, client: int, time: float | None, reason: str) -> Observation:
        clients = (f"10.0.0.{client}",)
        return Observation(
            "pypi.org", 443, "dns", "observed", reason, f"f:{number}", clients=clients, time=time
        )

    whole, first, second = ObservationTally(), ObservationTally(), ObservationTally()
    for number, (client, time, reason) in enumerate(lines, 1):
        whole.add(line_obs(number, client, time, reason))
        if number <= cut:
            first.add(line_obs(number, client, time, reason))
        else:
            second.add(line_obs(number - cut, client, time, reason))
    first.absorb(second, cut)
    assert list(first.observations()) == list(whole.observations())
