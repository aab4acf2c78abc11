"""The C module of the native Squid format: its loop counts what the Python loop counts, and its conversion makes
the tally the Python conversion makes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from egressmap.model import Skipped
from egressmap.sources import squid_count, squid_native
from egressmap.sources.squid_count import CLIENT_SAMPLE, Rows, tally_python

count = squid_count._count
pytestmark = pytest.mark.skipif(count is None, reason="the C loop was not built (no compiler at install)")

Result = tuple[list[tuple[object, ...]], list[int], int]


def _same_shape(rows: Rows) -> list[tuple[object, ...]]:
    """The rows with their clients as a set (the C loop gives one client as a 1-tuple), times as text (NaN too)."""
    return [(*row[:5], repr(row[5]), repr(row[6]), set(row[7]), row[8]) for row in rows]


def _both(blocks: list[bytes], first: int = 1) -> tuple[Result, Result]:
    assert count is not None
    rows, skipped, lines = tally_python(blocks, "log", first)
    fast_rows, bad, fast_lines = count(blocks, first, CLIENT_SAMPLE, 12345)
    return (
        (_same_shape(rows), [s.lineno for s in skipped], lines),
        (_same_shape(fast_rows), bad, fast_lines),
    )


_FIELD = st.sampled_from(
    [
        b"1796375521.123",
        b"1796375521.124",
        b"1796375521.123456789012345678901234567890",  # longer than the C row keeps inline
        b"nan",
        b"1_000.5",  # float() takes underscores
        b"-inf",
        b"1e400",
        b"10.0.0.\xe9",  # not UTF-8: a client decoded with replacement
        b"10.0.0.1",
        b"10.0.0.2",
        b"TCP_TUNNEL/200",
        b"TCP_DENIED/403",
        b"CONNECT",
        b"GET",
        b"pypi.org:443",
        b"http://a.example/x/y",
        b"http://a.example",
        b"https://a.example:8443/",
        b"://x.example/p",
        b"a://b://c/d",
        b"http://b.example/" + b"p" * 250,
        b"-",
        b"#",
        b"#comment",
        b"\xff\xfe",
        b"error:invalid-request",
        b"a\x01b\x1f\x00c!",  # control bytes below the space: part of a field, not a separator
        b"http://\x7f\x80\xa0\xff.example/\x20x",
    ]
)
_SPACE = st.sampled_from([b" ", b"  ", b"\t", b"\x0b", b"\x0c", b" \r "])
_LINE = st.lists(st.tuples(_FIELD, _SPACE), max_size=10).map(lambda parts: b"".join(f + s for f, s in parts))


@settings(max_examples=300)
@given(st.lists(st.lists(_LINE, max_size=40), max_size=4), st.integers(1, 10**6))
@example([[b"1 2 10.0.0.1 TCP_MISS/200 5 GET http://h.example/p - x -"] * 40], 1)
@example([[b""], [], [b"", b"  "], [b"# a comment", b"a b"]], 7)
def test_the_c_loop_counts_what_the_python_loop_counts(blocks: list[list[bytes]], first: int) -> None:
    """Any lines of these fields and separators, in any blocks: the same rows, bad lines and line count."""
    python, c = _both([b"\n".join(lines) for lines in blocks], first)
    assert c == python


def test_many_requests_of_one_kind_keep_a_sample_of_clients() -> None:
    lines = [
        f"{1796375521 + i}.000 1 10.0.{i % 3}.{i} TCP_TUNNEL/200 10 CONNECT pypi.org:443 - HIER_DIRECT/x -".encode()
        for i in range(100)
    ]
    blocks = [b"\n".join(lines[:50]), b"\n".join(lines[50:])]
    python, c = _both(blocks)
    assert c == python
    assert count is not None
    (row,), _, _ = count(blocks, 1, CLIENT_SAMPLE, 1)
    assert row[3] == 100 and row[5] == 1796375521.0 and row[6] == 1796375620.0
    assert len(row[7]) == CLIENT_SAMPLE - 1


def test_a_request_seen_once_has_one_timestamp_object() -> None:
    assert count is not None
    (row,), _, _ = count([b"1.5 1 c TCP_MISS/200 1 GET http://h.example/p - x -"], 1, CLIENT_SAMPLE, 1)
    assert row[5] is row[6] == 1.5
    assert row[7] == ("c",)
    assert row[:3] == (b"http://h.example", b"TCP_MISS/200", b"GET") and row[8] == b"http://h.example/p"


def test_any_bytes_like_block_is_read() -> None:
    line = b"1.5 1 c TCP_MISS/200 1 GET http://h.example/p - x -"
    assert count is not None
    for block in (bytearray(line), memoryview(line)):
        rows, bad, lines = count([block], 1, CLIENT_SAMPLE, 1)  # type: ignore[list-item]
        assert (len(rows), bad, lines) == (1, [], 1)


def test_a_block_that_is_not_bytes_is_a_type_error() -> None:
    assert count is not None
    with pytest.raises(TypeError):
        count([b"a b c d e f g", "text"], 1, CLIENT_SAMPLE, 1)  # type: ignore[list-item]


def test_an_error_while_reading_the_blocks_comes_through() -> None:
    def blocks() -> Iterator[bytes]:
        yield b"1.5 1 c TCP_MISS/200 1 GET http://h.example/p - x -"
        raise OSError("disk gone")

    assert count is not None
    with pytest.raises(OSError, match="disk gone"):
        count(blocks(), 1, CLIENT_SAMPLE, 1)


def test_tally_native_reports_bad_lines_as_the_python_loop_does() -> None:
    blocks = [b"garbage line\n1.5 1 c TCP_MISS/200 1 GET http://h.example/p - x -\n#x y\n\nshort"]
    assert squid_count.tally_native(blocks, "log")[1] == [
        Skipped("log", 1, "not a native squid log line (fewer than 7 fields)"),
        Skipped("log", 5, "not a native squid log line (fewer than 7 fields)"),
    ]
    assert squid_count.tally_native(blocks, "log")[1] == tally_python(blocks, "log")[1]


def test_the_loop_in_use_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    assert squid_count.per_line_loop() == "C"
    monkeypatch.setattr(squid_count, "_count", None)
    assert squid_count.per_line_loop() == "Python"


_CODES = [
    b"TCP_TUNNEL/200",
    b"TCP_MISS/200",
    b"TCP_DENIED/403",
    b"NONE_NONE/000",
    b"TCP_MISS/503",
    b"TCP_\xff/200",
]
_METHODS = [b"CONNECT", b"CONNECT", b"GET", b"\xffGET"]
_URLS = [
    b"h.example:443",
    b"H.Example:443",
    b"h.example:8443",
    b"http://h.example/x",
    b"h.example:443/" + b"p" * 250,
    b"error:invalid-request",
    b"-",
    b"cache_object://h.example/info",
    b"a://b",
    b"\xff.example:443",
    b"user@h.example:443",
    b"h.example",
]
_REQUEST = st.tuples(
    st.sampled_from([b"1796375521.000", b"1796375522.500", b"x"]),
    st.sampled_from([b"10.0.0.1", b"10.0.0.2", b"-"]),
    st.sampled_from(_CODES),
    st.sampled_from(_METHODS),
    st.sampled_from(_URLS),
).map(lambda f: b"%s 5 %s %s 10 %s %s - HIER_DIRECT/x -" % f)


@settings(max_examples=300)
@given(st.lists(_REQUEST, max_size=40))
def test_the_c_conversion_makes_the_tally_the_python_loop_makes(lines: list[bytes]) -> None:
    """Tunnels, plain requests, undecodable fields and URLs that name no destination, in any mix: the same
    tally rows, unusable requests and bad lines whether the C module converts the tunnels' rows or not."""
    assert squid_native._convert_c is not None
    block = b"\n".join(lines)

    def converted() -> tuple[object, object, object]:
        part = squid_native._convert(*squid_count.tally_native([block], "log"), "log")
        return part.tally.rows, part.unusable, part.skipped

    with_c = converted()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(squid_native, "_convert_c", None)
        assert converted() == with_c


