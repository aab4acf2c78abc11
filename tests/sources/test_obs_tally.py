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


@example(lines=[(1, 3.0, "a"), (1, 1.0, "a"), (1, 5.0, "a")], share=0.4, piped=False)
@given(lines=lines, share=st.floats(0, 1), piped=st.booleans())
def test_two_parts_joined_count_like_one_pass(
    lines: list[tuple[int, float | None, str]], share: float, piped: bool
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
    if piped:  # the second part came back from a forked reader: through pickle, its rows not yet made
        import pickle

        second = pickle.loads(pickle.dumps(second))
    first.absorb(second, cut)
    assert list(first.observations()) == list(whole.observations())


_OBS = st.builds(
    Observation,
    host=st.sampled_from(["pypi.org", "github.com"]),
    port=st.sampled_from([443, 80]),
    kind=st.just("dns"),
    tier=st.just("observed"),
    reason=st.sampled_from(["a", "b"]),
    source=st.sampled_from(["f:1", "f:2 (/aws/g s)"]),
    scheme=st.sampled_from([None, "https"]),
    outcome=st.sampled_from(["unknown", "nxdomain"]),
    clients=st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2", "i-1"]), max_size=2).map(tuple),
    time=st.none() | st.floats(0, 1000),
    url=st.none() | st.just("https://pypi.org/simple/"),
    count=st.integers(1, 3),
)


def _reference(observations: list[Observation]) -> list[Observation]:
    """What the tally gives, worked out the plain way: per key, the first, then counts, clients and span."""
    from dataclasses import replace

    rows: dict[tuple[object, ...], list[Observation]] = {}
    for o in observations:
        rows.setdefault((o.host, o.port, o.kind, o.outcome, o.reason, o.scheme), []).append(o)
    out = []
    for group in rows.values():
        clients = list(dict.fromkeys(c for o in group for c in o.clients))[:MAX_CLIENTS]
        times = [o.time for o in group if o.time is not None]
        count = sum(o.count for o in group)
        out.append(
            replace(
                group[0],
                count=count,
                clients=tuple(clients),
                time=min(times) if times else None,
                last_time=(max(times) if times else None) if count > 1 else None,
            )
        )
    return out


@given(st.lists(_OBS, max_size=40))
def test_observations_and_a_pickled_tally_are_the_plain_fold(observations: list[Observation]) -> None:
    """The counted observations (the short way for a row of one line included) and a tally that went through
    pickle (as a forked reader's does) give what the plain fold gives."""
    import pickle

    tally, other = ObservationTally(), ObservationTally()
    for o in observations:
        tally.add(o)
        other.add(o)
    assert list(tally.observations()) == _reference(observations)
    assert list(pickle.loads(pickle.dumps(other)).observations()) == _reference(observations)


@given(st.lists(_OBS, max_size=40), st.integers(1, 5))
def test_a_tally_sent_in_chunks_is_received_whole(observations: list[Observation], chunk: int) -> None:
    """send/receive (a forked reader's tally down a pipe, a pickle per chunk) give the same observations."""
    import io

    from egressmap.sources import obs_tally

    tally, other = ObservationTally("f"), ObservationTally("f")
    for o in observations:
        tally.add(o)
        other.add(o)
    pipe = io.BytesIO()
    saved, obs_tally.CHUNK = obs_tally.CHUNK, chunk
    try:
        tally.send(pipe)
    finally:
        obs_tally.CHUNK = saved
    assert not tally.rows  # sent: let go
    pipe.seek(0)
    assert list(ObservationTally.receive(pipe).observations()) == list(other.observations())


def test_a_source_is_kept_as_its_line_number_only_when_it_spells_one() -> None:
    """``origin:N`` is kept as N; a source of another input, a CloudWatch line or ``origin:007`` as it is."""
    tally = ObservationTally("a.log")
    sources = ["a.log:12", "a.log:007", "a.log:3 (/aws/g s)", "b.log:4", "a.log:", "a.log:\u0663"]
    for i, source in enumerate(sources):
        tally.add(Observation(f"h{i}.example.com", 443, "dns", "observed", "r", source))
    assert [row.where for row in tally.rows.values()] == [12, *sources[1:]]
    assert [o.source for o in tally.observations()] == sources
