"""Pause the cyclic garbage collector while a loop builds many long-lived containers.

Building a table of 100,000 destinations creates about half a million dicts, sets and lists; each allocation
counts towards a collection, and every collection walks the young objects again (the table itself). None of
these structures forms a reference cycle, so the pause frees nothing late; it saves about a third of the time.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block, and restore its previous state after it.

    >>> with paused_gc():
    ...     gc.isenabled()
    False
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


__all__ = ["paused_gc"]
