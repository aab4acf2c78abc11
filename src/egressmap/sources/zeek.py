r"""Zeek logs: ``dns.log``, ``ssl.log``, ``http.log`` and ``conn.log``, as TSV or as JSON lines.

TSV logs carry their own layout in ``#`` header lines (``#separator \x09``, ``#set_separator ,``,
``#empty_field (empty)``, ``#unset_field -``, ``#path dns``, ``#fields ...``); the columns are taken from
``#fields``, never by position, because they vary between Zeek versions and loaded scripts. Several logs
concatenated (``cat dns.log ssl.log``) are read one header at a time. JSON logs (``LogAscii::use_json=T``)
have the same field names (``id.orig_h``; ``id_orig_h`` as some shippers rename them) and name no log: its
type is inferred from the fields present, or taken from ``_path`` when a shipper adds it.

:func:`parse` gives :class:`ZeekRecord` values (a DNS record keeps its answers for a later join of flows to
names); :class:`ZeekLog` turns them into observations (:mod:`.zeek_logs` holds the per-log mapping).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from ..model import Observation, Skipped
from .interface import Item, Source

LOGS = ("dns", "ssl", "http", "conn")
"""The Zeek logs egressmap reads."""

Value = str | tuple[str, ...] | None
"""A field's value: text, a set or vector (``answers``), or None when unset."""


@dataclass(frozen=True, slots=True)
class ZeekRecord:
    """One line of a Zeek log, its fields by Zeek's names (``id.resp_h``)."""

    log: str
    """``dns``, ``ssl``, ``http`` or ``conn``."""
    fields: Mapping[str, Value]
    """A JSON record's values; a TSV row's raw columns, read through ``layout`` (see :meth:`value`)."""
    lineno: int
    layout: _Header | None = None
    """The TSV header the row was read with (its unset and empty marks, its set columns)."""

    def value(self, name: str) -> Value:
        """A field's value: text, a tuple for a set or vector, None when unset or absent."""
        raw = self.fields.get(name)
        if self.layout is None or not isinstance(raw, str):
            return raw
        return self.layout.value(name, raw)

    def text(self, name: str) -> str | None:
        """A field as text (None when unset or absent; a set's first element)."""
        value = self.value(name)
        if isinstance(value, tuple):
            return value[0] if value else None
        return value

    @property
    def answers(self) -> tuple[str, ...]:
        """A DNS record's answers (addresses and CNAME targets, as Zeek logs them), for joining flows to names."""
        value = self.value("answers")
        if value is None:
            return ()
        return value if isinstance(value, tuple) else tuple(v for v in value.split(",") if v)


def infer_log(names: Iterable[str]) -> str | None:
    """Which log a set of field names belongs to, or None when it is none of :data:`LOGS`."""
    keys = set(names)
    if "query" in keys and keys & {"rcode_name", "qtype_name", "answers", "trans_id"}:
        return "dns"
    if "server_name" in keys and keys & {"established", "cipher", "version", "resumed"}:
        return "ssl"
    if "host" in keys and keys & {"method", "uri", "status_code", "trans_depth"}:
        return "http"
    if "conn_state" in keys or ({"proto", "history", "duration"} <= keys):
        return "conn"
    return None


_RENAMED = re.compile(r"^id_(orig|resp)_([hp])$")


def _json_fields(data: Mapping[str, object]) -> dict[str, Value]:
    fields: dict[str, Value] = {}
    for key, value in data.items():
        name = _RENAMED.sub(r"id.\1_\2", key)
        if isinstance(value, dict):  # a writer that nests id{orig_h,...}
            for sub, inner in value.items():
                fields[f"{name}.{sub}"] = _json_value(inner)
        else:
            fields[name] = _json_value(value)
    return fields


def _json_value(value: object) -> Value:
    if value is None:
        return None
    if isinstance(value, list):
        return tuple(_scalar(v) for v in value)
    return _scalar(value)


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "T" if value else "F"  # as the TSV writer logs a bool
    return str(value)


def _unescape(text: str) -> str:
    r"""Zeek writes separators and non-printable bytes as ``\xNN``."""
    return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), text)


