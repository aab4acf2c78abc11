"""The live summary on a terminal (destinations so far, denied so far), and the closing summary line."""

from __future__ import annotations

import asyncio
from typing import TextIO

from .server import Stats

__all__ = ["closing_line", "live", "table"]

TOP = 15


def closing_line(stats: Stats) -> str:
    """One line for the end of a run.

    >>> closing_line(Stats(connections=3, records=4, denied=1, destinations={("a.org", 443): 3}))
    '4 records (1 denied), 1 destinations reached or tried, 0 denied, 3 connections, 0 clients refused'
    """
    return (
        f"{stats.records} records ({stats.denied} denied), {len(stats.destinations)} destinations reached or tried, "
        f"{len(stats.denied_destinations)} denied, {stats.connections} connections, "
        f"{stats.refused} clients refused"
    )


def table(stats: Stats, listening: str) -> object:
    """A rich renderable: the busiest destinations and the denied ones."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Text(f"egressmap proxy on {listening}: {closing_line(stats)}", style="bold")
    allowed = Table("destination", "requests", title=f"destinations ({len(stats.destinations)})")
    for (host, port), count in sorted(stats.destinations.items(), key=lambda kv: -kv[1])[:TOP]:
        allowed.add_row(f"{host}:{port}", str(count))
    denied = Table("destination", "denied", title=f"denied ({len(stats.denied_destinations)})")
    for (host, port), count in sorted(stats.denied_destinations.items(), key=lambda kv: -kv[1])[:TOP]:
        denied.add_row(f"{host}:{port}", str(count))
    return Group(head, allowed, denied)


async def live(stats: Stats, listening: str, out: TextIO, every: float = 1.0) -> None:
    """Redraw the summary on ``out`` (a terminal) until cancelled."""
    from rich.console import Console
    from rich.live import Live

    console = Console(file=out)
    with Live(console=console, auto_refresh=False, transient=False) as view:
        try:
            while True:
                view.update(table(stats, listening), refresh=True)  # type: ignore[arg-type]
                await asyncio.sleep(every)
        finally:
            view.update(table(stats, listening), refresh=True)  # type: ignore[arg-type]
