r"""Inputs made of several objects one after another (``fetch s3`` files, ``s3://`` sources): where each begins.

Before each object's lines ``fetch s3`` writes one marker line, ``#egressmap-object s3://bucket/key``. An input
whose first line is such a marker is *segmented*: :meth:`Segments.blocks` turns every marker line into an empty
line (so no reader sees it and line numbers hold) and remembers where each object begins, and
:meth:`Segments.relabel` makes an observation's source name the object and the line in it
(``s3://bucket/key:12``) rather than the line of the whole input. Other inputs never come here.

>>> seg = Segments()
>>> seg.blank(b"#egressmap-object s3://b/k1\nx\n#egressmap-object s3://b/k2\ny", 1)
b'\nx\n\ny'
>>> seg.where(2), seg.where(4), seg.where(9)
('s3://b/k1:1', 's3://b/k2:1', 's3://b/k2:6')
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import replace

from ..model import Observation
from .interface import Item

MARKER = b"#egressmap-object "
"""What starts a marker line; the object's URI follows."""


class Segments:
    """Where each object of a segmented input begins (the line of its marker)."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.labels: list[str] = []

    def blank(self, block: bytes, first: int) -> bytes:
        """The block (lines joined by newlines, the first numbered ``first``) with its marker lines emptied."""
        if MARKER not in block:
            return block
        lines = block.split(b"\n")
        for offset, line in enumerate(lines):
            if line.startswith(MARKER):
                self.starts.append(first + offset)
                self.labels.append(line[len(MARKER) :].decode("utf-8", "replace").strip())
                lines[offset] = b""
        return b"\n".join(lines)

    def blocks(self, blocks: Iterator[bytes], first: int) -> Iterator[bytes]:
        """Blank the marker lines of raw blocks, the first of which starts at line ``first``."""
        for block in blocks:
            yield self.blank(block, first)
            first += block.count(b"\n") + 1

    def where(self, lineno: int) -> str | None:
        """``URI:LINE`` for a line of the whole input (None before the first marker)."""
        at = bisect_right(self.starts, lineno) - 1
        if at < 0:
            return None
        return f"{self.labels[at]}:{lineno - self.starts[at]}"

    def relabel(self, items: Iterable[Item], origin: str) -> Iterator[Item]:
        """The items, with each observation's ``origin:LINE`` source naming its object and line there."""
        head = f"{origin}:"
        for item in items:
            if isinstance(item, Observation) and item.source.startswith(head):
                number, _, rest = item.source[len(head) :].partition(" ")
                where = self.where(int(number)) if number.isdigit() else None
                if where is not None:
                    item = replace(item, source=f"{where} {rest}" if rest else where)
            yield item
