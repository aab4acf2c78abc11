"""The ``dask`` engine: inputs read as tasks on a Dask cluster, their evidence merged here.

The sources are expanded and planned (:mod:`.inputs`: one task per input, one per byte range of a big plain
file); each task runs :func:`.tasks.run_task` on a worker (egressmap's own parsers, into an
:class:`~egressmap.evidence.Evidence`, which pickles); this process joins the ranges of each file in file order
(:func:`~egressmap.evidence.join_ranges`) and merges everything (:func:`~egressmap.evidence.merge`) as the
tasks finish. Merging does not depend on the order, so the output is byte-identical to a local run's.

The cluster is an existing scheduler (``--scheduler``), Slurm jobs (``--slurm``, :mod:`.slurm`) or, by default,
a LocalCluster of one single-threaded worker process per CPU. A task that fails stops the run with one line
naming its input and byte range; Ctrl-C cancels the tasks; either way the client and any cluster started here
are closed, which ends their worker processes (or Slurm jobs).
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any, ClassVar

from ..errors import ConfigError, EgressmapError
from ..evidence import Evidence
from ..sources import SourceOptions
from ..sources.parallel import usable_cpus
from .inputs import Task, expand, plan
from .interface import Engine, EngineSettings
from .slurm import slurm_cluster
from .tasks import Collect, run_task

log = logging.getLogger("egressmap")
INSTALL = "pip install 'egressmap[dask]'"
POLL_SECONDS = 0.1
"""How often the wait for finished tasks looks for a Ctrl-C that was swallowed."""
WORKER_SETUP = "egressmap.engine.worker"
"""The module each local worker process runs as it starts (:mod:`.worker`)."""


class DaskEngine(Engine):
    """Reads inputs as tasks on a Dask cluster."""

    name: ClassVar[str] = "dask"

    def evidence(
        self,
        sources: Sequence[str],
        wanted: str,
        options: SourceOptions | None,
        settings: EngineSettings,
        warm_up: Callable[[], None] | None = None,
    ) -> Evidence:
        """Expand and plan the sources, run the tasks, merge what they found (not finished)."""
        _need_dask()
        entries = expand(sources)
        paths = [e for e in entries if isinstance(e, str)]
        tasks = plan(paths, settings.chunk, wanted, options)
        collect = Collect()
        if tasks:
            if settings.tell is not None:
                ranged = sum(1 for t in tasks if t.byte_range is not None)
                cut = f" ({ranged} of them byte ranges of big files)" if ranged else ""
                settings.tell(f"dask: {len(tasks)} task(s) for {len(paths)} input(s){cut}")
            with closing(self.run(tasks, wanted, options, settings, warm_up)) as finished:  # closed on Ctrl-C
                for task, part in finished:
                    collect.add(task, part)
        return collect.result(entries)

    def run(
        self,
        tasks: list[Task],
        wanted: str,
        options: SourceOptions | None,
        settings: EngineSettings,
        warm_up: Callable[[], None] | None,
    ) -> Generator[tuple[Task, Evidence], None, None]:
        """Each task with its evidence, as the cluster finishes them."""
        with connect(settings) as client:
            yield from _run(client, tasks, wanted, options, settings.progress, warm_up)


def _need_dask() -> None:
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise ConfigError(f"--engine dask needs Dask, which is not installed: {INSTALL}") from exc


@contextmanager
def connect(settings: EngineSettings) -> Iterator[Any]:
    """A client of the cluster the settings name; on the way out it is closed, with any cluster started here."""
    from distributed import Client, LocalCluster

    cluster: Any = None
    client: Any = None
    level = _quiet_dask()
    try:
        if settings.scheduler:
            client = _client_of(settings.scheduler, settings.connect_timeout)
        elif settings.slurm is not None:
            cluster = slurm_cluster(settings.slurm)
            cluster.scale(jobs=settings.slurm.jobs)
            if settings.tell is not None:
                settings.tell(f"dask: {settings.slurm.jobs} Slurm job(s) submitted; tasks start as they run")
            client = Client(cluster)
        else:
            with _ctrl_c_deferred():
                cluster = LocalCluster(
                    n_workers=settings.workers or usable_cpus(),
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    silence_logs=level,  # in the workers (a heartbeat meeting the closing scheduler logs an error)
                    preload=[WORKER_SETUP],  # Ctrl-C at the terminal: left to this process
                )
                client = Client(cluster)
        yield client
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


@contextmanager
def _ctrl_c_deferred() -> Iterator[None]:
    """A Ctrl-C while the local cluster starts stops the run once it has, so that there is a cluster to close.

    (A worker process still starting then may print its own traceback; once started, workers leave Ctrl-C to
    this process: :mod:`.worker`.)
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pressed: list[int] = []
    before = signal.signal(signal.SIGINT, lambda signum, frame: pressed.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)
        if pressed:
            raise KeyboardInterrupt


