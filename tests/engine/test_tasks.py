"""A task's evidence renamed to its object's URI; the worker set-up; the progress bar."""

from __future__ import annotations

import io
import signal
from contextlib import redirect_stderr
from pathlib import Path

from egressmap.engine.dask import _bar
from egressmap.engine.inputs import Task
from egressmap.engine.tasks import renamed, run_task
from egressmap.engine.worker import dask_setup
from egressmap.evidence import finish, gather


def test_renamed_evidence_names_the_object_everywhere(tmp_path: Path) -> None:
    path = tmp_path / "hosts.txt"
    path.write_text("pypi.org\nfiles.pythonhosted.org:443\nbad line here\n")
    uri = "s3://bucket/AWSLogs/hosts.txt"
    evidence = renamed(run_task(Task(str(path))), str(path), uri)
    (report,) = evidence.report.inputs
    assert report.origin == uri and report.problems == {
        ("malformed", "more than one token on a list line"): [3]
    }
    table, _ = finish(evidence)
    dest = table[("pypi.org", 443)]
    assert dest.sources == [f"{uri}:1"] and all(str(tmp_path) not in r for r in dest.reasons)
    assert any(uri in r for r in dest.reasons)
    assert renamed(gather([str(path)]), "elsewhere", uri).report.inputs[0].origin == str(path)


def test_a_worker_leaves_ctrl_c_to_the_run() -> None:
    before = signal.getsignal(signal.SIGINT)
    try:
        dask_setup(object())
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_the_progress_bar_counts_tasks() -> None:
    err = io.StringIO()
    with redirect_stderr(err), _bar(3, True) as advance:
        for _ in range(3):
            advance()
    with _bar(3, False) as advance:
        advance()
