"""The interface every evidence source implements, and its small helpers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, BinaryIO, ClassVar, Literal, Protocol

from ..errors import InputError
from ..model import DnsAnswer, Observation, Skipped

if TYPE_CHECKING:
    from .reader import InputStream

Item = Observation | Skipped | DnsAnswer
Seen = Observation | Skipped
"""What one record gives: an observation, or why it gives none."""


class Source(ABC):
    """An evidence format: sniffs the first lines of an input and turns lines into observations.

    A bad line is data (a :class:`~egressmap.model.Skipped`), never an exception.
    """

    name: ClassVar[str]
    """The name users give to ``--format``."""
    description: ClassVar[str]
    blind_spots: ClassVar[tuple[str, ...]] = ()
    """What this kind of evidence cannot see, stated by ``scan`` under its inputs (none for proxy logs: what
    went around a proxy is the bypass finding's to say)."""
    role: ClassVar[Literal["proxy", "network", "other"]] = "other"
    """``proxy`` for a proxy's access log, ``network`` for evidence that sees traffic whether or not it used the
    proxy (DNS, firewall and flow logs, captures): the two sides of the bypass finding (:mod:`egressmap.bypass`)."""
    answers: bool = False
    """Set on an instance when another input needs DNS answers (a flow log to name): a source that sees answers
    then yields them as :class:`~egressmap.model.DnsAnswer` items beside its observations."""

    @abstractmethod
    def sniff(self, head: Sequence[str]) -> float:
        """Confidence in [0, 1] that these lines are this format; negative means 'not mine'."""

    @abstractmethod
    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Yield observations and skipped lines; line numbers count from 1 over ``lines``."""

    def read_whole(
        self, stream: InputStream, meanwhile: Callable[[], None] | None = None
    ) -> Iterator[Item] | None:
        """Read a whole input another way than :meth:`read` (a big file in parts); None: read its lines.

        ``meanwhile`` may run while another process reads part of the input. What is yielded is what
        :meth:`read` would yield for the input's lines; the stream's ``lines_read`` and ``problems`` are set.
        """
        return None


class BinaryReading(Protocol):
    """One pass over a binary input: iterate it for items; ``records`` then says how many records it held."""

    def __iter__(self) -> Iterator[Item]: ...

    @property
    def records(self) -> int:
        """Records (packets) read so far: what a report counts in place of lines."""


class BinarySource(Source):
    """A source that reads a binary format from its bytes (which the input stream recognises by its magic)."""

    binary_formats: ClassVar[tuple[str, ...]]
    """What :attr:`~.reader.InputStream.capture` names that this source reads."""

    @abstractmethod
    def read_binary(self, binary: BinaryIO, origin: str) -> BinaryReading:
        """Read the input's (decompressed) bytes."""


def choose_binary(kind: str, sources: Mapping[str, Source], wanted: str, origin: str) -> BinarySource:
    """The source for a binary input of this kind; ``--format`` naming another source is an error."""
    for name, source in sources.items():
        if isinstance(source, BinarySource) and kind in source.binary_formats and wanted in ("auto", name):
            return source
    raise InputError(f"{origin}: a {kind} capture, not --format {wanted}; give --format auto for it")


def match_ratio(head: Sequence[str], ok: object) -> float:
    """Fraction of non-blank, non-comment head lines for which ``ok(line)`` is true (-1 when none match)."""
    assert callable(ok)
    lines = [line for line in head if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return -1.0
    hits = sum(1 for line in lines if ok(line))
    return hits / len(lines) if hits else -1.0
