"""Squid access logs in a layout nobody named: the logformat inferred from the lines themselves.

A line is *Squid-shaped* when it holds a Squid result code (``TCP_MISS/200``, ``TCP_TUNNEL:HIER_DIRECT``,
``NONE_NONE/503``, ``TCP_DENIED``) and a request: a method before a URL, a ``host:port`` or a host name, or a
quoted request line. From the Squid-shaped lines of an input's first lines, every field (whitespace-separated;
a quoted string or a bracketed time is one field) is typed by its values on all those lines, and the fields
are named: time, client, result code, status, method, target, bytes; the others are matched and ignored. A
quoted field other than a request line (``Referer``, ``User-Agent``, ``X-Forwarded-For``) is never the target.

The names make a logformat string (what ``--squid-logformat`` takes), which is checked on the same lines and
then read by the ordinary logformat reader. When the fields cannot be named with confidence, :class:`SquidAuto`
says why and which flags to give instead.

>>> inferred = infer(["21/Nov/2026:10:00:01 +0000 10.0.0.5 TCP_TUNNEL/200 CONNECT pypi.org:443"])
>>> inferred.spec
'%tl %>a %Ss/%03>Hs %rm %ru'
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from ..errors import InputError
from ..model import Skipped
from .interface import Item, Source
from .reader import HEAD_LINES
from .squid import SquidLog
from .squid_format import LogFormat
from .squid_shape import kind_of, split_fields, squid_shaped

_IPV4_PORT = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}:\d{1,5}")
_XFF = re.compile(r"[0-9A-Fa-f:.]+(?:, ?[0-9A-Fa-f:.]+)*")

STATUSES = frozenset(
    {0, 100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226}
    | {300, 301, 302, 303, 304, 305, 307, 308}
    | set(range(400, 419))
    | {421, 422, 423, 424, 425, 426, 428, 429, 431, 451}
    | set(range(500, 512))
)
"""HTTP status codes (and Squid's 0 for "no reply"): what a status field holds."""
MIN_SHARE = 0.5
"""A head whose non-blank lines are at least this share Squid-shaped is taken for a Squid log."""
MIN_CHECKED = 0.9
"""The inferred layout must read at least this share of the Squid-shaped sample lines, each to a destination."""
HINT = (
    "give its logformat with --squid-logformat 'FORMAT' (the logformat line of its squid.conf), "
    "or its squid.conf with --squid-conf FILE"
)


# kinds that may share a column, and the kind the column then has
_MERGE: dict[frozenset[str], str] = {
    frozenset({"url", "no-url"}): "target",
    frozenset({"url", "hostport"}): "target",
    frozenset({"url", "hostport", "no-url"}): "target",
    frozenset({"hostport", "no-url"}): "target",
    frozenset({"request2", "request3"}): "request3",
    frozenset({"ip", "host"}): "host",
}


@dataclass(frozen=True)
class Inference:
    """What the sample says: a logformat when the layout is clear, otherwise why not."""

    spec: str | None
    """The inferred logformat, or None."""
    shaped: int
    """Squid-shaped lines in the sample."""
    sample: int
    """Non-blank, non-comment lines in the sample."""
    matched: int = 0
    """Sample lines the inferred logformat reads."""
    problem: str = ""
    """Why no logformat could be inferred (when ``spec`` is None)."""

    @property
    def looks_like_squid(self) -> bool:
        """Enough of the sample is Squid-shaped to call the input a Squid log."""
        return self.shaped > 0 and self.shaped >= MIN_SHARE * self.sample


@dataclass
class _Column:
    index: int
    values: list[str]
    kind: str

    def ints(self) -> list[int]:
        return [int(v) for v in self.values if v.isdigit()]


class _Layout:
    """Names the columns of a sample of Squid-shaped lines, all with the same number of fields."""

    def __init__(self, rows: list[list[str]]) -> None:
        self.columns = [_Column(i, [r[i] for r in rows], "") for i in range(len(rows[0]))]
        for column in self.columns:
            column.kind = self._kind(column.values)
        self.codes: list[str | None] = [None] * len(self.columns)

    @staticmethod
    def _kind(values: list[str]) -> str:
        kinds = frozenset(kind_of(v) for v in values) - {"dash"}
        if not kinds:
            return "dash"
        if len(kinds) == 1:
            (only,) = kinds
            return "target" if only in ("url", "hostport") else only
        return _MERGE.get(kinds, "mixed")

    def first(self, *kinds: str) -> _Column | None:
        return next((c for c in self.columns if c.kind in kinds and self.codes[c.index] is None), None)

    def name(self) -> str:
        """The logformat string; raises ValueError with the reason when a needed field is not clear."""
        result = self.first("result/status", "result:hier", "result")
        if result is None:
            raise ValueError("no field holds a Squid result code in every line")
        self.codes[result.index] = {"result/status": "%Ss/%03>Hs", "result:hier": "%Ss:%Sh"}.get(
            result.kind, "%Ss"
        )
        self._time()
        self._target()
        if result.kind != "result/status":
            self._status(result)
        self._client()
        self._rest()
        return " ".join(code or "%mt" for code in self.codes)

    def _client(self) -> None:
        """The first address field is the client's (``%>a``; ``%>a:%>p`` for ``address:port``)."""
        client = self.first("ip", "host", "target")
        if client is not None and client.kind == "target":
            if not all(_IPV4_PORT.fullmatch(v) for v in client.values if v != "-"):
                return
            self.codes[client.index] = "%>a:%>p"
            return
        if client is not None:
            self.codes[client.index] = "%>a"
            after = client.index + 1  # %>p: the client's port, right after its address
            if after < len(self.columns) and self.codes[after] is None and self.columns[after].kind == "int":
                if all(1023 < i < 65536 for i in self.columns[after].ints()):
                    self.codes[after] = "%>p"

    def _time(self) -> None:
        column = self.first("epoch", "tl", "tl-bracketed")
        if column is None:
            column = next(
                (c for c in self.columns if c.kind == "int" and all(9e8 < i < 5e9 for i in c.ints())), None
            )
            if column is not None:
                self.codes[column.index] = "%ts"
            return
        self.codes[column.index] = {"epoch": "%ts.%03tu", "tl": "%tl"}.get(column.kind, "[%tl]")

    def _target(self) -> None:
        request = self.first("request3", "request2")
        if request is not None:
            self.codes[request.index] = '"%rm %ru HTTP/%rv"' if request.kind == "request3" else '"%rm %ru"'
            return
        method = self.first("method")
        if method is not None:
            self.codes[method.index] = "%rm"
        after = None if method is None else method.index + 1
        targets = [c for c in self.columns if c.kind == "target"]
        if len(targets) > 1:
            targets = [self._request_url(targets, after)]
        if targets:
            self.codes[targets[0].index] = "%ru"
            return
        # no URL: a host field right after the method (%>rd), maybe followed by a port field (%>rP)
        if after is not None and after < len(self.columns) and self.columns[after].kind in ("host", "ip"):
            self.codes[after] = "%>rd"
            port = after + 1
            if port < len(self.columns) and self.columns[port].kind == "int":
                if all(0 < i < 65536 for i in self.columns[port].ints()):
                    self.codes[port] = "%>rP"
            return
        raise ValueError("no field names the destination (a URL, host:port, or a host after the method)")

    @staticmethod
    def _request_url(targets: list[_Column], after: int | None) -> _Column:
        """Of several fields holding URLs or ``host:port``, the request's: raises ValueError when unclear.

        The one right after the method; else the only one with URLs (a Host header or an address:port field
        has none); else, of those not all ``address:port`` (client, server), one when they agree line by line.
        """
        chosen = next((c for c in targets if c.index == after), None)
        if chosen is not None:
            return chosen
        with_urls = [c for c in targets if any(kind_of(v) == "url" for v in c.values)]
        if len(with_urls) == 1:
            return with_urls[0]
        named = [c for c in (with_urls or targets) if not all(_is_address_port(v) for v in c.values)]
        if named and all(c.values == named[0].values for c in named[1:]):
            return named[0]
        where = " and ".join(str(c.index + 1) for c in targets)
        raise ValueError(f"fields {where} all hold URLs or host:port and none is clearly the request")

    def _status(self, result: _Column) -> None:
        candidates = [
            c
            for c in self.columns
            if c.kind == "int"
            and self.codes[c.index] is None
            and all(i in STATUSES for i in c.ints())
            and any(i >= 100 for i in c.ints())
        ]
        if len(candidates) > 1:  # keep those that agree with the result codes
            candidates = [c for c in candidates if self._agrees(c, result)] or candidates
        if len(candidates) > 1 and any(c.values != candidates[0].values for c in candidates[1:]):
            where = " and ".join(str(c.index + 1) for c in candidates)
            raise ValueError(f"fields {where} could each be the HTTP status")
        if candidates:
            self.codes[candidates[0].index] = "%>Hs"

    @staticmethod
    def _agrees(status: _Column, result: _Column) -> bool:
        for code, value in zip(result.values, status.values, strict=True):
            if not value.isdigit():
                continue
            if "DENIED" in code and int(value) not in (403, 407):
                return False
            if "TUNNEL" in code and int(value) != 200:
                return False
        return True

    def _rest(self) -> None:
        ints = [c for c in self.columns if c.kind == "int" and self.codes[c.index] is None]
        if ints:
            biggest = max(ints, key=lambda c: statistics.median(c.ints() or [0]))
            self.codes[biggest.index] = "%<st"
        for column in self.columns:
            if self.codes[column.index] is not None:
                continue
            self.codes[column.index] = {
                "int": "%tr",
                "hier": "%Sh/%<a" if any("/" in v for v in column.values) else "%Sh",
                "quoted": f'"%{{{_header(column.values)}}}>h"',
                "bracketed": "[%un]",
                "dash": "%un",
                "method": "%rm",
                "tl": "%tl",
                "tl-bracketed": "[%tl]",
                "target": _other_target(column.values),
            }.get(column.kind, "%mt")


def _is_address_port(value: str) -> bool:
    """An IP address and port (a client's or a server's), or a placeholder: never a request's target here."""
    if kind_of(value) == "dash" or _IPV4_PORT.fullmatch(value):
        return True
    host, _, port = value.rpartition(":")
    return port.isdigit() and host.startswith("[") and host.endswith("]")


def _other_target(values: list[str]) -> str:
    """The code shown for a field of URLs or ``host:port`` that is not the request (it is never read)."""
    if any(kind_of(v) == "url" for v in values):
        return "%{Referer}>h"
    if all(_IPV4_PORT.fullmatch(v) or kind_of(v) == "dash" for v in values):
        return "%<a:%<p"
    return "%mt"


def _header(values: list[str]) -> str:
    """A plausible header name for a quoted field (only shown: quoted headers are never read)."""
    inner = [v[1:-1] for v in values if v not in ('"-"', "-", '""')]
    if inner and all("://" in v for v in inner):
        return "Referer"
    if inner and all(_XFF.fullmatch(v) for v in inner):
        return "X-Forwarded-For"
    return "User-Agent"


def infer(head: Sequence[str]) -> Inference:
    """Infer the logformat of a Squid log from its first lines, and check it on them."""
    lines = [line for line in head if line.strip() and not line.lstrip().startswith("#")]
    shaped = [line for line in lines if squid_shaped(line)]
    if not shaped:
        return Inference(None, 0, len(lines), problem="no line looks like a Squid record")
    split = [split_fields(line) for line in shaped]
    width, count = Counter(len(f) for f in split).most_common(1)[0]
    if count < MIN_CHECKED * len(split):
        return Inference(
            None,
            len(shaped),
            len(lines),
            problem="its lines have different numbers of fields (a field with spaces and no quotes?)",
        )
    try:
        spec = _Layout([f for f in split if len(f) == width]).name()
        fmt = LogFormat("inferred", spec)
    except ValueError as exc:  # ConfigError is a ValueError
        return Inference(None, len(shaped), len(lines), problem=str(exc))
    matched = sum(1 for line in lines if fmt.matches(line.strip()))
    read = sum(1 for line in shaped if _names_destination(fmt, line))
    if read < MIN_CHECKED * len(shaped):
        return Inference(
            None,
            len(shaped),
            len(lines),
            matched,
            problem=f"the layout it looks like ({spec}) reads only {read} of its {len(shaped)} record lines",
        )
    return Inference(spec, len(shaped), len(lines), matched)


def _names_destination(fmt: LogFormat, line: str) -> bool:
    rec = fmt.parse(line.strip())
    return rec is not None and SquidLog.destination(rec, rec.get("method", "-")) is not None


class SquidAuto(Source):
    """A Squid access log in a layout no flag named: the logformat is inferred from its first lines."""

    name = "squid-auto"
    role = "proxy"
    description = "Squid access.log in any layout: the logformat is inferred from the first lines"

    def __init__(self) -> None:
        self._last: tuple[tuple[str, ...], Inference] | None = None

    def infer(self, head: Sequence[str]) -> Inference:
        """:func:`infer`, remembered for the last head (sniffing and reading ask for the same one)."""
        key = tuple(head)
        if self._last is None or self._last[0] != key:
            self._last = (key, infer(head))
        return self._last[1]

    def sniff(self, head: Sequence[str]) -> float:
        """Below a format that fits exactly; enough to claim a Squid-shaped input it cannot read (to say so)."""
        inferred = self.infer(head)
        if not inferred.looks_like_squid:
            return -1.0
        if inferred.spec is None:
            return 0.5
        return 0.9 * inferred.matched / max(inferred.sample, 1)

    def resolve(self, head: Sequence[str], origin: str) -> Source:
        """The reader for this input's inferred layout.

        :class:`SquidLayoutUnknown` when the input looks like a Squid log whose layout cannot be inferred;
        this source itself (every line reported bad) when it does not look like one at all.
        """
        inferred = self.infer(head)
        if inferred.spec is not None:
            layout = LogFormat("inferred", inferred.spec)
            return SquidLog(layout, f"squid-auto (inferred layout: {inferred.spec})")
        if inferred.looks_like_squid:
            raise SquidLayoutUnknown(
                f"{origin}: looks like a Squid access log ({inferred.shaped} of its first {inferred.sample} "
                f"lines are proxy records), but its layout could not be inferred: {inferred.problem}; "
                f"nothing was read from it. {HINT[0].upper()}{HINT[1:]}"
            )
        return self

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """Infer from the first lines, then read them all; with no layout, every line is reported bad."""
        it = iter(lines)
        head = list(islice(it, HEAD_LINES))
        inferred = self.infer(head)
        if inferred.spec is not None:
            yield from SquidLog(LogFormat("inferred", inferred.spec), self.name).read(chain(head, it), origin)
            return
        why = f"not a Squid record in a layout that could be inferred ({inferred.problem})"
        for lineno, line in enumerate(chain(head, it), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield Skipped(origin, lineno, why)


class SquidLayoutUnknown(InputError):
    """An input that looks like a Squid log in a layout egressmap cannot infer (exit 3: partial)."""
