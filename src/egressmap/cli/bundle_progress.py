"""``bundle fetch``'s progress display (rich): imported only when a fetch runs, to keep the CLI's start light."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)


class FetchBar:
    """A rich progress display: one bar for the whole bundle and one per file in flight."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not enabled,
            transient=True,
        )
        self.total: TaskID | None = None
        self.tasks: dict[str, TaskID] = {}
        self.lock = threading.Lock()
        self.kept_files = 0
        """Files already in the bundle and kept without a download."""

    def planned(self, files: int, size: int | None) -> None:
        """The overall bar."""
        self.total = self.progress.add_task(f"{files} files", total=size)

    def started(self, path: str, size: int | None, done: int) -> None:
        """One bar per file."""
        with self.lock:
            task = self.tasks.get(path)
            if task is None:
                name = path.rsplit("/", 1)[-1]
                self.tasks[path] = self.progress.add_task(f"  {name[:40]}", total=size, completed=done)
                if self.total is not None and done:  # a .part from an earlier run
                    self.progress.advance(self.total, done)
            else:  # resumed in this run: its bytes are already counted
                self.progress.update(task, total=size, completed=done)

    def advanced(self, path: str, size: int) -> None:
        """More bytes."""
        with self.lock:
            task = self.tasks.get(path)
        if task is not None:
            self.progress.advance(task, size)
        if self.total is not None:
            self.progress.advance(self.total, size)

    def finished(self, path: str) -> None:
        """Drop the file's bar."""
        with self.lock:
            task = self.tasks.pop(path, None)
        if task is not None:
            self.progress.remove_task(task)

    def kept(self, path: str, size: int) -> None:
        """Count it; its bytes are already there."""
        with self.lock:
            self.kept_files += 1
        if self.total is not None:
            self.progress.advance(self.total, size)
