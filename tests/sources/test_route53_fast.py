"""The Route 53 Resolver reader's shortcut (each distinct question worked out once) reads like one line at a time.

The reference below is the plain loop: every line through load_record, parse_query and _observation, counted
in an ObservationTally. Records mix good values with every odd one a field can hold (other JSON types, blanks,
unhashable values, values equal across types such as 1, 1.0 and true), and lines no reader should trust.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.model import DnsAnswer, Observation, Skipped
from egressmap.sources import aws_json
from egressmap.sources.aws_json import BadRecord, line_source, load_record
from egressmap.sources.interface import Item
from egressmap.sources.obs_tally import ObservationTally
from egressmap.sources.route53_resolver import ResolverLog, _observation, parse_query

ABSENT = object()
FIELDS: dict[str, tuple[list[Any], list[Any]]] = {  # (good values, odd ones)
    "version": (["1.100000", "1.000000", 1, 1.0], [" 1 ", "2.000000", "", None, True, ABSENT]),
    "query_timestamp": (
        ["2026-11-03T09:14:21Z", "2026-11-03T10:00:00Z", "2026-11-03T09:14:22Z"],
        [1793697261, "1793697261", "soon", ABSENT],
    ),
    "query_name": (
        ["pypi.org.", "PyPI.org.", "pypi.org", "9.0.10.in-addr.arpa.", "localhost."],
        ["", " ", "a b.", None, 5, 5.0, True, ["x"], {"a": 1}, ABSENT],
    ),
    "query_type": (["A", "AAAA", "PTR"], ["", None, 1, 1.0, True, ABSENT]),
    "rcode": (["NOERROR", "NXDOMAIN", "nxdomain", "SERVFAIL"], ["", None, 1, True, ["x"], ABSENT]),
    "firewall_rule_action": ([ABSENT, ABSENT, "BLOCK", "ALERT"], ["block", "", None, 1, True]),
    "firewall_rule_group_id": ([ABSENT, "rslvr-frg-1"], ["", None, 1]),
    "srcaddr": (["10.0.0.1", "10.0.0.2", "10.0.0.3"], [" ", "", None, 7, ["x"], ABSENT]),
    "srcids": (
        [{"instance": "i-1"}, {"instance": "i-2"}, {}],
        [{"instance": ""}, {"instance": 5}, None, "i-3", ABSENT],
    ),
    "answers": (
        [[], [{"Rdata": "192.0.2.1", "Type": "A"}], [{"Rdata": "a.example.", "Type": "CNAME"}]],
        [None, "x", 0, {"a": 1}, [{"Rdata": "2001:db8::1", "Type": "AAAA"}, 3, {"Type": "A"}], ABSENT],
    ),
}
ODD_LINES = [
    "",
    "   ",
    '{"version":"1.1","query_name":"cut.example.",',
    "[1, 2]",
    "not json",
    '{"version":"1.1","query_name":"nan.example.","rcode":"NOERROR","srcaddr":"10.0.0.1","x":NaN}',
    '{"version":"1.1","query_name":"big.example.","rcode":"NOERROR","srcaddr":"10.0.0.1","srcport":1'
    + "0" * 30
    + "}",
    '{"version":"1.1","query_name":"sur\\ud800.example.","rcode":"NOERROR","srcaddr":"10.0.0.1"}',
    '{"version":"1.1","query_name":"dup.example.","query_name":"pypi.org.","rcode":"NOERROR","srcaddr":"10.0.0.1"}',
]


def reference(lines: list[str], origin: str, answers: bool) -> Iterator[Item]:
    """The reader as a plain loop over lines."""
    tally = ObservationTally()
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            query = parse_query(load_record(line))
        except BadRecord as exc:
            yield Skipped(origin, lineno, f"bad Route 53 Resolver record: {exc}")
            continue
        where = f"{origin}:{lineno}" if line[0] == "{" else line_source(origin, lineno, line)
        item = _observation(query, where, origin, lineno)
        if isinstance(item, Skipped):
            yield item
            continue
        tally.add(item)
        if answers:
            for address in query.addresses:
                yield DnsAnswer(query.srcaddr, address, item.host, query.time, origin)
    yield from tally.observations()


def line_of(choices: dict[str, Any], prefix: bool) -> str:
    text = json.dumps({k: v for k, v in choices.items() if v is not ABSENT}, separators=(",", ":"))
    return f"2026-11-03T09:14:21.118000+00:00 vpc-1_vpcdnsquerylogs_1 {text}" if prefix else text


QUESTION = ("version", "query_name", "query_type", "rcode", "firewall_rule_action", "firewall_rule_group_id")


def field(name: str) -> st.SearchStrategy[Any]:
    good, odd = FIELDS[name]
    return st.one_of(
        st.sampled_from(good), st.sampled_from(good), st.sampled_from(good), st.sampled_from(odd)
    )


question = st.fixed_dictionaries({k: field(k) for k in QUESTION})
asker = st.fixed_dictionaries({k: field(k) for k in FIELDS if k not in QUESTION})


@st.composite
def logs(draw: st.DrawFn) -> list[str]:
    """Lines asking a few questions again and again, from varied clients at varied times, among odd lines."""
    questions = draw(st.lists(question, min_size=1, max_size=3))
    if draw(st.booleans()):  # twins: one field 1 in one question, 1.0 or true in the other (equal in Python)
        name = draw(st.sampled_from(QUESTION))
        one, other = draw(st.permutations([1, 1.0, True]))[:2]
        questions += [{**questions[0], name: one}, {**questions[0], name: other}]
    out = []
    for _ in range(draw(st.integers(1, 40))):
        if draw(st.integers(0, 9)) == 0:
            out.append(draw(st.sampled_from(ODD_LINES)))
        else:
            choices = {**draw(st.sampled_from(questions)), **draw(asker)}
            out.append(line_of(choices, draw(st.integers(0, 4)) == 0))
    return out


lines = logs()


def same(got: list[Item], want: list[Item]) -> None:
    assert repr(got) == repr(want)  # repr: a NaN time equals itself


@pytest.mark.parametrize("answers", [False, True])
@settings(max_examples=200, deadline=None)
@given(lines=lines)
def test_the_shortcut_reads_like_the_plain_loop(lines: list[str], answers: bool) -> None:
    reader = ResolverLog()
    reader.answers = answers
    same(list(reader.read(lines, "r53.log")), list(reference(lines, "r53.log", answers)))


@settings(max_examples=60, deadline=None)
@given(lines=lines)
def test_the_standard_library_parses_the_same(lines: list[str]) -> None:
    """Without orjson (the [fast] extra) the reader gives the same items."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(aws_json, "_loads", json.loads)
        same(list(ResolverLog().read(lines, "r53.log")), list(reference(lines, "r53.log", False)))


