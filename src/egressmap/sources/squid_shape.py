"""What a Squid access-log line looks like: its fields, the kind of each value, and a quick shape test.

:mod:`.squid_infer` names a layout's fields from these kinds; :func:`counting` finds proxy records among the
lines of an input read as something else (free text), so the report can say how many there were.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

_METHOD_NAMES = (
    "GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH PURGE PROPFIND PROPPATCH MKCOL COPY MOVE LOCK "
    "UNLOCK SEARCH REPORT"
)
_METHODS = frozenset(_METHOD_NAMES.split())
_METHOD_RE = "|".join(_METHODS)
_RESULT = r"(?:(?:TCP|UDP|TAG)_[A-Z_]+|NONE(?:_[A-Z_]+)?)"
_RESULT_STATUS = re.compile(rf"{_RESULT}/\d{{1,3}}")
_RESULT_HIER = re.compile(rf"{_RESULT}:[A-Z_]+")
_RESULT_ONLY = re.compile(r"(?:TCP|UDP|TAG|NONE)_[A-Z_]+")
_HIER = re.compile(r"(?:HIER_[A-Z_]+|DIRECT|NONE|[A-Z_]*(?:PARENT|SIBLING|PEER)[A-Z_]*)(?:/\S*)?")
_DATE = re.compile(r"\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2}(?:\.\d+)?")
_ZONE = re.compile(r"[+-]\d{4}")
_EPOCH = re.compile(r"\d{9,10}\.\d{1,6}")
_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://\S*")
_HOSTPORT = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*):\d{1,5}")
_HOST = re.compile(r"(?=[^/]*[A-Za-z])[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+\.?")
_MIME = re.compile(r"[a-z]+/[A-Za-z0-9.+-]+(?:;\S*)?")
_REQUEST = re.compile(r"(?P<method>[A-Z]+|-) (?P<url>\S+)(?P<proto> [A-Za-z-]+/[\d.]+)?")
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|\[[^\]]*\]|\S+')

# a fast test for "this line is a proxy record", used on every line of a text input
_SHAPED_RESULT = re.compile(
    r"(?:^|[\s\"])(?:(?:TCP|UDP|TAG|NONE)_[A-Z_]+(?:/\d{1,3}|:[A-Z_]+)?|NONE/\d{1,3})(?=[\s\"]|$)"
)
_SHAPED_REQUEST = re.compile(
    rf"(?:^|[\s\"])(?:{_METHOD_RE})\s+(?:[A-Za-z][\w+.-]*://|\[[0-9a-fA-F:.]+\]:\d|[\w-]+(?:\.[\w-]+)*:\d"
    r"|[\w-]+\.[\w.-]*[A-Za-z])"
)
# or a method and a target apart (``... CONNECT 200 TCP_TUNNEL:HIER_DIRECT api.github.com:443``)
_SHAPED_METHOD = re.compile(rf"(?:^|[\s\"])(?:{_METHOD_RE})(?=\s)")
_SHAPED_TARGET = re.compile(
    r"(?:^|\s)(?:[A-Za-z][\w+.-]*://\S|\[[0-9a-fA-F:.]+\]:\d+(?=\s|$)|[\w-]+(?:\.[\w-]+)+:\d+(?=\s|$))"
)
_PLACEHOLDER = re.compile(r"-|-:-|-:\d+|NONE")
"""What Squid logs for a value it does not have (``-``, ``NONE`` as a method, ``-:-`` for no server)."""


def squid_shaped(line: str) -> bool:
    """True for a line that looks like a Squid access-log record: a result code and a request.

    >>> squid_shaped('10.1.2.3 TCP_DENIED:HIER_NONE "CONNECT evil.example:443 HTTP/1.1"')
    True
    >>> squid_shaped("GET http://example.com/ returned 200")
    False
    """
    if "_" not in line and "NONE/" not in line:
        return False
    if _SHAPED_RESULT.search(line) is None:
        return False
    if _SHAPED_REQUEST.search(line) is not None:
        return True
    return _SHAPED_METHOD.search(line) is not None and _SHAPED_TARGET.search(line) is not None


def split_fields(line: str) -> list[str]:
    """A line's fields: whitespace-separated, a quoted string or ``[...]`` one field, a ``%tl`` time one field.

    >>> split_fields('1.2.3.4 [21/Nov/2026:10:00:01 +0000] "GET http://a.b/ HTTP/1.1" 21/Nov/2026:10:00:01 +0000')
    ['1.2.3.4', '[21/Nov/2026:10:00:01 +0000]', '"GET http://a.b/ HTTP/1.1"', '21/Nov/2026:10:00:01 +0000']
    """
    raw = _TOKEN.findall(line)
    out: list[str] = []
    i = 0
    while i < len(raw):
        if i + 1 < len(raw) and _DATE.fullmatch(raw[i]) and _ZONE.fullmatch(raw[i + 1]):
            out.append(f"{raw[i]} {raw[i + 1]}")
            i += 2
            continue
        out.append(raw[i])
        i += 1
    return out


def _is_ip(token: str) -> bool:
    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True


def kind_of(token: str) -> str:  # noqa: PLR0911 - one return per kind reads best
    """The kind of one field value (``dash`` for ``-``, which fits any field)."""
    if token == "-" or _PLACEHOLDER.fullmatch(token):
        return "dash"
    first = token[0]
    if first == '"' and len(token) > 1 and token.endswith('"'):
        request = _REQUEST.fullmatch(token[1:-1])
        if request and (request["method"] in _METHODS or request["method"] == "-"):
            if request["proto"]:
                return "request3"
            url = request["url"]
            if _URL.fullmatch(url) or _HOSTPORT.fullmatch(url) or url.startswith("error:"):
                return "request2"
        return "quoted"
    if first == "[" and token.endswith("]"):
        inner = token[1:-1].split(" ")
        if len(inner) == 2 and _DATE.fullmatch(inner[0]) and _ZONE.fullmatch(inner[1]):
            return "tl-bracketed"
        return "bracketed"
    if " " in token:
        return "tl"  # fields() joins only a date and its zone
    if token.isdigit():
        return "int"
    if _EPOCH.fullmatch(token):
        return "epoch"
    if _RESULT_STATUS.fullmatch(token):
        return "result/status"
    if _RESULT_HIER.fullmatch(token):
        return "result:hier"
    if _RESULT_ONLY.fullmatch(token):
        return "result"
    if token in _METHODS:
        return "method"
    if _HIER.fullmatch(token):
        return "hier"
    if _URL.fullmatch(token):
        return "url"
    if token.startswith(("error:", "cache_object:", "internal:")):
        return "no-url"
    if _is_ip(token):
        return "ip"
    if _HOSTPORT.fullmatch(token):
        return "hostport"
    if _HOST.fullmatch(token):
        return "host"
    if _MIME.fullmatch(token):
        return "mime"
    return "word"


@dataclass
class ProxyLines:
    """Squid-shaped lines seen in an input read as something else: how many, and the first line numbers."""

    count: int = 0
    first: list[int] = field(default_factory=list)


def counting(lines: Iterable[str], seen: ProxyLines, keep: int = 20) -> Iterator[str]:
    """Pass ``lines`` through, counting the Squid-shaped ones in ``seen`` (the first ``keep`` by number)."""
    shaped = squid_shaped
    for lineno, line in enumerate(lines, 1):
        if ("_" in line or "NONE/" in line) and shaped(line):
            seen.count += 1
            if len(seen.first) < keep:
                seen.first.append(lineno)
        yield line
