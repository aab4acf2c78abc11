"""Run in each worker process of the local cluster as it starts (a Dask worker preload module).

A Ctrl-C at a terminal goes to every process of its group. The workers leave it to egressmap's own process,
which cancels the tasks and closes the cluster, and that ends them; a worker that took it itself would print a
traceback of its own.
"""

from __future__ import annotations

import signal


def dask_setup(worker: object) -> None:
    """Ignore SIGINT in this worker process (Dask calls this in the process's main thread)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


__all__ = ["dask_setup"]
