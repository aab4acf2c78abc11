"""Helpers of the AWS JSON-lines readers: prefixes, ports, times, required fields."""

from __future__ import annotations

import pytest

from egressmap.model import Skipped
from egressmap.sources.aws_json import (
    BadRecord,
    epoch_of,
    json_record,
    load_record,
    name_or_skip,
    port_of,
    text_field,
)


def test_json_record_after_a_prefix_or_none() -> None:
    """A CloudWatch prefix is passed over; no object, a cut object or a far brace give None."""
    assert json_record('2026-11-03T09:14:21Z grp/stream {"a": 1}') == {"a": 1}
    assert json_record('{"a": 1') is None and json_record("no json") is None
    assert json_record("x" * 300 + '{"a": 1}') is None


def test_load_record_says_what_is_wrong() -> None:
    """A cut line names the column; an array is not an object."""
    with pytest.raises(BadRecord, match=r"JSON cut or damaged \(.* at column 8\)"):
        load_record('{"a": 1')
    with pytest.raises(BadRecord, match="not a JSON object"):
        load_record("[1, 2]")


def test_ports_and_times() -> None:
    """Ports from ints or strings (out of range or words are None); times from epoch or ISO 8601 forms."""
    assert [port_of(v) for v in (443, "443", "0", 70000, "https", True, None)] == [
        443,
        443,
        None,
        None,
        None,
        None,
        None,
    ]
    expected = 1793697261.0
    for value in (1793697261, "1793697261", "2026-11-03T09:14:21Z", "2026-11-03T09:14:21+0000"):
        assert epoch_of(value) == expected
    assert epoch_of("yesterday") is None and epoch_of(None) is None


def test_required_fields_and_names() -> None:
    """A missing or empty field is named; a name that is no destination is a dropped line."""
    with pytest.raises(BadRecord, match="missing field 'rcode'"):
        text_field({"rcode": " "}, "rcode")
    with pytest.raises(BadRecord, match="is not a string"):
        text_field({"rcode": [1]}, "rcode")
    assert name_or_skip("PyPI.org", "f", 1) == "pypi.org"
    dropped = name_or_skip("localhost", "f", 2)
    assert isinstance(dropped, Skipped) and dropped.kind == "dropped" and dropped.lineno == 2