Counter = squid_count._Counter


def _split_count(parts: list[list[bytes]], first: int, sample: int = CLIENT_SAMPLE) -> Result:
    """The parts' lines counted by one Counter each, the later ones absorbed in order."""
    assert Counter is not None
    counters = [Counter(1 if i else first, sample, 99) for i in range(len(parts))]
    for counter, lines in zip(counters, parts, strict=True):
        for block in lines:
            counter.feed(block)
    for later in counters[1:]:
        counters[0].absorb(later)
    rows, bad, n = counters[0].result()
    return _same_shape(rows), bad, n


@settings(max_examples=300)
@given(
    st.lists(_LINE | _REQUEST, max_size=60),
    st.lists(st.integers(0, 60), max_size=3),
    st.integers(1, 10**6),
    st.sampled_from([2, 3, CLIENT_SAMPLE]),
)
@example([b"1 2 c%d TCP_MISS/200 5 GET http://h.example/p - x -" % (i % 7) for i in range(40)], [3, 9], 1, 4)
def test_counters_of_consecutive_parts_absorbed_count_what_one_count_does(
    lines: list[bytes], cuts: list[int], first: int, sample: int
) -> None:
    """Lines cut into parts anywhere, each part counted apart and folded in: the rows (first and last times,
    the clients of each kind's first `sample - 1` requests), bad lines and line numbers of one count."""
    assert count is not None
    edges = [0, *sorted(min(c, len(lines)) for c in cuts), len(lines)]
    parts = [[b"\n".join(lines[a:b])] if b > a else [] for a, b in zip(edges, edges[1:], strict=False)]
    rows, bad, n = count([b"\n".join(lines)] if lines else [], first, sample, 5)
    assert _split_count(parts, first, sample) == (_same_shape(rows), bad, n)


