"""The policy's JSON in pieces is the text of the whole document, with or without orjson."""

from __future__ import annotations

import builtins
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.classify import classify
from egressmap.model import Entry, Policy
from egressmap.policy_file import dump_json, policy_to_dict
from egressmap.policy_stream import iter_policy_json

_TEXT = st.text(max_size=12)  # any characters: NUL, non-ASCII, quotes, newlines

_ENTRIES = st.lists(
    st.builds(
        Entry,
        pattern=st.sampled_from(["pypi.org", "*.example.com", "s3.{region}.amazonaws.com", "10.0.0.1"]),
        hosts=st.lists(st.sampled_from(["a.test", "b.test"]), max_size=2).map(tuple),
        ports=st.lists(st.integers(1, 65535), max_size=3).map(tuple),
        classification=st.sampled_from(["pypi.org", "s3.us-east-1.amazonaws.com", "10.0.0.1"]).map(classify),
        tier=st.sampled_from(["observed", "referenced", "documentation"]),
        count=st.integers(0, 10**12),
        denied=st.integers(0, 9),
        reasons=st.lists(_TEXT, max_size=3).map(tuple),
        sources=st.lists(_TEXT, max_size=3).map(tuple),
        failed=st.integers(0, 9),
        allowed=st.integers(0, 9),
        nxdomain=st.integers(0, 9),
        warnings=st.lists(_TEXT, max_size=2).map(tuple),
    ),
    max_size=2100,  # more than two batches of pieces
)


@settings(max_examples=60, deadline=None)
@given(
    entries=_ENTRIES,
    inputs=st.lists(_TEXT, max_size=3),
    skipped=st.dictionaries(st.sampled_from(["malformed", "dropped"]), st.integers(0, 9)),
)
def test_pieces_join_to_the_whole_document(
    entries: list[Entry], inputs: list[str], skipped: dict[str, int]
) -> None:
    policy = Policy(entries=tuple(entries), regions=("us-east-1",), inputs=tuple(inputs), skipped=skipped)
    assert "".join(iter_policy_json(policy)) == dump_json(policy_to_dict(policy))
    chosen = entries[::2]
    assert "".join(iter_policy_json(policy, chosen)) == dump_json(policy_to_dict(policy, chosen))


def test_the_same_text_without_orjson(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_orjson(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "orjson":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    entry = Entry(
        "pypi.org", ("pypi.org",), (443,), classify("pypi.org"), "observed", 3, 0, ("ünïcode",), ("a:1",)
    )
    policy = Policy(entries=(entry,) * 3)
    expected = dump_json(policy_to_dict(policy))
    monkeypatch.setattr(builtins, "__import__", no_orjson)
    assert "".join(iter_policy_json(policy)) == expected


def test_several_batches_of_pieces() -> None:
    entries = tuple(
        Entry(f"h{n}.test", (f"h{n}.test",), (443,), classify("h.test"), "observed", n, 0, ("r",), ("a:1",))
        for n in range(2500)
    )
    policy = Policy(entries=entries)
    pieces = list(iter_policy_json(policy))
    assert len(pieces) >= 4
    assert "".join(pieces) == dump_json(policy_to_dict(policy))
