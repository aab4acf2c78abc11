"""Folding observations into destinations."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.aggregate import MAX_CLIENTS, MAX_SOURCES, MAX_URLS, aggregate, split_source
from egressmap.model import TIER_RANK, Destination, Observation
from egressmap.policy import build_policy
from egressmap.sources import squid_native


def _obs(host: str = "pypi.org", port: int = 443, **kw: object) -> Observation:
    fields: dict[str, object] = {"kind": "connect", "tier": "observed", "reason": "seen", "source": "log:1"}
    fields.update(kw)
    return Observation(host, port, **fields)  # type: ignore[arg-type]


def test_counts_outcomes_and_times_add_up_per_host_and_port() -> None:
    table = aggregate(
        [
            _obs(count=3, outcome="allowed", time=20.0, last_time=30.0),
            _obs(count=2, outcome="denied", time=5.0, last_time=25.0, source="other.log:9"),
            _obs(count=1, outcome="allowed", source="log:4"),  # a later line of log: its first (1) stays
            _obs(port=80, count=1),
        ]
    )
    assert set(table) == {("pypi.org", 443), ("pypi.org", 80)}
    dest = table[("pypi.org", 443)]
    assert (dest.count, dest.denied, dest.outcomes["allowed"]) == (6, 2, 4)
    assert (dest.first_seen, dest.last_seen) == (5.0, 30.0)
    assert dest.sources == ["log:1", "other.log:9"]


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
    """Each input's first line, for the first inputs by name, whatever the order they come in."""
    sources = [f"log{i % (MAX_SOURCES + 2)}:{100 - i}" for i in range(40)]
    table = aggregate([_obs(source=s) for s in sources])
    want = [
        f"log{i}:{min(100 - j for j in range(40) if j % (MAX_SOURCES + 2) == i)}" for i in range(MAX_SOURCES)
    ]
    assert table[("pypi.org", 443)].sources == want
    assert aggregate([_obs(source=s) for s in reversed(sources)])[("pypi.org", 443)].sources == want


def _reference(observations: list[Observation]) -> dict[tuple[str, int], Destination]:
    """The plain fold, written from the definition: everything collected, then the samples cut at the end.

    Samples: each input's first line for the first MAX_SOURCES inputs by name; the first MAX_CLIENTS clients by
    address; the first MAX_URLS URLs by name.
    """
    table: dict[tuple[str, int], Destination] = {}
    firsts: dict[tuple[str, int], dict[str, int]] = {}
    for obs in observations:
        key = (obs.host, obs.port)
        dest = table.setdefault(key, Destination(obs.host, obs.port, tier=obs.tier))
        if TIER_RANK[obs.tier] < TIER_RANK[dest.tier]:
            dest.tier = obs.tier
        dest.count += obs.count
        dest.outcomes[obs.outcome] = dest.outcomes.get(obs.outcome, 0) + obs.count
        dest.reasons.add(f"{obs.tier}: {obs.reason}")
        name, _, line = obs.source.rpartition(":")
        seen = firsts.setdefault(key, {})
        seen[name] = min(seen.get(name, int(line)), int(line))
        dest.clients.update(obs.clients)
        if obs.scheme:
            dest.schemes.add(obs.scheme)
        if obs.url and obs.url not in dest.urls:
            dest.urls.append(obs.url)
        for when in (obs.time, obs.last_time):
            if when is not None:
                dest.first_seen = when if dest.first_seen is None else min(dest.first_seen, when)
                dest.last_seen = when if dest.last_seen is None else max(dest.last_seen, when)
    for key, dest in table.items():
        dest.sources = [f"{n}:{line}" for n, line in sorted(firsts[key].items())[:MAX_SOURCES]]
        dest.clients = set(sorted(dest.clients)[:MAX_CLIENTS])
        dest.urls = sorted(dest.urls)[:MAX_URLS]
    return table


_OBSERVATIONS = st.builds(
    Observation,
    host=st.sampled_from(["pypi.org", "github.com", "d1.cloudfront.net"]),
    port=st.sampled_from([80, 443]),
    kind=st.just("connect"),
    tier=st.sampled_from(["observed", "referenced", "documentation"]),
    reason=st.sampled_from(["CONNECT tunnel seen", "GET request seen"]),
    source=st.sampled_from([f"{name}:{i}" for name in ("log", "other.log", "s3://b/k.gz") for i in range(8)]),
    scheme=st.sampled_from([None, "http", "https"]),
    outcome=st.sampled_from(["allowed", "denied", "failed", "unknown"]),
    clients=st.lists(st.sampled_from([f"10.0.0.{i}" for i in range(60)]), max_size=60).map(tuple),
    time=st.none() | st.floats(0, 1e9),
    last_time=st.none() | st.floats(0, 1e9),
    url=st.sampled_from([None, "http://a/1", "http://a/2", "http://a/3", "http://a/4"]),
    count=st.integers(1, 5),
)


