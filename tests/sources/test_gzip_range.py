"""Parts of a gzip file's decompressed data: the same lines as the plain file's parts, damage reported once."""

from __future__ import annotations

import gzip
import io
import itertools
import random
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO, cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.model import Skipped
from egressmap.sources.gzip_feed import GzipFeed
from egressmap.sources.gzip_range import RangeReader, estimated_size, range_reader, read_gzip_range
from egressmap.sources.parallel import TO_THE_END
from egressmap.sources.reader import MAX_LINE, InputStream, read_range, read_raw


def _log(lines: int, seed: int = 3) -> bytes:
    """Native Squid lines with a few oddities: a NUL byte, an over-long line, a CRLF, a comment."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        host = f"h{rng.randrange(40)}.example.com"
        out.append(
            f"{1796375521 + i}.{rng.randrange(1000):03d} {rng.randrange(9000):6d} 10.0.0.{i % 7} "
            f"TCP_TUNNEL/200 {rng.randrange(90000)} CONNECT {host}:443 - HIER_DIRECT/192.0.2.1 -"
        )
    out[5] = out[5][:20] + "\x00" + out[5][20:]
    out[lines // 2] = "x" * (MAX_LINE + 10)
    out[lines // 3] += "\r"
    out[7] = "# a comment"
    return ("\n".join(out) + "\n").encode()


def _blocks_to_lines(blocks: list[bytes]) -> list[bytes]:
    return [line for block in blocks for line in block.split(b"\n")]


def _read_parts(path: Path, cuts: list[int], read: RangeReader) -> tuple[list[bytes], list[Skipped]]:
    """Every part's lines in order, and their problems numbered in the whole file (as the join does)."""
    lines: list[bytes] = []
    problems: list[Skipped] = []
    bounds = [0, *cuts, TO_THE_END]
    for start, end in itertools.pairwise(bounds):
        found: list[Skipped] = []
        part = _blocks_to_lines(list(read(str(path), "f", start, end, found, None)))
        problems += [replace(p, lineno=p.lineno + len(lines)) for p in found]
        lines += part
    return lines, problems


def _one_process(path: Path) -> tuple[list[bytes], list[Skipped]]:
    """What the one-process read gives: read_raw over the decompression thread, as InputStream reads."""
    problems: list[Skipped] = []
    with path.open("rb") as raw:
        feed = GzipFeed(raw)
        try:
            lines = _blocks_to_lines(list(read_raw(cast(BinaryIO, feed), "f", problems)))
        finally:
            feed.close()
    return lines, problems


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The same log, plain and gzipped."""
    where = tmp_path_factory.mktemp("logs")
    plain, packed = where / "access.log", where / "access.log.gz"
    plain.write_bytes(_log(6000))
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    return plain, packed


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cuts=st.lists(st.floats(0, 1.05), min_size=1, max_size=3))
def test_parts_hold_the_same_lines_as_the_plain_files_parts(
    logs: tuple[Path, Path], cuts: list[float]
) -> None:
    """Cut anywhere (past the end too), the gzip parts give the plain parts' lines and problems, each line once."""
    plain, packed = logs
    size = plain.stat().st_size
    offsets = sorted(int(c * size) for c in cuts)
    want = _read_parts(plain, offsets, read_range)
    assert _read_parts(packed, offsets, read_gzip_range) == want
    assert want[0] == _one_process(packed)[0]


