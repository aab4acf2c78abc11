"""The gzip reader that decompresses in a thread: same bytes, same errors, as reading the GzipFile itself."""

from __future__ import annotations

import gzip
import io
import random
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.sources import gzip_feed
from egressmap.sources.gzip_feed import GzipFeed
from egressmap.sources.reader import InputStream


@pytest.fixture(autouse=True, params=["isal", "zlib"])
def inflater(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test both ways: ISA-L first (the ``[fast]`` extra, installed for the tests), and zlib alone."""
    if request.param == "zlib":
        monkeypatch.setattr(gzip_feed, "_fast", None)
    else:
        assert gzip_feed._fast is not None, "isal is in the test extra: pip install -e '.[test]'"
    return str(request.param)


def _body(lines: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    return "".join(
        f"{1732186800 + i}.{rng.randrange(1000):03d} {rng.randrange(9000)} 10.0.0.{i % 200} TCP_TUNNEL/200 "
        f"{rng.randrange(900000)} CONNECT host{rng.randrange(10**6)}.example.com:443 - HIER_DIRECT/192.0.2.1 -\n"
        for i in range(lines)
    ).encode()


def _drain(feed: GzipFeed, size: int) -> bytes:
    parts: list[bytes] = []
    while True:
        data = feed.read(size)
        if not data:
            return b"".join(parts)
        assert len(data) <= size
        parts.append(data)


def _reference(data: bytes) -> tuple[bytes, type[BaseException] | None]:
    """What a read1 loop over gzip.GzipFile gives: the bytes before any damage and the exception type."""
    parts: list[bytes] = []
    reader = gzip.GzipFile(fileobj=io.BytesIO(data))
    try:
        while True:
            piece = reader.read1(65536)
            if not piece:
                return b"".join(parts), None
            parts.append(piece)
    except (EOFError, OSError, zlib.error) as exc:
        return b"".join(parts), type(exc)


@settings(max_examples=25, deadline=None)
@given(members=st.lists(st.binary(max_size=3000), min_size=1, max_size=4), size=st.integers(1, 70000))
def test_same_bytes_as_gzip_whatever_the_read_size(members: list[bytes], size: int) -> None:
    """Any members, any read size: the decompressed bytes of every member, in order."""
    data = b"".join(gzip.compress(m) for m in members)
    feed = GzipFeed(io.BufferedReader(io.BytesIO(data)))
    try:
        assert _drain(feed, size) == b"".join(members)
    finally:
        feed.close()


def test_multi_member_file_is_read_whole(tmp_path: Path) -> None:
    """A file of several gzip members (``cat a.gz b.gz``, logrotate) gives every member's lines."""
    first, second = _body(3000, 1), _body(2000, 2)
    (tmp_path / "m.gz").write_bytes(gzip.compress(first) + gzip.compress(second))
    stream = InputStream(str(tmp_path / "m.gz"))
    try:
        lines = list(stream.lines())
    finally:
        stream.close()
    assert lines == (first + second).decode().splitlines()
    assert stream.problems == []


@pytest.mark.parametrize("cut", [0.3, 0.5, 0.9, 0.999])
def test_truncated_stream_gives_the_same_bytes_then_the_same_error(cut: float) -> None:
    """Cut anywhere, the feed returns exactly what GzipFile did before the damage, then raises the same error."""
    data = gzip.compress(_body(20000))
    damaged = data[: int(len(data) * cut)]
    expected, error = _reference(damaged)
    assert error is not None
    feed = GzipFeed(io.BufferedReader(io.BytesIO(damaged)))
    got = []
    with pytest.raises(error):
        while True:
            piece = feed.read(65536)
            if not piece:
                break
            got.append(piece)
    feed.close()
    assert b"".join(got) == expected


def test_corrupt_data_raises_like_gzip() -> None:
    """Flipped bytes in the middle: the data before them, then gzip's own error."""
    data = bytearray(gzip.compress(_body(20000)))
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    expected, error = _reference(bytes(data))
    assert error is not None
    feed = GzipFeed(io.BufferedReader(io.BytesIO(bytes(data))))
    got = []
    with pytest.raises(error):
        while piece := feed.read(4096):
            got.append(piece)
    feed.close()
    assert b"".join(got) == expected


def test_truncated_file_keeps_its_lines_and_reports_the_damage(tmp_path: Path) -> None:
    """Through InputStream: every whole line before the cut is used and one problem names the truncation."""
    body = _body(20000)
    data = gzip.compress(body)
    (tmp_path / "cut.gz").write_bytes(data[: len(data) * 2 // 3])
    stream = InputStream(str(tmp_path / "cut.gz"))
    try:
        lines = list(stream.lines())
    finally:
        stream.close()
    expected = _reference(data[: len(data) * 2 // 3])[0].decode()
    whole = expected[: expected.rfind("\n")].split("\n")
    assert lines[: len(whole)] == whole
    assert len(lines) <= len(whole) + 1
    (problem,) = stream.problems
    assert "truncated" in problem.reason and problem.lineno == len(lines) + 1


def test_tell_counts_the_bytes_returned() -> None:
    """tell() is the decompressed offset reached, whichever way the bytes were taken."""
    body = _body(5000)
    feed = GzipFeed(io.BufferedReader(io.BytesIO(gzip.compress(body))))
    try:
        assert feed.tell() == 0
        first = feed.read(1000) + feed.readline()
        assert feed.tell() == len(first) and first.endswith(b"\n")
        rest = feed.read()
        assert feed.tell() == len(body) == len(first) + len(rest)
    finally:
        feed.close()


@pytest.mark.parametrize(
    "skip", [0, 1, 1000, gzip_feed.BLOCK - 1, gzip_feed.BLOCK, 3 * gzip_feed.BLOCK + 7, 10**9]
)
def test_skip_throws_away_the_first_bytes_and_counts_their_lines(skip: int) -> None:
    """With skip, the stream starts that many bytes in; the lines thrown away are counted, tell() goes on."""
    body = _body(20000)
    feed = GzipFeed(io.BufferedReader(io.BytesIO(gzip.compress(body))), skip=skip)
    try:
        assert _drain(feed, 65536) == body[skip:]
        assert feed.skipped_lines == body[:skip].count(b"\n")
        assert skip >= len(body) or feed.tell() == len(body)
    finally:
        feed.close()


def test_peek_and_readline_do_not_lose_bytes() -> None:
    """peek shows what read returns next; readline stops at a newline or at its size."""
    feed = GzipFeed(io.BufferedReader(io.BytesIO(gzip.compress(b"alpha\nbeta\ngamma"))))
    try:
        assert feed.peek(3).startswith(b"alpha")
        assert feed.readline() == b"alpha\n"
        assert feed.readline(2) == b"be"
        assert feed.readline() == b"ta\n"
        assert feed.read() == b"gamma"
        assert feed.read(10) == b""
    finally:
        feed.close()


def test_close_before_the_end_stops_the_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing early (a format not recognised) ends the thread even while it waits on a full queue."""
    monkeypatch.setattr(gzip_feed, "BLOCK", 1024)
    feed = GzipFeed(io.BufferedReader(io.BytesIO(gzip.compress(_body(20000)))))
    feed.peek(1)
    feed.close()
    assert not feed._thread.is_alive()  # noqa: SLF001 - the thread is the point of the test


def test_isal_stops_short_at_damage_and_zlib_reads_on(monkeypatch: pytest.MonkeyPatch, inflater: str) -> None:
    """Why the feed reads a damaged file again: ISA-L alone hands over less of what lies before the damage."""
    data = gzip.compress(_body(20000))
    cut = data[: len(data) // 2]
    expected, _ = _reference(cut)
    if inflater == "isal":
        short = b""
        with gzip_feed._fast(fileobj=io.BytesIO(cut), mode="rb") as alone:  # type: ignore[misc]
            try:
                while piece := alone.read1(65536):
                    short += piece
            except EOFError:
                pass
        assert len(short) < len(expected)
    feed = GzipFeed(io.BufferedReader(io.BytesIO(cut)))
    got = b""
    with pytest.raises(EOFError):
        while piece := feed.read(65536):
            got += piece
    feed.close()
    assert got == expected


def test_a_pipe_is_inflated_by_zlib() -> None:
    """An input that cannot seek (stdin) is never read twice: zlib from the start."""

    class Pipe(io.BytesIO):
        def seekable(self) -> bool:
            return False

    data = _body(3000)
    feed = GzipFeed(Pipe(gzip.compress(data)))
    try:
        assert isinstance(feed._gzip, gzip.GzipFile) and type(feed._gzip) is gzip.GzipFile
        assert _drain(feed, 65536) == data
    finally:
        feed.close()