def test_repeated_questions_count_their_clients_times_and_answers() -> None:
    """Later lines of a question add their client, time and (when asked) their answers."""
    base = {
        "version": "1.100000",
        "query_name": "pypi.org.",
        "query_type": "A",
        "rcode": "NOERROR",
        "answers": [{"Rdata": "151.101.0.223", "Type": "A", "Class": "IN"}],
    }
    rows = [
        line_of(
            {
                **base,
                "srcaddr": f"10.0.0.{i}",
                "srcids": {"instance": f"i-{i}"},
                "query_timestamp": f"2026-11-03T09:14:{i:02d}Z",
            },
            False,
        )
        for i in (5, 1, 9)
    ]
    reader = ResolverLog()
    reader.answers = True
    items = list(reader.read(rows, "r53.log"))
    answers = [i for i in items if isinstance(i, DnsAnswer)]
    (obs,) = [i for i in items if isinstance(i, Observation)]
    assert [(a.client, a.address, a.name) for a in answers] == [
        (f"10.0.0.{i}", "151.101.0.223", "pypi.org") for i in (5, 1, 9)
    ]
    assert obs.count == 3 and obs.clients == ("10.0.0.5", "i-5", "10.0.0.1", "i-1", "10.0.0.9", "i-9")
    assert (obs.time, obs.last_time) == (1793697241.0, 1793697249.0)