@settings(max_examples=200)
@given(observations=st.lists(_OBSERVATIONS, max_size=12))
def test_table_reads_like_the_plain_fold(observations: list[Observation]) -> None:
    """Destinations seen once or many times read exactly as the plain fold builds them."""
    table = aggregate(observations)
    assert dict(table) == _reference(observations)
    assert list(table) == list(_reference(observations))


def test_reading_a_destination_does_not_change_the_table() -> None:
    """The table is read-only: a Destination read from it may be changed without effect."""
    table = aggregate([_obs(count=2)])
    table[("pypi.org", 443)].count += 5
    assert table[("pypi.org", 443)].count == 2 and len(table) == 1
    assert ("pypi.org", 443) in table and table.get(("github.com", 443)) is None


def test_the_native_log_gives_what_folding_every_line_gives(tmp_path: Path) -> None:
    """A generated native log, counted in place by the fast path, against one observation per line folded."""
    rng = random.Random(5)
    hosts = [f"d{i}x.cloudfront.net" for i in range(300)] + ["pypi.org", "github.com", "archive.ubuntu.com"]
    codes = ["TCP_TUNNEL/200", "TCP_MISS/200", "TCP_DENIED/403", "TCP_MISS/503", "NONE_NONE/000"]
    lines = []
    for i in range(3000):
        host = hosts[min(len(hosts) - 1, int(rng.paretovariate(0.6)) - 1)] if i % 3 else rng.choice(hosts)
        method, url = ("CONNECT", f"{host}:443") if rng.random() < 0.6 else ("GET", f"http://{host}/p/{i}")
        lines.append(
            f"{1732186800 + i}.{i % 1000:03d} {i % 97:6d} 10.0.{i % 3}.{i % 7} {rng.choice(codes)} {i} "
            f"{method} {url} - HIER_DIRECT/192.0.2.1 -"
        )
    path = tmp_path / "access.log"
    path.write_text("\n".join(lines) + "\n")
    fast = aggregate(
        o
        for o in squid_native.read_native([path.read_bytes().rstrip(b"\n")], "log")
        if isinstance(o, Observation)
    )
    per_line = [
        replace(o, source=f"log:{n}")
        for n, line in enumerate(lines, 1)
        for o in squid_native.read_native([line.encode()], "log")
        if isinstance(o, Observation)
    ]
    slow = _reference(per_line)
    assert set(fast) == set(slow)
    for key, want in slow.items():
        got = fast[key]
        assert (got.count, got.tier, got.outcomes, got.reasons, got.schemes, got.sources) == (
            want.count,
            want.tier,
            want.outcomes,
            want.reasons,
            want.schemes,
            want.sources,  # the first line naming it
        )
        every_url = {o.url for o in per_line if (o.host, o.port) == key and o.url}
        assert len(got.urls) <= 3 and set(got.urls) <= every_url  # sample URLs the fast path kept
        assert (got.first_seen, got.last_seen, got.sources[0]) == (
            want.first_seen,
            want.last_seen,
            want.sources[0],
        )
        assert got.clients <= want.clients  # the fast path keeps a sample
    policy = build_policy(fast.values())
    reference = build_policy(slow.values())
    assert [
        (e.pattern, e.ports, e.classification, e.tier, e.count, e.denied, e.failed) for e in policy.entries
    ] == [
        (e.pattern, e.ports, e.classification, e.tier, e.count, e.denied, e.failed) for e in reference.entries
    ]


@settings(max_examples=500)
@given(
    st.text(alphabet=st.sampled_from("ab.:/( )0123456789²٣"), max_size=16)
    | st.builds(lambda n, d: f"{n}:{d}", st.text(max_size=8), st.integers(0, 10**12))
)
def test_split_source_reads_every_source_as_its_pattern_does(source: str) -> None:
    found = re.fullmatch(r"(.*):(\d+)( \(.*\))?", source, re.DOTALL)
    expected = (found[1], int(found[2]), found[3] or "") if found else (source, 0, "")
    assert split_source(source) == expected
