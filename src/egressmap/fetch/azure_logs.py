r"""``fetch azure-logs``: Azure Firewall records from a Log Analytics workspace into a file ``scan`` reads.

One KQL query per time chunk (``--chunk``, 6 hours by default), oldest first. The query API returns at most
500,000 records or about 100 MiB per query; a chunk whose answer is cut by that (a partial result naming a
size, record or time limit, or as many rows as the limit) is split in two and each half asked again, down to
one minute. Any other partial result keeps the rows it has and is reported. After each chunk the output is
flushed and a checkpoint (the end of the last chunk written, the bytes and rows so far) is saved, so an
interrupted fetch resumes where it stopped.

The output is JSON lines, one object per row keyed by column name, as a Log Analytics export gives them; the
``azure-firewall`` source reads them (``Type`` names the table, ``TimeGenerated`` the time, ``msg_s`` the legacy
text). The Azure SDK is used only through :mod:`.azure_sdk` (the ``[azure]`` extra).

>>> print(kql("AZFWDnsQuery", 0, 3_600_000))
AZFWDnsQuery
| where TimeGenerated >= datetime(1970-01-01T00:00:00.000Z) and TimeGenerated < datetime(1970-01-01T01:00:00.000Z)
| sort by TimeGenerated asc
>>> row_line(["TimeGenerated", "Fqdn"], [datetime(2026, 11, 20, 8, 15, 2, 123456, UTC), "pypi.org"])
'{"TimeGenerated": "2026-11-20T08:15:02.123456Z", "Fqdn": "pypi.org"}\n'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from .cloudwatch import FetchError

TABLES = ("AZFWApplicationRule", "AZFWNetworkRule", "AZFWDnsQuery", "AzureDiagnostics")
"""The tables ``--table`` takes: the structured firewall tables and the legacy one (``msg_s`` lines)."""
FIREWALL_CATEGORIES = ("AzureFirewallApplicationRule", "AzureFirewallNetworkRule", "AzureFirewallDnsProxy")
"""The ``AzureDiagnostics`` categories kept (the others are not firewall egress, or not the firewall at all)."""
ROW_LIMIT = 500_000
"""Query API: at most this many records in one answer (Azure Monitor service limits, "Query API")."""
DEFAULT_CHUNK_S = 6 * 3600
MIN_CHUNK_MS = 60_000
"""A chunk still cut at this length is not split further: its rows are kept and it is reported partial."""
CHECKPOINT_VERSION = 1
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}
_SPLIT_MARKS = ("too_large", "exceed", "limit", "timeout", "timed out")
"""Words of a partial error that a shorter time range can cure (result size, record count, run time)."""


@dataclass(frozen=True)
class Answer:
    """What one query returned: column names, rows, and the partial error when the service gave one."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    partial: str | None = None


class Runner(Protocol):
    """Runs one KQL query over ``[start_ms, end_ms)`` against the workspace (see :mod:`.azure_sdk`)."""

    retries: int
    """Throttled (429) calls retried so far."""

    def run(self, query: str, start_ms: int, end_ms: int) -> Answer:
        """The answer; a :class:`FetchError` for anything that stops the fetch."""
        ...


@dataclass(frozen=True)
class LogsQuery:
    """What to fetch: one table of one workspace, times in milliseconds since the epoch."""

    workspace: str
    table: str
    start_ms: int
    end_ms: int
    chunk_ms: int = DEFAULT_CHUNK_S * 1000


@dataclass
class Partial:
    """A chunk the service answered only in part."""

    start_ms: int
    end_ms: int
    message: str
    rows: int

    def __str__(self) -> str:
        return f"{_iso(self.start_ms)} to {_iso(self.end_ms)}: {self.message} ({self.rows} rows kept)"


@dataclass
class FetchResult:
    """What a fetch did."""

    rows: int = 0
    queries: int = 0
    splits: int = 0
    """Chunks cut by the service's limits and asked again in two halves."""
    retries: int = 0
    resumed: bool = False
    partial: list[Partial] = field(default_factory=list)


def kql(table: str, start_ms: int, end_ms: int) -> str:
    """The query for one chunk: the table's rows with ``start <= TimeGenerated < end``, oldest first."""
    if table not in TABLES:
        raise FetchError(f"unknown table {table!r}: choose one of {', '.join(TABLES)}")
    lines = [
        table,
        f"| where TimeGenerated >= datetime({_iso(start_ms)}) and TimeGenerated < datetime({_iso(end_ms)})",
    ]
    if table == "AzureDiagnostics":
        categories = ", ".join(f'"{c}"' for c in FIREWALL_CATEGORIES)
        lines.append(f"| where Category in ({categories})")
        lines.append(
            '| project TimeGenerated, Type, Category, Resource, msg_s = column_ifexists("msg_s", "")'
        )
    lines.append("| sort by TimeGenerated asc")
    return "\n".join(lines)


def row_line(columns: Sequence[str], row: Sequence[Any]) -> str:
    """One output line: the row as a JSON object keyed by column name (times as ISO 8601 UTC)."""
    return json.dumps(dict(zip(columns, row, strict=True)), default=_jsonable) + "\n"


