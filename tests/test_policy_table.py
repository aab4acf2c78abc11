"""A policy built from the destination table itself (observations kept for hosts seen once) is the policy built
from its Destinations."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.aggregate import DestinationTable, _first
from egressmap.classify import classify
from egressmap.model import Observation
from egressmap.policy import _observed, _single, build_policy
from egressmap.policy_file import policy_to_dict

_OBS = st.builds(
    Observation,
    host=st.sampled_from(
        ["pypi.org", "10.1.2.3", "a.example.com", "*.example.org", ".cdn.test", "s3.amazonaws.com"]
    ),
    port=st.sampled_from([80, 443, 8443]),
    kind=st.sampled_from(["connect", "dns", "mention"]),
    tier=st.sampled_from(["observed", "referenced", "documentation"]),
    reason=st.sampled_from(["CONNECT seen", "flow (unattributed IP)", "URL in text"]),
    source=st.sampled_from(["a.log:1", "b.log:20", "a.log:3 (/aws/g s)", "r53.log:9"]),
    outcome=st.sampled_from(["allowed", "denied", "failed", "nxdomain", "unknown"]),
    clients=st.lists(st.sampled_from(["10.0.0.1", "10.0.0.2"]), max_size=2).map(tuple),
    time=st.none() | st.floats(0, 2e9),
    count=st.integers(1, 50),
)


@settings(max_examples=300, deadline=None)
@given(obs=_OBS)
def test_an_observation_s_entry_is_its_destination_s(obs: Observation) -> None:
    reason = f"{obs.tier}: {obs.reason}"
    c = classify(obs.host.lstrip("*."))
    assert _observed(obs, reason, c) == _single(_first(obs, reason), c)


@settings(max_examples=200, deadline=None)
@given(observations=st.lists(_OBS, max_size=30), fold=st.booleans())
def test_the_table_gives_the_policy_its_destinations_give(
    observations: list[Observation], fold: bool
) -> None:
    table = DestinationTable()
    for obs in observations:
        table.add(obs)
    from_table = build_policy(table, fold=fold, inputs=["x"])
    from_list = build_policy(list(table.values()), fold=fold, inputs=["x"])
    assert policy_to_dict(from_table) == policy_to_dict(from_list)
    listed = any(o.host[0] in "*." for o in observations)  # (a table with listed wildcards is read as a list)
    drained = build_policy(table, fold=fold, inputs=["x"], drain=True)  # build's way: the table let go
    assert policy_to_dict(drained) == policy_to_dict(from_list) and (listed or len(table) == 0)
