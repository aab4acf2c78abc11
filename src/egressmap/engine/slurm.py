"""``--slurm``: a Dask cluster whose workers are Slurm jobs, started through dask-jobqueue's ``SLURMCluster``.

Each job asks for ``--slurm-cores`` CPUs and runs one single-threaded worker process per CPU (egressmap's parsers
are pure Python: processes, not threads, use the CPUs). What no flag gives is taken from dask's own jobqueue
configuration (``~/.config/dask/jobqueue.yaml``, section ``jobqueue.slurm``): the interface, the Python, the
prologue, a site's defaults. dask-jobqueue writes ``queue`` as ``#SBATCH -p``, ``account`` as ``-A``, ``walltime``
as ``-t``, ``memory`` as ``--mem`` and each extra directive as its own ``#SBATCH`` line (its ``SLURMCluster``
documentation and ``job_script()``).

>>> SlurmOptions(walltime="1-02:00:00", memory="16GB").walltime
'1-02:00:00'
>>> SlurmOptions(walltime="90")
Traceback (most recent call last):
egressmap.errors.ConfigError: --slurm-walltime '90': give HH:MM:SS (or D-HH:MM:SS), e.g. 02:00:00
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..errors import ConfigError

_WALLTIME = re.compile(r"^(\d+-)?\d{1,3}:[0-5]\d:[0-5]\d$")
_MEMORY = re.compile(r"^\d+(\.\d+)?\s*([kmgtp]i?)?b?$", re.IGNORECASE)
SBATCH = "#SBATCH"


@dataclass(frozen=True)
class SlurmOptions:
    """The Slurm jobs to start (None: dask's jobqueue configuration decides)."""

    queue: str | None = None
    """The partition (``#SBATCH -p``)."""
    account: str | None = None
    """The account to charge (``#SBATCH -A``)."""
    walltime: str | None = None
    """Each job's time limit, ``HH:MM:SS`` or ``D-HH:MM:SS`` (``#SBATCH -t``)."""
    memory: str | None = None
    """Each job's memory, e.g. ``16GB`` (``#SBATCH --mem``), shared by its worker processes."""
    cores: int | None = None
    """CPUs per job, one worker process each."""
    jobs: int = 1
    """Jobs to start."""
    directives: tuple[str, ...] = ()
    """Extra ``#SBATCH`` lines, e.g. ``--qos=low`` or ``--mem-per-cpu=4G`` for a site that refuses ``--mem``."""
    interface: str | None = None
    """The network interface the workers reach the scheduler on (e.g. ``ib0``)."""

    def __post_init__(self) -> None:
        if self.walltime is not None and not _WALLTIME.match(self.walltime):
            raise ConfigError(
                f"--slurm-walltime {self.walltime!r}: give HH:MM:SS (or D-HH:MM:SS), e.g. 02:00:00"
            )
        if self.memory is not None and not _MEMORY.match(self.memory.strip()):
            raise ConfigError(f"--slurm-memory {self.memory!r}: give a size such as 4GB, 16G or 512MB")
        if self.cores is not None and self.cores < 1:
            raise ConfigError(f"--slurm-cores {self.cores}: give 1 or more")
        if self.jobs < 1:
            raise ConfigError(f"--jobs {self.jobs}: give 1 or more")
        for directive in self.directives:
            if not directive.removeprefix(SBATCH).strip().startswith("-"):
                raise ConfigError(
                    f"--slurm-directive {directive!r}: give an sbatch option, e.g. --slurm-directive=--qos=low"
                )

    def cluster_kwargs(self) -> dict[str, Any]:
        """The ``SLURMCluster`` arguments for what was given."""
        kwargs: dict[str, Any] = {
            "queue": self.queue,
            "account": self.account,
            "walltime": self.walltime,
            "memory": self.memory,
            "interface": self.interface,
        }
        if self.cores is not None:
            kwargs["cores"] = kwargs["processes"] = self.cores
        if self.directives:
            kwargs["job_extra_directives"] = [d.removeprefix(SBATCH).strip() for d in self.directives]
        return {key: value for key, value in kwargs.items() if value is not None}


def slurm_cluster(options: SlurmOptions, **extra: Any) -> Any:
    """A ``SLURMCluster`` for the options, no job started yet (``extra``: more ``SLURMCluster`` arguments)."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError as exc:
        raise ConfigError("--slurm needs dask-jobqueue: pip install 'egressmap[dask]'") from exc
    import dask

    kwargs = options.cluster_kwargs()
    if "cores" not in kwargs:
        cores = dask.config.get("jobqueue.slurm.cores", None)
        kwargs.update(cores=cores or 1, processes=cores or 1)
    if "memory" not in kwargs and not dask.config.get("jobqueue.slurm.memory", None):
        raise ConfigError("--slurm: how much memory each job gets: give --slurm-memory (e.g. 16GB), or set "
                          "jobqueue.slurm.memory in dask's configuration")  # fmt: skip
    try:
        return SLURMCluster(**kwargs, **extra)
    except ValueError as exc:  # a value dask-jobqueue refuses
        raise ConfigError(f"--slurm: {exc}") from exc


__all__ = ["SlurmOptions", "slurm_cluster"]
