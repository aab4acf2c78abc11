"""Engines: where the inputs are read. An explicit, read-only registry.

``local`` (the default) reads them in this process; ``dask`` reads them as tasks on a Dask cluster (a
LocalCluster, an existing scheduler, or one started on Slurm through dask-jobqueue) and merges what the tasks
found. Either gives an :class:`~egressmap.evidence.Evidence`, which ``build`` and ``scan`` finish and write the
same way, so the output does not depend on the engine. The ``dask`` engine imports Dask only when it runs: it
is the optional extra ``egressmap[dask]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .dask import DaskEngine
from .interface import CONNECT_TIMEOUT, Engine, EngineSettings
from .local import LocalEngine
from .slurm import SlurmOptions

ENGINES: Mapping[str, type[Engine]] = MappingProxyType({cls.name: cls for cls in (LocalEngine, DaskEngine)})
"""Engine name -> class (``--engine``)."""

__all__ = [
    "CONNECT_TIMEOUT",
    "ENGINES",
    "DaskEngine",
    "Engine",
    "EngineSettings",
    "LocalEngine",
    "SlurmOptions",
]