@dataclass
class _Header:
    separator: str = "\t"
    set_separator: str = ","
    unset: str = "-"
    empty: str = "(empty)"
    path: str | None = None
    names: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    def meta(self, line: str) -> None:
        """Take one ``#`` header line."""
        if line.startswith("#separator "):
            # a new log (the caller made a new header); a blank separator keeps Zeek's default tab
            self.separator = _unescape(line[len("#separator ") :]) or "\t"
            return
        key, _, rest = line[1:].partition(self.separator)
        values = rest.split(self.separator)
        if key == "set_separator":
            self.set_separator = _unescape(rest)
        elif key == "unset_field":
            self.unset = rest
        elif key == "empty_field":
            self.empty = rest
        elif key == "path":
            self.path = rest
        elif key == "fields":
            self.names = values
        elif key == "types":
            self.types = values

    @property
    def log(self) -> str | None:
        return self.path if self.path in LOGS else infer_log(self.names)

    def row(self, line: str) -> dict[str, Value]:
        """The raw columns of a row by name (converted on access by :meth:`value`)."""
        values = line.split(self.separator)
        if len(values) != len(self.names):
            raise ValueError(f"{len(values)} columns where #fields names {len(self.names)}")
        return dict(zip(self.names, values, strict=True))

    def value(self, name: str, raw: str) -> Value:
        """One raw column as a value: None when unset, a tuple for a set or vector column, escapes undone."""
        if raw == self.unset:
            return None
        is_set = self._is_set(name)
        if raw == self.empty:
            return () if is_set else ""
        if is_set:
            return tuple(_unescape(v) for v in raw.split(self.set_separator))
        return _unescape(raw) if "\\x" in raw else raw

    def _is_set(self, name: str) -> bool:
        """A set or vector column (by ``#types``; without it, the DNS answers and TTLs)."""
        if self.types and name in self.names:
            index = self.names.index(name)
            if index < len(self.types):
                return self.types[index].startswith(("set[", "vector["))
        return name in _SET_FIELDS


_SET_FIELDS = frozenset({"answers", "TTLs", "tunnel_parents", "tags"})

NOT_READ = "a Zeek log egressmap does not read (it reads dns, ssl, http and conn logs)"
NO_FIELDS = (
    "a Zeek TSV line before any #fields header: its columns are unknown "
    "(give the log with its header lines, as Zeek writes it)"
)


_META = (
    "#separator ",
    "#set_separator\t",
    "#empty_field\t",
    "#unset_field\t",
    "#path\t",
    "#fields\t",
    "#types\t",
)
"""Header lines that start a Zeek layout even without ``#separator`` (Zeek's default tab then)."""


def _next_header(header: _Header | None, line: str) -> _Header | None:
    """The layout after one ``#`` line: a new one at ``#separator``, else a copy with the line taken in.

    Records already read keep the layout they were read with. Other comments change nothing.
    """
    if line.startswith("#separator "):
        header = _Header()
    elif header is not None:
        header = replace(header)
    elif line.startswith(_META):
        header = _Header()
    if header is not None:
        header.meta(line)
    return header


def parse(lines: Iterable[str], origin: str) -> Iterator[ZeekRecord | Skipped]:
    """Records and skipped lines of a Zeek log (TSV or JSON); line numbers count from 1."""
    header: _Header | None = None
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if line.startswith("#"):
            header = _next_header(header, line)
            continue
        if line.lstrip().startswith("{"):
            yield _json_record(line, origin, lineno)
        elif header is None or not header.names:
            yield Skipped(origin, lineno, NO_FIELDS)
        elif header.log is None:
            yield Skipped(origin, lineno, f"{NOT_READ}: #path {header.path or '(none)'}", kind="dropped")
        else:
            try:
                yield ZeekRecord(header.log, header.row(line), lineno, header)
            except ValueError as exc:
                yield Skipped(origin, lineno, f"{exc} (a line cut short or joined?)")


def _json_record(line: str, origin: str, lineno: int) -> ZeekRecord | Skipped:
    try:
        data = json.loads(line)
    except ValueError:
        return Skipped(origin, lineno, "not a whole JSON object (a Zeek JSON line cut short?)")
    if not isinstance(data, dict):
        return Skipped(origin, lineno, "not a JSON object")
    fields = _json_fields(data)
    path = fields.get("_path")
    log = path if isinstance(path, str) and path in LOGS else infer_log(fields)
    if log is None:
        return Skipped(origin, lineno, f"{NOT_READ}: no dns, ssl, http or conn fields", kind="dropped")
    return ZeekRecord(log, fields, lineno)


def _looks_zeek_json(line: str) -> bool:
    text = line.strip()
    if not (text.startswith("{") and ("id.orig_h" in text or "id_orig_h" in text)):
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and infer_log(_json_fields(data)) is not None


class ZeekLog(Source):
    """Zeek's dns, ssl, http and conn logs (TSV with ``#fields``, or JSON lines)."""

    name = "zeek"
    role = "network"
    description = "Zeek dns.log, ssl.log, http.log, conn.log (TSV with #fields, or JSON lines)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "sees only the traffic of the interface the sensor inspects; TLS shows the server name, not the URL",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """A TSV header naming a log we read (by ``#path`` or its fields), or JSON lines with Zeek's fields."""
        header: _Header | None = None
        for line in head:
            if line.startswith("#"):
                header = _next_header(header, line.rstrip("\r\n"))
        if header is not None and header.names:
            return 1.0 if header.log is not None else -1.0
        lines = [line for line in head if line.strip() and not line.startswith("#")]
        if not lines:
            return -1.0
        hits = sum(1 for line in lines if _looks_zeek_json(line))
        return hits / len(lines) if hits else -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Observations of each record (see :mod:`.zeek_logs`) and the skipped lines."""
        from .zeek_logs import dns_answers, observations

        for item in parse(lines, origin):
            if isinstance(item, Skipped):
                yield item
                continue
            seen = observations(item, origin)
            yield seen
            if self.answers and item.log == "dns" and isinstance(seen, Observation):
                yield from dns_answers(item, seen, origin)
