"""What an engine is: :class:`Engine` reads inputs into evidence, as :class:`EngineSettings` say."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from ..evidence import Evidence
from ..sources import SourceOptions
from .inputs import DEFAULT_CHUNK
from .slurm import SlurmOptions

CONNECT_TIMEOUT = 10.0
"""Seconds to wait for an existing scheduler (``--scheduler``) to answer."""


@dataclass(frozen=True)
class EngineSettings:
    """How to read the inputs: the engine and, for ``dask``, the cluster."""

    engine: str = "local"
    scheduler: str | None = None
    """Address of an existing Dask scheduler (``tcp://host:8786``)."""
    workers: int | None = None
    """Worker processes of the LocalCluster (default: one per CPU)."""
    slurm: SlurmOptions | None = None
    """Start the cluster on Slurm with these options."""
    chunk: int = DEFAULT_CHUNK
    """Plain files of at least this many bytes are read in byte ranges of about this size."""
    connect_timeout: float = CONNECT_TIMEOUT
    progress: bool = False
    """Draw a progress bar on stderr (the CLI sets it on a terminal)."""
    tell: Callable[[str], None] | None = field(default=None, compare=False)
    """Where to say what the engine does (tasks planned, the cluster's dashboard); None: say nothing."""


class Engine(ABC):
    """Reads inputs into evidence."""

    name: ClassVar[str]

    @abstractmethod
    def evidence(
        self,
        sources: Sequence[str],
        wanted: str,
        options: SourceOptions | None,
        settings: EngineSettings,
        warm_up: Callable[[], None] | None = None,
    ) -> Evidence:
        """The evidence of every input the sources stand for (not finished: see :func:`.evidence.finish`)."""
