"""The policy's JSON written in pieces: one entry encoded at a time, never the whole document in memory.

:func:`iter_policy_json` gives the same text as ``dump_json(policy_to_dict(policy, entries))`` (two-space
indent, ASCII): the document without its entries is dumped once and its ``entries`` list filled in entry by
entry, each dumped alone and indented to its depth. A million-entry policy is about 800 MB of JSON; written this
way it costs one entry's text at a time, not the document, its bytes and its dict form at once
(``bench/scale``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Any

from .model import Entry, Policy
from .policy_file import _pretty, entry_to_dict, policy_to_dict
from .rowjson import json_alike

_MARK = "\x00entries\x00"
"""Stands for the entries in the dumped skeleton; no entry holds a NUL character, so it is found once."""
BATCH = 1024
"""Entries joined per piece."""


def iter_policy_json(policy: Policy, entries: Iterable[Entry] | None = None) -> Iterator[str]:
    """``dump_json(policy_to_dict(policy, entries))`` in pieces (``entries``: all the policy's by default)."""
    chosen = iter(policy.entries if entries is None else entries)
    batch = list(islice(chosen, BATCH))
    if not batch:
        yield _pretty(policy_to_dict(policy, ()))
        return
    skeleton = policy_to_dict(policy, ())
    skeleton["entries"] = [_MARK]
    before, after = _pretty(skeleton).split(json.dumps(_MARK), 1)
    encode = _encoder()
    yield before
    first = True
    while batch:
        text = ",\n    ".join(encode(entry_to_dict(e)) for e in batch)
        yield text if first else ",\n    " + text
        first = False
        batch = list(islice(chosen, BATCH))
    yield after


def _encoder() -> Callable[[dict[str, Any]], str]:
    """One entry's pretty JSON at the depth of a list item in the document (four spaces)."""
    try:
        import orjson
    except ImportError:
        return _plain

    def encode(item: dict[str, Any]) -> str:
        raw: bytes = orjson.dumps(item, option=orjson.OPT_INDENT_2)
        if json_alike(raw):  # an entry holds no float: orjson writes what json would
            return raw.decode("ascii").replace("\n", "\n    ")
        return _plain(item)

    return encode


def _plain(item: dict[str, Any]) -> str:
    return json.dumps(item, indent=2, ensure_ascii=True).replace("\n", "\n    ")


__all__ = ["iter_policy_json"]
