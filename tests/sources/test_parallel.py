from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from egressmap.sources import parallel
from egressmap.sources.parallel import split_work
from egressmap.sources.reader import read_range

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the two-process path needs fork")


def _lines_of(path: Path) -> Callable[[int, int], tuple[int, list[bytes]]]:
    def work(start: int, end: int) -> tuple[int, list[bytes]]:
        blocks = read_range(str(path), "f", start, end, [])
        return os.getpid(), [line for block in blocks for line in block.split(b"\n")]

    return work


@pytest.fixture
def two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any file is big enough, and two CPUs are there."""
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)


@pytest.mark.usefixtures("two_cpus")
@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_two_processes_share_the_lines(tmp_path: Path, share: float) -> None:
    """The child (another process) and the parent together read every line once, in order."""
    path = tmp_path / "big.log"
    lines = [f"line {i} {'x' * (i % 7)}".encode() for i in range(500)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    done = split_work(str(path), _lines_of(path), share)
    assert done is not None
    (first_pid, first), (second_pid, second) = done
    assert first_pid == os.getpid() != second_pid
    assert first and second
    assert first + second == lines


@pytest.mark.usefixtures("two_cpus")
def test_meanwhile_runs_in_the_parent(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"a\nb\nc\n")
    seen: list[int] = []
    assert split_work(str(path), _lines_of(path), meanwhile=lambda: seen.append(os.getpid()))
    assert seen == [os.getpid()]


@pytest.mark.usefixtures("two_cpus")
def test_a_failing_child_means_no_result(tmp_path: Path) -> None:
    """When the child's work raises, the caller gets None (and reads the file the ordinary way)."""
    path = tmp_path / "big.log"
    path.write_bytes(b"a\nb\nc\nd\n")

    def work(start: int, end: int) -> int:
        if start > 0:
            raise RuntimeError("child fails")
        return end

    assert split_work(str(path), work) is None


def test_small_files_and_one_cpu_stay_in_one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.log"
    path.write_bytes(b"a\nb\n")
    assert parallel.PARALLEL_MIN_BYTES >= 1024 * 1024
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    assert split_work(str(path), _lines_of(path)) is None  # under PARALLEL_MIN_BYTES
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    assert split_work(str(path), _lines_of(path)) is not None  # the control: big enough, two CPUs
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 1)
    assert split_work(str(path), _lines_of(path)) is None


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="CPU affinity is Linux-only")
def test_usable_cpus_follows_the_affinity_mask() -> None:
    """Pinned to one CPU (as taskset or a container would), the parse stays in one process."""
    code = (
        "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); "
        "from egressmap.sources.parallel import usable_cpus; print(usable_cpus())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"


@pytest.mark.usefixtures("two_cpus")
def test_size_cuts_another_byte_space_and_the_child_reads_past_it(tmp_path: Path) -> None:
    """``size`` (an estimate) places the cut; the child's part runs to the end of the data even past it."""
    path = tmp_path / "big.log"
    lines = [f"line {i}".encode() for i in range(300)]
    path.write_bytes(b"\n".join(lines) + b"\n")
    done = split_work(str(path), _lines_of(path), 0.5, size=400)  # far less than the file's size
    assert done is not None
    (_, first), (_, second) = done
    assert first == lines[: len(first)] and 20 < len(first) < 40  # the lines before offset 200
    assert first + second == lines


def test_before_fork_runs_only_when_a_child_is_made(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The hook that stops threads runs just before forking, never when the file stays in one process."""
    path = tmp_path / "big.log"
    path.write_bytes(b"a\nb\nc\n")
    calls: list[int] = []
    monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    assert split_work(str(path), _lines_of(path), before_fork=lambda: calls.append(os.getpid())) is None
    assert calls == []
    monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
    assert split_work(str(path), _lines_of(path), before_fork=lambda: calls.append(os.getpid()))
    assert calls == [os.getpid()]
