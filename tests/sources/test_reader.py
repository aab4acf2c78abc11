from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap.errors import InputError
from egressmap.model import Skipped
from egressmap.sources.reader import MAX_LINE, InputStream, read_range, read_raw


def _read(path: Path) -> tuple[list[str], InputStream]:
    stream = InputStream(str(path))
    lines = list(stream.lines())
    stream.close()
    return lines, stream


def test_gzip_is_detected_by_content(tmp_path: Path) -> None:
    """A gzip file is read whatever its name; a plain file named .gz is read as plain."""
    (tmp_path / "a.log").write_bytes(gzip.compress(b"one\ntwo\n"))
    (tmp_path / "b.gz").write_bytes(b"plain\n")
    assert _read(tmp_path / "a.log")[0] == ["one", "two"]
    assert _read(tmp_path / "b.gz")[0] == ["plain"]


def test_truncated_gzip_keeps_lines_before_the_damage(tmp_path: Path) -> None:
    """A cut-off gzip stream yields its readable lines and one clear problem."""
    body = "".join(f"line {i} https://host{i}.example.com/x.tar.gz\n" for i in range(5000)).encode()
    data = gzip.compress(body)
    (tmp_path / "cut.gz").write_bytes(data[: len(data) // 2])
    lines, stream = _read(tmp_path / "cut.gz")
    assert 100 < len(lines) < 5000
    assert lines[0] == "line 0 https://host0.example.com/x.tar.gz"
    (problem,) = stream.problems
    assert "truncated" in problem.reason and problem.lineno == len(lines) + 1


def test_binary_file_is_refused_with_a_message(tmp_path: Path) -> None:
    """NUL bytes at the start mean a binary file: one clear error."""
    (tmp_path / "bin").write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    with pytest.raises(InputError, match="binary"):
        InputStream(str(tmp_path / "bin"))


def test_long_line_and_bad_utf8_are_reported(tmp_path: Path) -> None:
    """A 1 MB line is skipped; invalid UTF-8 is flagged; numbering stays right."""
    path = tmp_path / "x.log"
    path.write_bytes(b"first\n" + b"a" * (1024 * 1024) + b"\n" + b"caf\xe9 https://pypi.org/\n" + b"last\n")
    lines, stream = _read(path)
    assert lines == ["first", "", "caf\ufffd https://pypi.org/", "last"]
    assert [(p.lineno, p.kind) for p in stream.problems] == [(2, "malformed"), (3, "warning")]
    assert str(MAX_LINE) in stream.problems[0].reason


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    """A missing file names the path."""
    with pytest.raises(InputError, match="nope"):
        InputStream(str(tmp_path / "nope"))


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    """'-' reads standard input, gzip included."""
    fake = io.TextIOWrapper(io.BufferedReader(io.BytesIO(gzip.compress(b"a\nb\n"))))
    monkeypatch.setattr(sys, "stdin", fake)
    stream = InputStream("-")
    assert (stream.origin, list(stream.lines())) == ("<stdin>", ["a", "b"])


def _range_lines(path: Path, start: int, end: int) -> list[bytes]:
    blocks = list(read_range(str(path), "f", start, end, []))
    return [line for block in blocks for line in block.split(b"\n")]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    lines=st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"x")), min_size=1, max_size=30),
    final_newline=st.booleans(),
    cuts=st.lists(st.floats(0, 1), max_size=3),
)
def test_read_range_gives_every_line_to_exactly_one_part(
    tmp_path: Path, lines: list[bytes], final_newline: bool, cuts: list[float]
) -> None:
    """Cut anywhere (a line start, mid-line, just after a newline), the parts' lines are the file's lines."""
    data = b"\n".join(lines) + (b"\n" if final_newline else b"")
    path = tmp_path / "cut.log"
    path.write_bytes(data)
    offsets = sorted({0, len(data), *(int(c * len(data)) for c in cuts)})
    parts = [_range_lines(path, a, b) for a, b in zip(offsets, offsets[1:], strict=False)]
    got = [line for part in parts for line in part]
    with path.open("rb") as f:
        whole = [line for block in read_raw(f, "f", []) for line in block.split(b"\n")]
    assert got == whole


