"""Background tasks that cannot vanish: the event loop keeps only weak references to tasks.

Use :func:`spawn` instead of ``asyncio.create_task`` (which ruff's banned-api rule refuses elsewhere): the task
is held in a set until it ends, and an exception it raises is logged instead of being lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["running", "spawn"]

T = TypeVar("T")
log = logging.getLogger("egressmap")
_TASKS: set[asyncio.Task[Any]] = set()


def spawn(coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
    """Start ``coro`` as a task and keep a strong reference to it until it is done."""
    task = asyncio.create_task(coro, name=name)  # noqa: TID251 - the one place that may
    _TASKS.add(task)
    task.add_done_callback(_done)
    return task


def _done(task: asyncio.Task[Any]) -> None:
    _TASKS.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background task %s failed", task.get_name(), exc_info=task.exception())


def running() -> int:
    """How many spawned tasks have not finished."""
    return len(_TASKS)
