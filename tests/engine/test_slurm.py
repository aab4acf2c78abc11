"""``--slurm``: the job script dask-jobqueue writes for the flags (no Slurm needed), and flags refused clearly."""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

from egressmap.cli import main, parser
from egressmap.cli.engine_flags import engine_settings
from egressmap.engine import SlurmOptions
from egressmap.engine.slurm import slurm_cluster
from egressmap.errors import ConfigError

pytest.importorskip("dask_jobqueue")


def _args(*flags: str) -> argparse.Namespace:
    return parser().parse_args(["build", "--engine", "dask", *flags, "x.log"])


def test_the_job_script_carries_the_flags_as_given() -> None:
    """Queue, account, walltime, memory, cores and extra directives, from the command line to #SBATCH lines."""
    settings = engine_settings(
        _args(
            "--slurm",
            "--slurm-queue",
            "compute",
            "--slurm-account",
            "proj42",
            "--slurm-walltime",
            "02:30:00",
            "--slurm-memory",
            "8GB",
            "--slurm-cores",
            "4",
            "--jobs",
            "3",
            "--slurm-directive=--qos=low",
            "--slurm-directive=#SBATCH --constraint=skylake",
            "--slurm-interface",
            "lo",
        )  # fmt: skip
    )
    assert settings.slurm is not None and settings.slurm.jobs == 3
    cluster = slurm_cluster(settings.slurm)  # a scheduler on loopback; no job is submitted
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    lines = script.splitlines()
    for line in ("#SBATCH -p compute", "#SBATCH -A proj42", "#SBATCH -t 02:30:00", "#SBATCH --mem=8G",
                 "#SBATCH --cpus-per-task=4", "#SBATCH --qos=low", "#SBATCH --constraint=skylake"):  # fmt: skip
        assert line in lines, script
    worker = next(line for line in lines if "distributed.cli.dask_worker" in line)
    assert "--nworkers 4" in worker and "--nthreads 1" in worker and "--interface lo" in worker


def test_without_memory_anywhere_the_cluster_is_refused_clearly() -> None:
    with pytest.raises(ConfigError, match="give --slurm-memory"):
        slurm_cluster(SlurmOptions(cores=2, interface="lo"))


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--slurm-walltime", "2h"], "--slurm-walltime '2h': give HH:MM:SS (or D-HH:MM:SS)"),
        (["--slurm-walltime", "02:61:00"], "--slurm-walltime '02:61:00'"),
        (["--slurm-memory", "lots"], "--slurm-memory 'lots': give a size such as 4GB"),
        (["--slurm-directive=qos=low"], "give an sbatch option, e.g. --slurm-directive=--qos=low"),
        (["--jobs", "0"], "--jobs 0: give 1 or more"),
        (["--slurm-cores", "0"], "--slurm-cores 0: give 1 or more"),
    ],
)
def test_bad_slurm_values_exit_1_with_one_line(flags: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "x.log").write_text("pypi.org\n")
    code, err = _main("build", "--engine", "dask", "--slurm", *flags, str(tmp_path / "x.log"))
    assert code == 1 and message in err and "Traceback" not in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--slurm-queue", "q"], "--slurm-queue is an option of --engine dask"),
        (["--engine", "dask", "--slurm-queue", "q"], "--slurm-queue is an option of --slurm"),
        (
            ["--engine", "dask", "--slurm", "--scheduler", "tcp://127.0.0.1:1"],
            "--scheduler and --slurm: give one",
        ),
        (["--engine", "dask", "--slurm", "--workers", "2"], "not with --scheduler or --slurm"),
        (["--scheduler", "tcp://127.0.0.1:1"], "--scheduler is an option of --engine dask"),
    ],
)
def test_flags_that_do_not_go_together(flags: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "x.log").write_text("pypi.org\n")
    code, err = _main("scan", *flags, str(tmp_path / "x.log"))
    assert code == 1 and message in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("flag", "meant"),
    [
        ("--slurm-acount", "--slurm-account"),
        ("--slurm-waltime=01:00:00", "--slurm-walltime"),
        ("--slurm-qeue", "--slurm-queue"),
    ],
)
def test_a_misspelt_slurm_flag_names_the_one_meant(flag: str, meant: str, tmp_path: Path) -> None:
    """Exit 1 with one line naming the flag meant (a Slurm typo costs a failed job later)."""
    (tmp_path / "x.log").write_text("pypi.org\n")
    args = ["build", "--engine", "dask", "--slurm", *flag.split(" "), "proj42", str(tmp_path / "x.log")]
    code, err = _main(*args)
    assert code == 1 and f"(did you mean {meant}?)" in err and "Traceback" not in err and err.count("\n") == 1


def test_another_unknown_flag_stays_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse refuses it (exit 2, usage), naming the flag."""
    with pytest.raises(SystemExit) as exit_:
        main(["build", "--engine", "dask", "--sluggish", "x.log"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --sluggish" in err and "Traceback" not in err


def _main(*args: str) -> tuple[int, str]:
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        code = main(list(args))
    return code, err.getvalue()
