"""Small helpers shared by the readers of AWS JSON-lines logs (Route 53 Resolver, Network Firewall).

AWS delivers these logs as one JSON object per line to S3 or Firehose; CloudWatch Logs exports (``aws logs
tail``, ``awslogs get``, egressmap's own ``fetch``) put a time and the log group or stream before the object.
:func:`json_record` accepts both, and :func:`line_source` names the group and stream in an observation's source.

>>> json_record('2026-11-03T09:14:21Z vpc-1_vpcdnsquerylogs {"a": 1}')
{'a': 1}
>>> line_source("f.log", 3, '/aws/r vpc-1_i-2 2026-11-03T09:14:21.000Z {"a": 1}')
'f.log:3 (/aws/r vpc-1_i-2)'
>>> port_of("443"), port_of(8883), port_of("-")
(443, 8883, None)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from ..hostnames import drop_reason, normalize_host
from ..model import Skipped

MAX_PREFIX = 200
"""Longest prefix before the JSON object on a line (a time, a log group and a log stream)."""

NO_NAME = frozenset({"", "-"})
"""What a log writes where it has no name (Network Firewall writes ``"-"`` for a missing SNI)."""


_loads: Callable[[str], Any]
try:
    from orjson import loads as _loads
except ImportError:  # the optional extra is not installed
    _loads = json.loads


class BadRecord(ValueError):
    """A record that cannot be used; its message says why (it becomes a malformed line)."""


def json_record(line: str) -> dict[str, Any] | None:
    """The JSON object on a line, after an optional prefix without braces; None when there is none."""
    start = line.find("{")
    if start < 0 or start > MAX_PREFIX:
        return None
    text = line[start:].strip()
    if not text.endswith("}"):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


@lru_cache(maxsize=1)
def _time() -> re.Pattern[str]:
    """A time as CloudWatch exports write it (compiled on first use: most inputs have no prefix)."""
    return re.compile(
        r"\[?\d{4}-\d{2}-\d{2}(?:[T ]?\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?\]?"
    )


def line_source(origin: str, lineno: int, line: str) -> str:
    """``origin:lineno``, then the words of the line's prefix before its JSON object that are not times.

    For a CloudWatch Logs export those are the log group and stream (``fetch cloudwatch``, ``awslogs get``) or
    the stream (``aws logs tail``). Readers call this only for lines that do not start with ``{``.
    """
    return prefix_source(origin, lineno, line[: line.find("{")].split())


def prefix_source(origin: str, lineno: int, prefix: Sequence[str]) -> str:
    """``origin:lineno``, then the words of a line's prefix that are not times (a log group and stream).

    >>> prefix_source("f.log", 3, ["2026-11-20T08:00:00.000Z", "eni-0a-all"]), prefix_source("f.log", 4, [])
    ('f.log:3 (eni-0a-all)', 'f.log:4')
    """
    time = _time()
    words = [w for w in prefix if not time.fullmatch(w)]
    return f"{origin}:{lineno} ({' '.join(words)})" if words else f"{origin}:{lineno}"


def load_record(line: str) -> dict[str, Any]:
    """Like :func:`json_record`, but says what is wrong (cut mid-record, not an object)."""
    start = line.find("{")
    if start < 0 or start > MAX_PREFIX:
        raise BadRecord("not a JSON object")
    try:
        data = json.loads(line[start:])
    except json.JSONDecodeError as exc:
        raise BadRecord(f"JSON cut or damaged ({exc.msg} at column {start + exc.pos + 1})") from exc
    except ValueError as exc:
        raise BadRecord(f"JSON damaged ({exc})") from exc
    if not isinstance(data, dict):
        raise BadRecord("not a JSON object")
    return data


def quick_record(line: str) -> dict[str, Any] | None:
    """The object :func:`load_record` reads from a line, by orjson when installed; None when it cannot say.

    orjson parses a Resolver record in about a third of the standard library's time. What it refuses (besides
    damaged JSON: integers past 64 bits, lone surrogates, NaN) gives None, and :func:`load_record` then reads
    the line or says what is wrong with it, so either way a line reads the same.
    """
    start = line.find("{")
    if start < 0 or start > MAX_PREFIX:
        return None
    try:
        data = _loads(line[start:] if start else line)
    except ValueError:  # orjson.JSONDecodeError is a ValueError, like json's
        return None
    return data if type(data) is dict else None


def has_keys(line: str, keys: frozenset[str]) -> bool:
    """The line holds a JSON object with all these top-level keys (for sniffing)."""
    data = json_record(line)
    return data is not None and keys <= data.keys()


def port_of(value: object) -> int | None:
    """A port written as an int or a string (Network Firewall TLS logs use strings); None when absent."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 65536 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value)
        return number if 0 < number < 65536 else None
    return None


def epoch_of(value: object) -> float | None:
    """Seconds since the epoch from epoch seconds (int or string) or an ISO 8601 time; None when unreadable."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    return _epoch_text(str(value).strip())


@lru_cache(maxsize=4096)
def _epoch_text(text: str) -> float | None:
    """:func:`epoch_of` for text (log lines share their seconds, so this is cached).

    A time in the Resolver's form, ``2026-11-03T09:14:21Z``, is its hour's (worked out once) plus its minutes
    and seconds: what ``datetime`` gives, without parsing each second of a long log again.

    >>> _epoch_text("2026-11-03T09:14:21Z") == datetime.fromisoformat("2026-11-03T09:14:21+00:00").timestamp()
    True
    """
    if len(text) == 20 and text[13] == text[16] == ":" and text[19] == "Z" and text[10] == "T":
        minutes, seconds = text[14:16], text[17:19]
        if minutes.isascii() and minutes.isdigit() and seconds.isascii() and seconds.isdigit():
            hour = _epoch_text(text[:13] + ":00:00Z") if minutes + seconds != "0000" else None
            if hour is not None and minutes < "60" and seconds < "60":
                return hour + int(minutes) * 60 + int(seconds)
    try:
        return float(text)
    except ValueError:
        pass
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = f"{text[:-2]}:{text[-2:]}"  # Suricata's +0000
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def name_or_skip(raw: str, origin: str, lineno: int) -> str | Skipped:
    """A normalised host name, or the skipped line saying why it is not a destination."""
    host, why, bad = _checked(raw)
    if bad:
        return Skipped(origin, lineno, why)
    return Skipped(origin, lineno, why, kind="dropped") if why else host


@lru_cache(maxsize=65536)
def _checked(raw: str) -> tuple[str, str, bool]:
    """(host, why it is no destination or "", whether it is bad): logs repeat a few names many times."""
    try:
        host = normalize_host(raw)
    except ValueError as exc:
        return "", f"{exc}: {raw[:80]!r}", True
    why = drop_reason(host)
    return host, f"{why}: {host}" if why else "", False


def text_field(data: Mapping[str, Any], key: str) -> str:
    """A required string field; :class:`BadRecord` names it when it is missing or empty."""
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BadRecord(f"missing field {key!r}")
    if isinstance(value, dict | list):
        raise BadRecord(f"field {key!r} is not a string")
    return str(value)
