"""Compact JSON written in pieces: the same text as one string, lists given as lists or as iterators."""

from __future__ import annotations

import io
import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from egressmap import policy, policy_file
from egressmap.policy_file import dump_json, iter_compact_json, write_json

_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=10,
)


def _one_string(data: dict[str, Any]) -> str:
    """The compact layout spelt out: a top-level list item per line."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list):
            items = ",\n    ".join(json.dumps(v) for v in value)
            parts.append(f"  {json.dumps(key)}: [" + (f"\n    {items}\n  ]" if value else "]"))
        else:
            parts.append(f"  {json.dumps(key)}: {json.dumps(value)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


@given(data=st.dictionaries(st.text(max_size=5), _VALUES | st.lists(_VALUES, max_size=40), max_size=4))
def test_pieces_join_to_the_one_string_layout(data: dict[str, Any]) -> None:
    """Whatever the document, the pieces make the compact text, and it parses back to the document."""
    policy_file.JSON_BATCH = 3  # several batches per list
    try:
        text = dump_json(data, compact=True)
        lazy = {k: iter(v) if isinstance(v, list) else v for k, v in data.items()}
        out = io.StringIO()
        write_json(lazy, out)
    finally:
        policy_file.JSON_BATCH = 512
    assert text == _one_string(data)
    assert out.getvalue() == text
    assert json.loads(text) == data


def test_an_iterator_is_consumed_as_it_is_written() -> None:
    """A generator value is drawn batch by batch, not all before the first piece."""
    drawn: list[int] = []

    def rows() -> Any:
        for i in range(2000):
            drawn.append(i)
            yield {"n": i}

    pieces = iter_compact_json({"rows": rows()})
    next(pieces)
    next(pieces)
    assert len(drawn) == policy_file.JSON_BATCH
    assert "".join(pieces).count('{"n"') == 2000


def test_a_list_may_have_its_own_item_encoder() -> None:
    """An encoder given for a key writes that list's items; the other lists keep json.dumps."""
    data = {"rows": iter([{"a": 1}, {"a": 2}]), "other": [{"b": 1}]}
    text = dump_json({"rows": [{"a": 1}, {"a": 2}], "other": [{"b": 1}]}, compact=True)
    out = io.StringIO()
    write_json(data, out, {"rows": lambda v: json.dumps(v, separators=(",", ":"))})
    assert out.getvalue() == text.replace('{"a": ', '{"a":')
    assert json.loads(out.getvalue()) == json.loads(text)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text(max_size=8),
        st.recursive(
            st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(max_size=20) | st.floats(),
            lambda inner: (
                st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=30,
        ),
        max_size=5,
    )
)
@example(data={"\x7f": None})  # DEL: ASCII, written as it is by orjson and escaped by json
def test_pretty_json_is_the_standard_library_s_text(data: dict[str, object]) -> None:
    """The orjson path (when installed) writes exactly what json.dumps(indent=2, ensure_ascii=True) writes."""
    assert dump_json(data) == json.dumps(data, indent=2, ensure_ascii=True) + "\n"


@settings(max_examples=300, deadline=None)
@given(
    host=st.sampled_from(["pypi.org", "10.1.2.3", "52.94.5.10"]),
    port=st.integers(1, 65535),
    tier=st.sampled_from(["observed", "referenced", "documentation"]),
    outcomes=st.dictionaries(
        st.sampled_from(["allowed", "denied", "failed", "nxdomain", "unknown"]), st.integers(1, 9)
    ),
    reason=st.sampled_from(
        ["observed: CONNECT tunnel seen", "observed: flow (unattributed IP)", "referenced: URL"]
    ),
    sources=st.lists(
        st.sampled_from(["b.log:3", "a.log:10", "a.log:9", "r53.log:1", "x"]), max_size=5, unique=True
    ),
)
def test_the_single_destination_entry_is_the_general_one(
    host: str, port: int, tier: str, outcomes: dict[str, int], reason: str, sources: list[str]
) -> None:
    """The short way for a host seen on one port with one reason gives what the general way gives."""
    from egressmap.classify import classify
    from egressmap.model import Destination

    d = Destination(host, port, sum(outcomes.values()), tier, outcomes, {reason}, sources)  # type: ignore[arg-type]
    c = classify(host)
    assert policy._single(d, c) == policy._general(host, [d], c)
