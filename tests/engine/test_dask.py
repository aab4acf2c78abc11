"""``--engine dask`` on a real LocalCluster: the same bytes as one process, failures and Ctrl-C handled cleanly."""

from __future__ import annotations

import errno
import io
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

import egressmap
from egressmap.cli import main
from egressmap.engine import dask as dask_engine
from egressmap.engine.inputs import Task
from egressmap.evidence import Evidence
from egressmap.sources import SourceOptions

from .logs import write_logs

pytest.importorskip("distributed")
SRC = str(Path(egressmap.__file__).resolve().parents[1])
PATIENCE = 300.0
"""Seconds a step may take before the test gives up (a bound against hanging, not a timing assertion)."""


def _run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _engine_lines_out(err: str) -> str:
    return "".join(line for line in err.splitlines(keepends=True) if not line.startswith("egressmap: dask:"))


def _descendants(pid: int) -> set[int]:
    """Every process under ``pid`` (psutil when installed, else /proc)."""
    try:
        import psutil

        return {p.pid for p in psutil.Process(pid).children(recursive=True)}
    except ImportError:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rpartition(")")[2].split()[1])
        found, todo = set(), [pid]
        while todo:
            kids = [p for p, parent in parents.items() if parent == todo.pop()]
            found.update(kids)
            todo.extend(kids)
        return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


class _Watch(threading.Thread):
    """Counts this process's worker processes while a run goes on."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.most = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            spawned = 0
            for pid in _descendants(os.getpid()):
                try:
                    spawned += "multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_text()
                except OSError:
                    pass
            self.most = max(self.most, spawned)


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    return write_logs(tmp_path_factory.mktemp("dask") / "logs", lines=3000)


def test_two_worker_processes_build_what_one_process_builds(logs: list[Path]) -> None:
    """Every kind of log from a directory, the big plain ones in byte ranges: the same JSON, byte for byte."""
    code, local, local_err = _run("build", "--to", "json", *map(str, logs))
    assert code == 0
    watch = _Watch()
    watch.start()
    try:
        code, dask, dask_err = _run("build", "--to", "json", "--engine", "dask", "--workers", "2", "--chunk-size",
                                    "32k", str(logs[0].parent))  # fmt: skip
    finally:
        watch.done.set()
        watch.join()
    assert code == 0, dask_err
    assert dask == local
    assert _engine_lines_out(dask_err) == local_err
    assert "byte ranges of big files" in dask_err
    assert watch.most >= 2  # the tasks ran in worker processes


def test_scan_and_a_summary_made_on_the_cluster(logs: list[Path], tmp_path: Path) -> None:
    """scan --json reads the same; scan --summary on the cluster builds the same policy as one process."""
    code, local, _ = _run("scan", "--json", *map(str, logs))
    code, dask, err = _run("scan", "--json", "--engine", "dask", "--workers", "2", str(logs[0].parent))
    assert code == 0 and dask == local, err
    summary = str(tmp_path / "all.sum")
    code, _, err = _run("scan", "--summary", summary, "--engine", "dask", "--workers", "2", "--chunk-size", "32k",
                        str(logs[0].parent))  # fmt: skip
    assert code == 0, err
    assert _run("build", "--to", "json", summary)[1] == _run("build", "--to", "json", *map(str, logs))[1]


def _boom(task: Task, wanted: str, options: SourceOptions | None) -> Evidence:
    raise RuntimeError("disk on fire\nsecond line")


def test_a_failed_task_names_its_input_and_byte_range(
    logs: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from distributed import LocalCluster

    monkeypatch.setattr(dask_engine, "run_task", _boom)
    big = str(logs[0].parent / "access.log")
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        code, out, err = _run("build", "--engine", "dask", "--scheduler", cluster.scheduler_address,
                              "--chunk-size", "64k", big)  # fmt: skip
    assert code == 1 and out == ""
    (line,) = [x for x in err.splitlines() if not x.startswith("egressmap: dask:")]
    assert line.startswith(f"egressmap: error: the task reading {big} (bytes ")
    assert line.endswith("failed: RuntimeError: disk on fire") and ", part " in line


def test_an_unreachable_scheduler(logs: list[Path]) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    code, out, err = _run("build", "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:{port}", str(logs[0]))
    assert code == 1 and out == "" and "Traceback" not in err
    assert f"egressmap: error: --scheduler tcp://127.0.0.1:{port}: cannot connect within 10 s" in err
    assert "is the scheduler running there" in err


def test_without_dask_installed(logs: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # (import distributed now raises ImportError)
    code, out, err = _run("build", "--engine", "dask", str(logs[0]))
    assert (code, out) == (1, "")
    assert err == (
        "egressmap: error: --engine dask needs Dask, which is not installed: pip install 'egressmap[dask]'\n"
    )


@pytest.mark.parametrize("to", ["group", "process"])
def test_ctrl_c_cancels_and_leaves_no_worker_behind(tmp_path: Path, logs: list[Path], to: str) -> None:
    """A task blocks on a FIFO; SIGINT to the run (or to its whole group, as a terminal does): exit 130, clean."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    env = dict(os.environ, PYTHONPATH=SRC)
    run = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "egressmap",
            "build",
            "--engine",
            "dask",
            "--workers",
            "2",
            str(fifo),
            str(logs[0]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    writer = None
    try:
        give_up = time.monotonic() + PATIENCE
        while writer is None:  # a worker has opened the FIFO: the run is waiting on its tasks
            try:
                writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                assert exc.errno == errno.ENXIO and time.monotonic() < give_up and run.poll() is None
                time.sleep(0.2)
        workers = _descendants(run.pid)
        assert len(workers) >= 2
        if to == "group":
            os.killpg(run.pid, signal.SIGINT)
        else:
            os.kill(run.pid, signal.SIGINT)
        _, err = run.communicate(timeout=PATIENCE)
    finally:
        if run.poll() is None:
            run.kill()
        if writer is not None:
            os.close(writer)
    text = err.decode()
    assert run.returncode == 130 and "egressmap: interrupted" in text and "Traceback" not in text, text
    give_up = time.monotonic() + PATIENCE
    while any(_alive(pid) for pid in workers) and time.monotonic() < give_up:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)]
