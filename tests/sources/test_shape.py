"""Recognising structured data egressmap does not read, and saying what an input held."""

from __future__ import annotations

import json

from egressmap.sources.shape import RECOGNISERS, Delimited, JsonDocument, JsonLines, contents, recognise


def _resolver_record(name: str, second: int) -> str:
    """A Route 53 Resolver query log record, one JSON document per line, as the service writes them."""
    return json.dumps(
        {
            "version": "1.100000",
            "account_id": "111122223333",
            "region": "eu-west-1",
            "vpc_id": "vpc-0c5a9e7b1d2f34a60",
            "query_timestamp": f"2026-11-03T09:14:{second:02d}Z",
            "query_name": f"{name}.",
            "query_type": "A",
            "query_class": "IN",
            "rcode": "NOERROR",
            "answers": [{"Rdata": "151.101.64.223", "Type": "A", "Class": "IN"}],
            "srcaddr": "10.20.3.41",
            "srcport": "43817",
            "transport": "UDP",
            "srcids": {"instance": "i-0a1b2c3d4e5f60789"},
        },
        separators=(",", ":"),
    )


def test_route53_resolver_json_lines_are_named_with_what_to_do() -> None:
    """JSON lines with query_name and srcaddr are a Route 53 Resolver log; the advice names the key to extract."""
    shape = recognise([_resolver_record("pypi.org", 1), _resolver_record("github.com", 2)])
    assert shape is not None and shape.name == "JSON lines, a Route 53 Resolver query log"
    assert shape.detail.startswith("keys: version, account_id, region, vpc_id, query_timestamp, query_name")
    sentence = shape.sentence()
    assert "egressmap does not read this format yet" in sentence and ".query_name" in sentence


def test_json_lines_after_a_prefix_are_json_lines_too() -> None:
    """``aws logs tail --format detailed`` puts a time and the log stream before each event."""
    stream = "vpc-0c5a9e7b1d2f34a60_vpcdnsquerylogs_111122223333_c3b4d5e6"
    lines = [
        f"2026-11-03T09:14:0{i}.118000+00:00 {stream} {_resolver_record('pypi.org', i)}" for i in range(3)
    ]
    shape = recognise(lines)
    assert shape is not None and shape.name.startswith(
        "JSON lines, a Route 53 Resolver query log after a prefix"
    )
    assert "cut the prefix, then jq" in shape.advice


def test_other_json_lines_and_a_json_document() -> None:
    """Any JSON lines are named with their keys; a pretty-printed document is named too."""
    shape = recognise(['{"ts": 1, "host": "a.example"}', '{"ts": 2, "host": "b.example"}', ""])
    assert shape is not None and (shape.name, shape.detail) == ("JSON lines", "keys: ts, host")
    doc = recognise(["{", '  "Records": [', '    {"eventSource": "s3.amazonaws.com"', "  ]", "}"])
    assert doc is not None and doc.name == "a JSON document"


def test_csv_and_tsv_with_a_header() -> None:
    """A header of column names and rows with as many fields (quoted commas too)."""
    shape = recognise(["Domain,Port,Hits", 'pypi.org,443,"1,204"', "github.com,443,88"])
    assert shape is not None and (shape.name, shape.detail) == (
        "CSV with a header",
        "columns: Domain, Port, Hits",
    )
    tsv = recognise(["time\tclient\tquery", "1795282820\t10.0.0.5\tpypi.org"])
    assert tsv is not None and tsv.name == "TSV with a header"
    zeek = recognise(
        ["#separator \\x09", "#fields\tts\tuid\tid.orig_h\tquery", "1795282820.1\tCx\t10.0.0.5\ta.b"]
    )
    assert zeek is not None and "Zeek" in zeek.name and zeek.detail == "columns: ts, uid, id.orig_h, query"
    files = recognise(
        ["#separator \\x09", "#path\tfiles", "#fields\tts\tfuid\tmime_type", "1.0\tFa1\ttext/plain"]
    )
    assert files is not None and files.name == "TSV with a header (Zeek's #fields, a files log)"
    assert "dns, ssl, http and conn logs (--format zeek)" in files.advice


def test_text_is_not_structured_data() -> None:
    """Build output, prose with commas and a header alone are not structured data."""
    assert recognise(["Reading package lists... Done", "Building dependency tree... Done"]) is None
    assert recognise(["Hello, world", "this line, has, more commas"]) is None
    assert (
        recognise(["Reading state information, Done", "Building tree, Done", "Unpacking files, Done"]) is None
    )
    assert recognise(["host,port"]) is None
    assert recognise([]) is None and recognise(["", "  "]) is None


def test_the_registry_is_small_classes_in_order() -> None:
    """JSON lines first, then a JSON document, then delimited text (Squid-shaped lines join later)."""
    assert [type(r) for r in RECOGNISERS[:3]] == [JsonLines, JsonDocument, Delimited]


def test_contents_counts_blank_comment_and_bad_lines() -> None:
    """Blank lines the reader emptied (NUL lines) are not counted as blank; partial counts say so."""
    assert contents([], 0, [], {}) == "the input is empty"
    text = contents(["# list", "", "", "//x"], 4, [3], {"malformed": 1, "dropped": 2})
    assert text == "4 lines: 1 blank, 2 comments, 1 malformed, 2 dropped"
    assert contents(["a"], 1, [], {}) == "1 line: 0 blank, 0 comments, 0 malformed, 0 dropped"
    assert (
        contents(["a", ""], 10, [], {})
        == "10 lines: 0 malformed, 0 dropped; in the first 2: 1 blank, 0 comments"
    )
