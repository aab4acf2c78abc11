from __future__ import annotations

import asyncio
import gc
import logging

import pytest

from egressmap.proxy.tasks import running, spawn


def test_spawned_task_survives_garbage_collection() -> None:
    """A task nobody else references still runs to the end."""

    async def scenario() -> list[int]:
        out: list[int] = []
        finished = asyncio.Event()

        async def work() -> None:
            await asyncio.sleep(0.01)
            out.append(1)
            finished.set()

        spawn(work())
        gc.collect()
        assert running() == 1
        await asyncio.wait_for(finished.wait(), 60)  # the event, not a race between two sleeps
        return out

    assert asyncio.run(scenario()) == [1]
    assert running() == 0


def test_failure_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    """An exception in a background task is logged, not lost."""

    async def boom() -> None:
        raise RuntimeError("boom")

    async def scenario() -> None:
        spawn(boom(), name="boomer")
        await asyncio.sleep(0.01)

    with caplog.at_level(logging.ERROR, logger="egressmap"):
        asyncio.run(scenario())
    assert "background task boomer failed" in caplog.text