def test_read_range_cut_exactly_at_a_line_start(tmp_path: Path) -> None:
    """The line that begins at the cut belongs to the second part (it was once read by neither)."""
    path = tmp_path / "a.log"
    path.write_bytes(b"one\ntwo\nthree\n")
    assert _range_lines(path, 0, 4) == [b"one"]
    assert _range_lines(path, 4, 14) == [b"two", b"three"]
    assert _range_lines(path, 5, 14) == [b"three"]
    assert _range_lines(path, 0, 5) == [b"one", b"two"]


def test_read_range_skips_the_rest_of_an_over_long_line_in_bounded_steps(tmp_path: Path) -> None:
    """A part starting inside a line longer than MAX_LINE steps over it; the first part reports it once."""
    path = tmp_path / "long.log"
    path.write_bytes(b"a\n" + b"x" * (MAX_LINE + 10) + b"\nb\n")
    first_problems: list[Skipped] = []
    first = list(read_range(str(path), "f", 0, 100, first_problems))
    assert [p.lineno for p in first_problems] == [2]
    assert b"a" in first[0].split(b"\n")
    assert _range_lines(path, 100, path.stat().st_size) == [b"b"]


NATIVE_HEAD = b"1795282820.642    312 10.0.1.17 TCP_TUNNEL/200 6120 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -\n"


@pytest.mark.parametrize("packed", [False, True])
def test_nul_bytes_in_the_first_kib_skip_only_their_lines(tmp_path: Path, packed: bool) -> None:
    """NUL bytes near the start (a crash, a full disk) lose their lines only, each reported by number."""
    body = (
        b"Hit:1 http://archive.ubuntu.com/ubuntu noble InRelease\n"
        + b"\x00" * 300
        + b"Get:2 http://security.ubuntu.com/ubuntu noble-security InRelease [126 kB]\n"
        + b"Get:3 http://archive.ubuntu.com/ubuntu noble-updates InRelease [126 kB]\n"
        + b"Fetched 252 kB in 1s\x00\x00 (180 kB/s)\n"
        + b"Reading package lists...\n"
    )
    path = tmp_path / ("apt.log.gz" if packed else "apt.log")
    path.write_bytes(gzip.compress(body) if packed else body)
    lines, stream = _read(path)
    assert len(lines) == 5 and lines[1] == "" and lines[3] == ""
    assert lines[2].startswith("Get:3") and lines[4] == "Reading package lists..."
    assert [(p.lineno, p.reason) for p in stream.problems] == [
        (2, "NUL byte in line"),
        (4, "NUL byte in line"),
    ]


def test_a_png_is_still_refused(tmp_path: Path) -> None:
    """A real binary file (a PNG, also gzipped) is refused with what it is."""
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    (tmp_path / "shot.log").write_bytes(png)
    (tmp_path / "shot.gz").write_bytes(gzip.compress(png))
    for name in ("shot.log", "shot.gz"):
        with pytest.raises(InputError, match=r"binary file \(a PNG image\)"):
            InputStream(str(tmp_path / name))


def test_read_range_reports_nul_lines_with_numbers_from_the_part(tmp_path: Path) -> None:
    """The native reader's byte-range path skips NUL lines too, numbered from its part's first line."""
    path = tmp_path / "access.log"
    data = NATIVE_HEAD * 3 + b"\x00" * 40 + b"\n" + NATIVE_HEAD * 2 + b"17952\x0082\n" + NATIVE_HEAD
    path.write_bytes(data)
    problems: list[Skipped] = []
    blocks = list(read_range(str(path), "a", len(NATIVE_HEAD) * 2, len(data), problems))
    lines = [line for block in blocks for line in block.split(b"\n")]
    assert lines == [
        NATIVE_HEAD.rstrip(b"\n"),
        b"",
        *[NATIVE_HEAD.rstrip(b"\n")] * 2,
        b"",
        NATIVE_HEAD.rstrip(),
    ]
    assert [(p.lineno, p.reason) for p in problems] == [(2, "NUL byte in line"), (5, "NUL byte in line")]


def test_utf16_text_is_refused_with_the_conversion(tmp_path: Path) -> None:
    """A UTF-16 log is not read as lines of NUL bytes: one message that says how to convert it."""
    (tmp_path / "win.log").write_bytes("\ufeffGET https://pypi.org/simple/\r\n".encode("utf-16-le") * 20)
    with pytest.raises(InputError, match=r"UTF-16 text \(little-endian\); convert it to UTF-8 first \(iconv"):
        InputStream(str(tmp_path / "win.log"))
