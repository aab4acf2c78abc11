from __future__ import annotations

import gzip
import io
import sys
from pathlib import Path

import pytest

from egressmap.errors import InputError
from egressmap.sources.reader import MAX_LINE, InputStream


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
