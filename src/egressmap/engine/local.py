"""The ``local`` engine: every input read in this process, one after another (the default)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar

from ..evidence import Evidence, gather
from ..sources import SourceOptions
from .interface import Engine, EngineSettings


class LocalEngine(Engine):
    """Reads the sources as given (the shell expands patterns), in this process."""

    name: ClassVar[str] = "local"

    def evidence(
        self,
        sources: Sequence[str],
        wanted: str,
        options: SourceOptions | None,
        settings: EngineSettings,
        warm_up: Callable[[], None] | None = None,
    ) -> Evidence:
        """The evidence of the sources, read here."""
        return gather(sources, wanted, options, warm_up=warm_up)


__all__ = ["LocalEngine"]
