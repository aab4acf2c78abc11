"""Checkpoints of a fetch that runs in steps (pages, time chunks): written after each step, read to resume.

A checkpoint is one JSON object: a ``version``, the ``query`` it belongs to, the ``bytes`` of output written so
far and the fetch's own fields (the next page's token, the time done, counters). It is replaced atomically, so
a crash leaves the old one or the new one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .aws import FetchError


def save(path: Path, data: Mapping[str, Any]) -> None:
    """Write the checkpoint atomically."""
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data) + "\n", encoding="utf-8")
    os.replace(partial, path)


def load(
    path: Path,
    out: Path,
    *,
    version: int,
    fields: Sequence[str],
    ints: Sequence[str] = (),
    same: Mapping[str, object],
    ours: Callable[[Mapping[str, Any]], bool],
    not_ours: str,
) -> dict[str, Any] | None:
    """The saved state when ``path`` exists and belongs to the same fetch; None when there is none.

    ``fields`` must be there besides ``query`` and ``bytes`` (integers where ``ints`` says so); the saved query
    must agree with ``same``; ``ours(saved query)`` tells a checkpoint of this kind, ``not_ours`` says what it is
    when it is not. Times given relative to now (``--since 2d``) move between runs: the caller keeps the
    checkpoint's own times.
    """
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = data["query"]
        size = int(data["bytes"])
        for name in fields:
            data[name]
        for name in ints:
            int(data[name])
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise FetchError(f"checkpoint {path} is unreadable ({exc}): delete it to start over") from None
    if data.get("version") != version or not isinstance(saved, dict) or not ours(saved):
        raise FetchError(f"checkpoint {path} {not_ours}")
    differ = [k for k, v in same.items() if saved.get(k) != v]
    if differ:
        raise FetchError(
            f"checkpoint {path} is for another fetch ({', '.join(differ)} differ): delete it or use another file"
        )
    if not out.exists() or out.stat().st_size < size:
        raise FetchError(f"checkpoint {path} says {size} bytes were written but {out} is shorter or missing")
    return dict(data)
