"""The interface every evidence source implements, and its small helpers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from ..model import Observation, Skipped

Item = Observation | Skipped


class Source(ABC):
    """An evidence format: sniffs the first lines of an input and turns lines into observations.

    A bad line is data (a :class:`~egressmap.model.Skipped`), never an exception.
    """

    name: ClassVar[str]
    """The name users give to ``--format``."""
    description: ClassVar[str]

    @abstractmethod
    def sniff(self, head: Sequence[str]) -> float:
        """Confidence in [0, 1] that these lines are this format; negative means 'not mine'."""

    @abstractmethod
    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Yield observations and skipped lines; line numbers count from 1 over ``lines``."""


def match_ratio(head: Sequence[str], ok: object) -> float:
    """Fraction of non-blank, non-comment head lines for which ``ok(line)`` is true (-1 when none match)."""
    assert callable(ok)
    lines = [line for line in head if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return -1.0
    hits = sum(1 for line in lines if ok(line))
    return hits / len(lines) if hits else -1.0