def test_cut_at_every_offset_around_a_line_start(logs: tuple[Path, Path]) -> None:
    """Cuts just before, at and just after a line start give that line to exactly one part."""
    plain, packed = logs
    data = plain.read_bytes()
    line_start = data.index(b"\n", len(data) // 4) + 1
    for cut in range(line_start - 2, line_start + 3):
        assert _read_parts(packed, [cut], read_gzip_range) == _read_parts(plain, [cut], read_range)


def test_progress_is_the_decompressed_position(logs: tuple[Path, Path]) -> None:
    """The progress callback gets the decompressed offset reached, ending past the part's end."""
    _, packed = logs
    seen: list[int] = []
    list(read_gzip_range(str(packed), "f", 0, 400_000, [], seen.append))
    assert seen == sorted(seen) and 400_000 <= seen[-1] < 400_000 + MAX_LINE + 2 * 65536


def _damaged(tmp_path: Path, how: str) -> tuple[Path, int]:
    """A gzip log cut short or with zeroed bytes; with the length of the data a reader gets before the damage."""
    data = gzip.compress(_log(20000, seed=9))
    if how == "truncated":
        bad = data[: len(data) * 3 // 5]
    else:
        spoiled = bytearray(data)
        spoiled[len(data) * 3 // 5 : len(data) * 3 // 5 + 200] = bytes(200)
        bad = bytes(spoiled)
    path = tmp_path / f"{how}.log.gz"
    path.write_bytes(bad)
    reader = gzip.GzipFile(fileobj=io.BytesIO(bad))
    got = 0
    try:
        while piece := reader.read1(65536):
            got += len(piece)
    except (EOFError, OSError) as exc:
        assert how in ("truncated", "corrupt"), exc
    return path, got


@pytest.mark.parametrize("how", ["truncated", "corrupt"])
def test_damage_is_reported_once_by_the_part_that_reaches_it(tmp_path: Path, how: str) -> None:
    """Damage before, inside or after the cut: the parts give the one-process lines and its one problem."""
    path, good = _damaged(tmp_path, how)
    lines, problems = _one_process(path)
    (problem,) = [p for p in problems if "gzip" in p.reason]
    assert problem is problems[-1] and "truncated or damaged gzip" in problem.reason
    assert f"the {len(lines)} lines before it were used" in problem.reason
    assert problem.lineno == len(lines) + 1
    for cut in (0, good // 3, good - 300, good - 1, good, good + 1, good + 5000, 10**9):
        assert _read_parts(path, [cut], read_gzip_range) == (lines, problems), cut


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shift=st.integers(-400, 400))
def test_damage_near_the_cut_is_reported_once(tmp_path: Path, shift: int) -> None:
    """Cuts all around the last bytes before the damage: never a lost or doubled problem, numbers exact."""
    path, good = _damaged(tmp_path, "truncated")
    assert _read_parts(path, [good + shift], read_gzip_range) == _one_process(path)


def test_estimated_size_from_the_trailer(tmp_path: Path) -> None:
    """A single member's size is exact; past 4 GiB the reading nearest a text log's ratio is taken."""
    data = _log(3000)
    packed = tmp_path / "a.gz"
    packed.write_bytes(gzip.compress(data))
    assert estimated_size(str(packed)) == len(data)
    huge = tmp_path / "huge.gz"  # a sparse stand-in: only the size and the trailer are read
    with huge.open("wb") as f:
        f.truncate(1_000_000_000)
        f.seek(-4, 2)
        f.write((123_456_789).to_bytes(4, "little"))
    assert estimated_size(str(huge)) == 123_456_789 + (1 << 32)  # 4.4 GB from 1 GB, not 0.12 GB
    tiny = tmp_path / "tiny.gz"
    tiny.write_bytes(b"\x1f\x8b")
    assert estimated_size(str(tiny)) is None
    members = tmp_path / "rotated.gz"  # cat of two members, the last one small: its trailer says little
    members.write_bytes(gzip.compress(data) + gzip.compress(b"last\n"))
    assert estimated_size(str(members)) is None


def test_range_reader_by_kind_of_input(logs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain file is cut in its bytes, a gzip file in its decompressed data, stdin not at all."""
    plain, packed = logs
    for path, size, read in (
        (plain, plain.stat().st_size, read_range),
        (packed, plain.stat().st_size, read_gzip_range),
    ):
        stream = InputStream(str(path))
        try:
            assert range_reader(stream) == (size, read)
        finally:
            stream.close()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(packed.read_bytes())))
    stream = InputStream("-")
    try:
        assert range_reader(stream) is None
    finally:
        stream.close()
