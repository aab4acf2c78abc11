"""Sources expanded into inputs, inputs planned as tasks, and tasks in any order joined to the local result."""

from __future__ import annotations

import io
import random
from collections.abc import Callable, Generator, Sequence
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from egressmap.cli import engine_flags, main
from egressmap.engine import LocalEngine
from egressmap.engine.dask import DaskEngine
from egressmap.engine.inputs import RANGE_FORMATS, Task, expand, parse_size, plan
from egressmap.engine.interface import EngineSettings
from egressmap.engine.tasks import run_task
from egressmap.errors import ConfigError
from egressmap.evidence import Evidence
from egressmap.ingest import InputReport
from egressmap.sources import SourceOptions

from .logs import write_logs


class Sequential(DaskEngine):
    """The dask engine's planning and merging, its tasks run here in a shuffled order (no cluster)."""

    seed = 0

    def run(
        self,
        tasks: list[Task],
        wanted: str,
        options: SourceOptions | None,
        settings: EngineSettings,
        warm_up: Callable[[], None] | None,
    ) -> Generator[tuple[Task, Evidence], None, None]:
        order = list(tasks)
        random.Random(self.seed).shuffle(order)
        for task in order:
            yield task, run_task(task, wanted, options)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_logs(tmp_path_factory.mktemp("logs"))


@pytest.fixture
def sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_flags, "ENGINES", {"local": LocalEngine, "dask": Sequential})


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _without_engine_lines(err: str, joined: bool = True) -> str:
    """stderr without the engine's own lines (and, with ``joined=False``, the join figures: see the test)."""
    skip = ("egressmap: dask:", "-" if joined else "egressmap: connections recorded by address")
    return "".join(line for line in err.splitlines(keepends=True) if not line.startswith(skip))


@pytest.mark.usefixtures("sequential")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_tasks_in_any_order_build_what_the_local_engine_builds(logs: list[Path], seed: int) -> None:
    """Every kind of log, big files cut into byte ranges of 4 KiB, tasks finished in a shuffled order."""
    Sequential.seed = seed
    code, local, local_err = _run("build", "--to", "json", *map(str, logs))
    assert code == 0
    code, dask, dask_err = _run(
        "build", "--to", "json", "--engine", "dask", "--chunk-size", "4k", str(logs[0].parent)
    )
    assert code == 0 and dask == local
    assert _without_engine_lines(dask_err) == local_err
    assert "byte ranges of big files" in dask_err


@pytest.mark.usefixtures("sequential")
@pytest.mark.parametrize("name", ["access.log", "common.log", "combined.log", "reordered.log", "r53.log", "nfw.log",
                                  "eve.json", "hosts.txt"])  # fmt: skip
def test_each_line_by_line_format_cut_into_ranges_builds_the_same(logs: list[Path], name: str) -> None:
    """Alone (so network logs are cut too), each file read in ranges builds and scans as when read whole."""
    path = str(logs[0].parent / name)
    tasks = plan([path], 3000, "auto", None)
    assert len(tasks) > 3 and all(t.byte_range is not None for t in tasks)
    for command in (["build", "--to", "json"], ["scan", "--json"]):
        code, local, local_err = _run(*command, path)
        code, dask, dask_err = _run(*command, "--engine", "dask", "--chunk-size", "3000", path)
        if command[0] == "build":  # (scan's client and URL samples may be others: see docs/scale.md)
            assert dask == local
        # evidence read in parts always holds connections recorded by address for naming, and says how many
        # were named, even with no DNS evidence among the inputs (a local run then does not hold them)
        assert _without_engine_lines(dask_err, joined=False) == _without_engine_lines(local_err, joined=False)


def test_byte_ranges_cover_the_file_once(logs: list[Path]) -> None:
    path = str(logs[0].parent / "access.log")
    size = Path(path).stat().st_size
    tasks = plan([path, path], 10_000, "auto", None)
    first = [t for t in tasks if t.index == 0]
    assert len(first) == -(-size // 10_000) and [t.part for t in first] == list(range(len(first)))
    assert first[0].byte_range is not None and first[0].byte_range[0] == 0
    ends = [t.byte_range for t in first if t.byte_range is not None]
    assert all(a[1] == b[0] for a, b in zip(ends, ends[1:], strict=False)) and ends[-1][1] == size
    assert {t.index for t in tasks} == {0, 1} and all(t.parts == len(first) for t in tasks)
    assert plan([path], size + 1, "auto", None) == [Task(path)]  # smaller than a chunk: whole


def test_what_is_read_whole(logs: list[Path]) -> None:
    """gzip, free text, flow logs and Zeek carry state across lines; network logs beside a proxy log."""
    root = logs[0].parent
    for name in ("r53-2.log.gz", "apt.log", "flow.log", "zeek-dns.log"):
        assert plan([str(root / name)], 100, "auto", None) == [Task(str(root / name))]
    both = [str(root / "access.log"), str(root / "r53.log")]
    tasks = plan(both, 3000, "auto", None)
    assert {t.path for t in tasks if t.byte_range is not None} == {both[0]}
    assert [t for t in tasks if t.path == both[1]] == [Task(both[1], None, 1)]
    assert "squid" in RANGE_FORMATS and "vpc-flow" not in RANGE_FORMATS


def test_directories_and_patterns_expand(tmp_path: Path) -> None:
    for name in ("b/2.log", "b/deep/3.log", "a.log", ".hidden.log", "b/.git/x.log", "c.gz"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("pypi.org\n")
    root = str(tmp_path)
    assert expand([root]) == [f"{root}/a.log", f"{root}/b/2.log", f"{root}/b/deep/3.log", f"{root}/c.gz"]
    assert expand([f"{root}/**/*.log"]) == [f"{root}/a.log", f"{root}/b/2.log", f"{root}/b/deep/3.log"]
    assert expand([f"{root}/b"]) == expand([f"{root}/b*"]) == [f"{root}/b/2.log", f"{root}/b/deep/3.log"]
    assert expand([f"{root}/none-*.log", f"{root}/a.log"]) == [f"{root}/none-*.log", f"{root}/a.log"]
    assert expand([f"{root}/a.log", f"{root}/a.log"]) == [f"{root}/a.log"] * 2  # read twice, as locally


def test_stdin_and_s3_options_are_refused() -> None:
    with pytest.raises(ConfigError, match="cannot read stdin"):
        expand(["-"])
    with pytest.raises(ConfigError, match="without \\?options"):
        expand(["s3://bucket/AWSLogs/?since=2d"])


def test_sizes() -> None:
    assert [parse_size(s) for s in ("64MiB", "64M", "1.5k", "2 GB", "100")] == [
        64 << 20, 64 << 20, 1536, 2 << 30, 100]  # fmt: skip
    for bad in ("", "0", "-1M", "12 parsecs", "M"):
        with pytest.raises(ConfigError, match="cannot read the size"):
            parse_size(bad)


def test_a_failed_listing_keeps_its_place(logs: list[Path]) -> None:
    from egressmap.engine.tasks import Collect

    collect = Collect()
    entries: Sequence[str | InputReport] = [str(logs[1]), InputReport("s3://gone", error="x"), str(logs[0])]
    for task in reversed(plan([str(logs[1]), str(logs[0])], 1 << 30, "auto", None)):
        collect.add(task, run_task(task))
    assert [r.origin for r in collect.result(entries).report.inputs] == [
        str(logs[1]),
        "s3://gone",
        str(logs[0]),
    ]
