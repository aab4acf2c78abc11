"""Work on a big file in two processes: a forked child takes the second part, this process the first.

The file is cut at a byte offset; ``work(start, end)`` runs in both processes and handles the lines that begin
in its byte range (:func:`.reader.read_range` reads exactly those of a plain file, and
:func:`.gzip_range.read_gzip_range` those of a gzip file's decompressed data, so every line belongs to one
part). Its result must be picklable: the child's comes back through a pipe. Nothing here knows about log
formats or compression: :mod:`.squid_native` passes a function that parses and converts one part.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections.abc import Callable
from typing import BinaryIO, TypeVar

T = TypeVar("T")

PARALLEL_MIN_BYTES = 48 * 1024 * 1024
"""Files smaller than this are read in one process: forking and passing the result back would cost more."""
ONE_PROCESS = False
"""True in a process that must not split its work (a ``--engine dask`` worker: the cluster has one per CPU)."""
PIPE_BUFFER = 1 << 20
"""Bytes buffered on each end of the pipe the child's result comes through."""
TO_THE_END = sys.maxsize
"""The end of the child's part: it reads to the end of the data, whatever ``size`` said (it may be an estimate)."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask, which taskset and container limits narrow)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def worth_splitting(size: int) -> bool:
    """Whether work on ``size`` bytes is worth doing in two parts at once (in two processes or two threads)."""
    return not ONE_PROCESS and size >= PARALLEL_MIN_BYTES and usable_cpus() >= 2


def split_work(
    path: str,
    work: Callable[[int, int], T],
    child_share: float = 0.5,
    meanwhile: Callable[[], None] | None = None,
    *,
    size: int | None = None,
    before_fork: Callable[[], None] | None = None,
    send: Callable[[T, BinaryIO], None] | None = None,
    receive: Callable[[BinaryIO], T] | None = None,
) -> tuple[T, T] | None:
    """Run ``work(start, end)`` on the file's two parts at once; None when not worth it or not possible.

    ``size`` is the length of the byte space the work cuts (default: the file's size; it may be another one,
    such as a compressed file's data, and an estimate). The child takes the last ``child_share`` of it and
    whatever follows. ``meanwhile`` runs in this process before its own part (so a larger child share can make
    up for it). ``before_fork`` runs just before the child is made, only when it is (stop threads there). The
    child's result comes back pickled, or written by ``send`` and read by ``receive`` (both or neither) when
    one pickle would cost too much (its memo holds every object of a result with a million parts). When the
    child fails the result is None and the caller reads the file the ordinary way.
    """
    if size is None:
        size = os.path.getsize(path)
    if not worth_splitting(size) or not hasattr(os, "fork"):
        return None
    mid = int(size * (1 - child_share))
    if before_fork is not None:
        before_fork()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child; its result is checked by the parent's tests
        status = 1
        try:
            os.close(read_end)
            result = work(mid, TO_THE_END)
            with os.fdopen(write_end, "wb", buffering=PIPE_BUFFER) as out:
                if send is None:  # streamed: never the whole text at once
                    pickle.dump(result, out, pickle.HIGHEST_PROTOCOL)
                else:
                    send(result, out)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    second: T | None = None
    try:
        with os.fdopen(read_end, "rb", buffering=PIPE_BUFFER) as inp:
            if meanwhile is not None:
                meanwhile()
            first = work(0, mid)
            try:  # read as it comes: the child's result is never held as text here either
                second = pickle.load(inp) if receive is None else receive(inp)  # noqa: S301 - our child's
            except Exception:  # the child failed before or while writing: read its part here instead
                second = None
    finally:
        _, status = os.waitpid(pid, 0)
    if status != 0 or second is None:
        return None
    return first, second


__all__ = ["PARALLEL_MIN_BYTES", "TO_THE_END", "split_work", "usable_cpus", "worth_splitting"]
