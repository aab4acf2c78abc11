"""A big Route 53 Resolver log read in two processes, each counting the lines of its part of the file.

The file is cut at a byte offset (:func:`.parallel.split_work`): a forked child counts the lines that begin in
the second part while this process loads what it needs next (``meanwhile``) and counts the first. Each part goes
through :meth:`.route53_resolver.ResolverLog.count` into a tally of its own; the child's comes back through a
pipe and is joined after this one's (:meth:`.obs_tally.ObservationTally.absorb`), its line numbers shifted by the
first part's lines. The result is what one pass over the file gives: the same observations, skipped lines and
reader problems, with the same line numbers (``tests/sources/test_resolver_parts.py``).

Only a plain file of at least :data:`.parallel.PARALLEL_MIN_BYTES` is split, and not when DNS answers are
wanted (a flow log to name: each line gives answers, too many to pass back). Anything else, or a child that
fails, leaves the input to be read line by line.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, BinaryIO

from ..model import Skipped
from .interface import Item
from .obs_tally import ObservationTally
from .parallel import split_work

if TYPE_CHECKING:
    from .reader import InputStream
    from .route53_resolver import ResolverLog

CHILD_SHARE = 0.52
"""The forked child's share of the file: this process also runs ``meanwhile`` (classification data)."""


@dataclass
class Part:
    """One part of a log, counted: line numbers count from the part's first line."""

    tally: ObservationTally
    skipped: list[Skipped]
    """Bad and dropped lines, in line order."""
    problems: list[Skipped]
    """What the reader found wrong with lines (NUL bytes, over-long lines, invalid UTF-8)."""
    lines: int

    def join(self, later: Part) -> None:
        """Fold in the next part of the same file."""
        offset = self.lines
        self.skipped.extend(replace(s, lineno=s.lineno + offset) for s in later.skipped)
        self.problems.extend(replace(p, lineno=p.lineno + offset) for p in later.problems)
        self.tally.absorb(later.tally, offset)
        self.lines += later.lines


def count_part(source: ResolverLog, stream: InputStream, start: int, end: int) -> Part:
    """Count the lines of the stream's file that begin at a byte offset in [start, end)."""
    tally = ObservationTally(stream.origin)
    items = source.count(stream.range_lines(start, end), stream.origin, tally)
    skipped = [item for item in items if isinstance(item, Skipped)]
    return Part(tally, skipped, list(stream.problems), stream.lines_read)


def read_in_parts(
    source: ResolverLog, stream: InputStream, meanwhile: Callable[[], None] | None
) -> Iterator[Item] | None:
    """The items of a big plain file read in two processes; None when it is to be read line by line."""
    if not stream.plain_file or source.answers:
        return None
    problems = list(stream.problems)  # a part read here replaces them: they are put back if the child fails
    parts = split_work(
        stream.path, partial(count_part, source, stream), CHILD_SHARE, meanwhile, send=_send, receive=_receive
    )
    if parts is None:
        stream.problems[:] = problems
        return None
    whole, later = parts
    whole.join(later)
    stream.problems[:] = whole.problems
    stream.lines_read = whole.lines
    return _items(whole)


def _send(part: Part, out: BinaryIO) -> None:
    """The child's part down the pipe: its lists in one pickle, its tally in chunks (a million rows)."""
    pickle.dump((part.skipped, part.problems, part.lines), out, pickle.HIGHEST_PROTOCOL)
    part.tally.send(out)


def _receive(inp: BinaryIO) -> Part:
    skipped, problems, lines = pickle.load(inp)  # noqa: S301 - our own forked reader's output
    return Part(ObservationTally.receive(inp), skipped, problems, lines)


def _items(part: Part) -> Iterator[Item]:
    yield from part.skipped
    yield from part.tally.observations()