def test_two_threads_count_the_two_halves_of_a_log_at_once() -> None:
    """What the native path does with a big file: each half fed by its own thread (the GIL let go per block)."""
    import threading

    assert Counter is not None and count is not None
    lines = [
        b"%d.5 1 10.0.%d.%d TCP_TUNNEL/200 9 CONNECT h%d.example:443 - HIER_DIRECT/x -"
        % (i, i % 5, i % 251, i % 997)
        for i in range(60_000)
    ]
    halves = [lines[:29_000], lines[29_000:]]
    blocks = [[b"\n".join(half[i : i + 500]) for i in range(0, len(half), 500)] for half in halves]
    first, later = Counter(1, CLIENT_SAMPLE, 3), Counter(1, CLIENT_SAMPLE, 3)

    def feed(counter: object, part: list[bytes]) -> None:
        for block in part:
            counter.feed(block)  # type: ignore[attr-defined]

    thread = threading.Thread(target=feed, args=(later, blocks[1]))
    thread.start()
    feed(first, blocks[0])
    thread.join()
    first.absorb(later)
    rows, bad, n = first.result()
    expected = count([b"\n".join(lines)], 1, CLIENT_SAMPLE, 8)
    assert (_same_shape(rows), bad, n) == (_same_shape(expected[0]), *expected[1:])
    assert later.result() == ([], [], 0)  # absorbed: emptied
    assert first.result() == ([], [], 0)  # result() empties it too


def test_a_counter_refuses_what_it_cannot_count_right() -> None:
    assert Counter is not None
    one = Counter(1, CLIENT_SAMPLE, 1)
    with pytest.raises(ValueError, match="itself"):
        one.absorb(one)
    with pytest.raises(ValueError, match="seed or sample"):
        one.absorb(Counter(1, CLIENT_SAMPLE, 2))
    with pytest.raises(TypeError):
        one.absorb(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        one.feed("text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="sample"):
        Counter(1, 1, 1)
    one.feed(bytearray(b"1.5 1 c TCP_MISS/200 1 GET http://h.example/p - x -"))
    assert one.result()[2] == 1
