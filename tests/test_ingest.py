from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from egressmap.ingest import IngestReport, observe
from egressmap.sources import parallel


def _native_log(path: Path, lines: int) -> None:
    path.write_text(
        "".join(
            f"{1732186800 + i}.000 {i % 90:6d} 10.0.0.{i % 3} TCP_TUNNEL/200 {i} CONNECT h{i % 11}.example.com:443"
            " - HIER_DIRECT/192.0.2.1 -\n"
            for i in range(lines)
        )
    )


@pytest.mark.parametrize("packed", [False, True])
@pytest.mark.parametrize("two_processes", [False, True])
def test_progress_reaches_the_file_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, two_processes: bool, packed: bool
) -> None:
    """The progress callback starts at 0 of the size and ends at the size, in one process or two, plain or .gz."""
    path = tmp_path / "access.log"
    _native_log(path, 20_000)  # about 2 MB: more than one read block
    if packed:
        path = path.with_suffix(".log.gz")
        path.write_bytes(gzip.compress((tmp_path / "access.log").read_bytes()))
    size = path.stat().st_size
    if two_processes:
        monkeypatch.setattr(parallel, "PARALLEL_MIN_BYTES", 1)
        monkeypatch.setattr(parallel, "usable_cpus", lambda: 2)
    calls: list[tuple[str, int, int | None]] = []
    warmed: list[bool] = []
    report = IngestReport()
    seen = list(
        observe([str(path)], report, progress=lambda *a: calls.append(a), warm_up=lambda: warmed.append(True))
    )
    assert sum(o.count for o in seen) == 20_000
    assert calls[0] == (str(path), 0, size)
    done = [c[1] for c in calls[1:]]
    assert len(done) >= 2 and done == sorted(done) and done[-1] == size
    assert warmed == ([True] if two_processes else [])
    assert report.inputs[0].lines == 20_000
