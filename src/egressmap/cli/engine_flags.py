"""``--engine`` and the Dask cluster's flags, shared by ``build`` and ``scan`` (see docs/scale.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ..engine import ENGINES, EngineSettings, SlurmOptions
from ..engine.inputs import DEFAULT_CHUNK, parse_size
from ..errors import ConfigError
from ..evidence import Evidence
from ..sources import SourceOptions

DASK_ONLY = ("chunk_size", "workers", "scheduler", "slurm")
SLURM_ONLY = ("slurm_queue", "slurm_account", "slurm_walltime", "slurm_memory", "slurm_cores",
              "slurm_interface", "jobs", "slurm_directive")  # fmt: skip
SLURM_FLAGS = ("--slurm", *(f"--{n.replace('_', '-')}" for n in SLURM_ONLY if n.startswith("slurm_")))
"""The ``--slurm…`` flags, for the message that names the one a misspelt flag meant."""


def add_engine(p: argparse.ArgumentParser) -> None:
    """The engine flags."""
    g = p.add_argument_group("where the inputs are read (see docs/scale.md)")
    g.add_argument(
        "--engine",
        choices=sorted(ENGINES),
        default="local",
        help="local: in this process (default); dask: as tasks on a Dask cluster (pip install 'egressmap[dask]'), "
        "directories, quoted patterns and s3://BUCKET/PREFIX expanded",
    )
    g.add_argument(
        "--chunk-size",
        metavar="SIZE",
        help="dask: read plain files of at least SIZE in byte ranges of about SIZE (default 64MiB)",
    )
    g.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="dask: worker processes of the local cluster (default: one per CPU)",
    )
    g.add_argument(
        "--scheduler", metavar="ADDRESS", help="dask: use this running scheduler (tcp://HOST:8786)"
    )
    g.add_argument(
        "--slurm", action="store_true", help="dask: start the workers as Slurm jobs (dask-jobqueue)"
    )
    g.add_argument("--slurm-queue", metavar="PARTITION", help="slurm: the partition (#SBATCH -p)")
    g.add_argument("--slurm-account", metavar="ACCOUNT", help="slurm: the account to charge (#SBATCH -A)")
    g.add_argument("--slurm-walltime", metavar="HH:MM:SS", help="slurm: each job's time limit (#SBATCH -t)")
    g.add_argument(
        "--slurm-memory", metavar="SIZE", help="slurm: each job's memory, e.g. 16GB (#SBATCH --mem)"
    )
    g.add_argument("--slurm-cores", type=int, metavar="N", help="slurm: CPUs per job, a worker process each")
    g.add_argument(
        "--slurm-interface", metavar="NAME", help="slurm: network interface to the scheduler (ib0)"
    )
    g.add_argument("--jobs", type=int, metavar="N", help="slurm: how many jobs to start (default 1)")
    g.add_argument(
        "--slurm-directive",
        action="append",
        metavar="OPTION",
        help="slurm: one more #SBATCH line, given with = (--slurm-directive=--qos=low; repeatable)",
    )


def engine_settings(args: argparse.Namespace) -> EngineSettings:
    """The settings the flags give; ConfigError for flags that do not go together."""
    engine = getattr(args, "engine", "local")
    given = [name for name in (*DASK_ONLY, *SLURM_ONLY) if getattr(args, name, None) not in (None, False)]
    if engine != "dask" and given:
        raise ConfigError(f"--{given[0].replace('_', '-')} is an option of --engine dask")
    if engine != "dask":
        return EngineSettings(engine)
    slurm_given = [name for name in SLURM_ONLY if name in given]
    if slurm_given and not args.slurm:
        raise ConfigError(f"--{slurm_given[0].replace('_', '-')} is an option of --slurm")
    if args.scheduler and args.slurm:
        raise ConfigError(
            "--scheduler and --slurm: give one (a running scheduler, or Slurm jobs to start one)"
        )
    if args.workers is not None and (args.scheduler or args.slurm or args.workers < 1):
        raise ConfigError(
            "--workers N (1 or more) sets the local cluster's size: not with --scheduler or --slurm"
        )
    slurm = None
    if args.slurm:
        slurm = SlurmOptions(
            queue=args.slurm_queue,
            account=args.slurm_account,
            walltime=args.slurm_walltime,
            memory=args.slurm_memory,
            cores=args.slurm_cores,
            jobs=1 if args.jobs is None else args.jobs,
            directives=tuple(args.slurm_directive or ()),
            interface=args.slurm_interface,
        )
    return EngineSettings(
        engine,
        scheduler=args.scheduler,
        workers=args.workers,
        slurm=slurm,
        chunk=DEFAULT_CHUNK if args.chunk_size is None else parse_size(args.chunk_size),
        progress=sys.stderr.isatty() and not args.quiet,
        tell=None if args.quiet else _say,
    )


def _say(line: str) -> None:
    print(f"egressmap: {line}", file=sys.stderr)


def engine_evidence(
    settings: EngineSettings,
    logs: Sequence[str],
    wanted: str,
    options: SourceOptions,
    warm_up: Callable[[], None],
) -> Evidence:
    """The evidence of the logs, read by the engine the settings name."""
    return ENGINES[settings.engine]().evidence(logs, wanted, options, settings, warm_up)


__all__ = ["add_engine", "engine_evidence", "engine_settings"]