def duration_ms(text: str) -> int:
    """Milliseconds in ``30m``, ``6h``, ``1d``, ``1w`` (at least a minute: the query API's time grain is fine enough).

    >>> duration_ms("6h")
    21600000
    """
    found = re.fullmatch(r"\s*(\d+)\s*([mhdw])\s*", text)
    size = int(found[1]) * _UNITS[found[2]] * 1000 if found else 0
    if size < MIN_CHUNK_MS:
        raise FetchError(f"--chunk {text!r}: give a duration of at least a minute (30m, 6h, 1d, 1w)")
    return size


def chunks(start_ms: int, end_ms: int, size_ms: int) -> list[tuple[int, int]]:
    """``[start, end)`` cut into consecutive ranges of ``size_ms`` (the last one shorter).

    >>> chunks(0, 25, 10)
    [(0, 10), (10, 20), (20, 25)]
    """
    return [(t, min(t + size_ms, end_ms)) for t in range(start_ms, end_ms, size_ms)]


def fetch(
    runner: Runner,
    query: LogsQuery,
    out: Path,
    checkpoint: Path | None = None,
    row_limit: int = ROW_LIMIT,
) -> FetchResult:
    """Write every row of ``query`` to ``out``; resume from ``checkpoint`` when it exists. Deletes it when done."""
    if query.end_ms <= query.start_ms:
        raise FetchError(f"nothing to fetch: --since ({_iso(query.start_ms)}) is not before --until "
                         f"({_iso(query.end_ms)})")  # fmt: skip
    result = FetchResult()
    size, done = 0, query.start_ms
    saved = _load_checkpoint(checkpoint, query, out) if checkpoint else None
    if saved is not None:
        query = LogsQuery(**saved["query"])
        size, done, result.rows, result.queries = (
            saved["bytes"],
            saved["done_ms"],
            saved["rows"],
            saved["queries"],
        )
        result.resumed = True
    todo = chunks(done, query.end_ms, query.chunk_ms)
    todo.reverse()  # a stack: the oldest chunk on top
    with ExitStack() as stack:
        sink: BinaryIO | None = None  # opened at the first answer: a fetch that fails at once writes nothing
        while todo:
            start, end = todo.pop()
            answer = runner.run(kql(query.table, start, end), start, end)
            result.queries += 1
            cut = _cut(answer, row_limit)
            if cut and end - start > MIN_CHUNK_MS:
                middle = start + (end - start) // 2
                todo += [(middle, end), (start, middle)]
                result.splits += 1
                continue
            if sink is None:
                sink = stack.enter_context(open(out, "r+b" if saved is not None else "wb"))
                sink.truncate(size)
                sink.seek(size)
            data = "".join(row_line(answer.columns, row) for row in answer.rows).encode()
            sink.write(data)
            sink.flush()
            size += len(data)
            result.rows += len(answer.rows)
            if answer.partial is not None or cut:
                why = answer.partial or f"as many rows as the query limit ({row_limit}); more may exist"
                result.partial.append(Partial(start, end, why, len(answer.rows)))
            if checkpoint and todo:
                _save_checkpoint(checkpoint, query, end, size, result)
    result.retries = runner.retries
    if checkpoint and checkpoint.exists():
        checkpoint.unlink()
    return result


def _cut(answer: Answer, row_limit: int) -> bool:
    """Whether the service stopped short because of a limit that a shorter time range avoids."""
    if len(answer.rows) >= row_limit:
        return True
    text = (answer.partial or "").lower()
    return any(mark in text for mark in _SPLIT_MARKS)


def _iso(ms: int) -> str:
    stamp = datetime.fromtimestamp(ms / 1000, UTC)
    return f"{stamp.strftime('%Y-%m-%dT%H:%M:%S')}.{stamp.microsecond // 1000:03d}Z"


def _jsonable(value: object) -> str:
    if isinstance(value, datetime):
        moment = value.astimezone(UTC) if value.tzinfo else value
        return moment.replace(tzinfo=None).isoformat() + "Z"
    return str(value)  # timespans, GUIDs and anything else the SDK turned into an object


def _save_checkpoint(path: Path, query: LogsQuery, done_ms: int, size: int, result: FetchResult) -> None:
    """Write the checkpoint atomically (a crash leaves the old one or the new one)."""
    data = {
        "version": CHECKPOINT_VERSION,
        "query": asdict(query),
        "done_ms": done_ms,
        "bytes": size,
        "rows": result.rows,
        "queries": result.queries,
    }
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _load_checkpoint(path: Path, query: LogsQuery, out: Path) -> dict[str, Any] | None:
    """The saved state when ``path`` exists and belongs to the same fetch; None when there is none."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        saved = data["query"]
        size = int(data["bytes"])
        int(data["done_ms"]), int(data["rows"]), int(data["queries"])
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise FetchError(f"checkpoint {path} is unreadable ({exc}): delete it to start over") from None
    if data.get("version") != CHECKPOINT_VERSION or not isinstance(saved, dict) or "workspace" not in saved:
        raise FetchError(f"checkpoint {path} is not an azure-logs checkpoint of this version: delete it")
    # times given relative to now (--since 2d) move between runs: the checkpoint's own times are kept
    differ = [k for k in ("workspace", "table") if saved.get(k) != getattr(query, k)]
    if differ:
        raise FetchError(
            f"checkpoint {path} is for another fetch ({', '.join(differ)} differ): delete it or use another file"
        )
    if not out.exists() or out.stat().st_size < size:
        raise FetchError(f"checkpoint {path} says {size} bytes were written but {out} is shorter or missing")
    return dict(data)