def _quiet_dask() -> int:
    """Dask's own log lines only with -vv (its scheduler runs in this process, logging at INFO); the level."""
    level = logging.INFO if log.getEffectiveLevel() <= logging.DEBUG else logging.CRITICAL
    for name in ("distributed", "dask_jobqueue"):
        logging.getLogger(name).setLevel(level)
    return level


def _client_of(address: str, timeout: float) -> Any:
    from distributed import Client

    try:
        return Client(address, timeout=timeout)
    except (OSError, ValueError, TypeError) as exc:  # TimeoutError is an OSError
        raise ConfigError(
            f"--scheduler {address}: cannot connect within {timeout:g} s ({type(exc).__name__}); "
            "is the scheduler running there, and is the address right (tcp://HOST:PORT)?"
        ) from exc


def _run(
    client: Any,
    tasks: list[Task],
    wanted: str,
    options: SourceOptions | None,
    progress: bool,
    warm_up: Callable[[], None] | None,
) -> Generator[tuple[Task, Evidence], None, None]:
    from distributed import as_completed

    futures = [client.submit(run_task, task, wanted, options, pure=False) for task in tasks]
    by_key = {f.key: t for f, t in zip(futures, tasks, strict=True)}
    try:
        with _ctrl_c_noted() as pressed, _bar(len(tasks), progress) as advance:
            if warm_up is not None:
                warm_up()  # classification data for the end of the run, loaded while the workers read
            finished = as_completed(futures)
            while not finished.is_empty():
                if pressed:
                    raise KeyboardInterrupt
                batch = finished.next_batch(block=False)
                if not batch:
                    time.sleep(POLL_SECONDS)
                for future in batch:
                    task = by_key[future.key]
                    try:
                        part = future.result()
                    except Exception as exc:
                        raise EgressmapError(
                            f"the task reading {task.describe()} failed: {_why(exc)}"
                        ) from None
                    future.release()
                    yield task, part
                    advance()
    except BaseException:  # a failed task, Ctrl-C: nothing more is to run
        try:
            client.cancel(futures, force=True)
        except Exception:  # the cluster may be gone already; closing it follows anyway
            log.debug("cancelling the tasks failed", exc_info=True)
        raise


@contextmanager
def _ctrl_c_noted() -> Iterator[list[int]]:
    """While the tasks run, Ctrl-C is noted in the list yielded, and the waiting loop raises KeyboardInterrupt.

    Python's own handler raises it wherever the main thread is, and code run from a garbage-collector callback
    (Dask has one) swallows it with a traceback: the run would go on.
    """
    pressed: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return

    def noted(signum: int, frame: object) -> None:
        pressed.append(signum)

    before = signal.signal(signal.SIGINT, noted)
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, before)


def _why(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@contextmanager
def _bar(total: int, enabled: bool) -> Iterator[Callable[[], None]]:
    """A progress bar of tasks done on stderr (when enabled); yields what to call as each one is."""
    if not enabled:
        yield lambda: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("dask tasks"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        transient=True,
        console=Console(file=sys.stderr),
    ) as bar:
        job = bar.add_task("tasks", total=total)
        yield lambda: bar.advance(job)


__all__ = ["DaskEngine", "connect"]
