"""What an input that gave no destination at all looked like, so egressmap can say so instead of staying silent.

Structured data egressmap does not read (JSON lines, a JSON document, CSV/TSV with a header) is recognised by a
registry of small recognisers; :func:`recognise` gives the first one's :class:`Shape`. Squid-shaped lines are
not here: a Squid log is inferred when it is chosen (``squid_infer``), and Squid records found while reading free
text are counted on the way (``squid_shape``); ``ingest`` names both.
:func:`contents` says what was in the input instead (lines, blank, comments, malformed, dropped).

>>> recognise(['{"version":"1.100000","query_name":"pypi.org.","srcaddr":"10.0.0.5"}']).name
'JSON lines, a Route 53 Resolver query log'
>>> recognise(["host,port,count", "pypi.org,443,3"]).detail
'columns: host, port, count'
>>> recognise(["Get:1 http://archive.ubuntu.com/ubuntu noble InRelease"]) is None
True
"""

from __future__ import annotations

import csv
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

MAX_KEYS = 6
"""Keys or columns named in a message (then ``...``)."""
MIN_SHARE = 0.8
"""Share of the sampled lines that must fit a shape."""


@dataclass(frozen=True)
class Shape:
    """Structured data egressmap does not read: what it looks like and what to do."""

    name: str
    """``JSON lines`` (with what it probably is, when known), ``CSV with a header``..."""
    detail: str
    """Its keys or columns."""
    advice: str
    """What the user can do now."""

    def sentence(self) -> str:
        """The message for stderr."""
        return (
            f"looks like {self.name} ({self.detail}): egressmap does not read this format yet; {self.advice}"
        )


class Recogniser(ABC):
    """One kind of structured input."""

    @abstractmethod
    def recognise(self, lines: Sequence[str]) -> Shape | None:
        """The shape of these (non-blank) first lines, or None when they are not this kind."""


_KNOWN_JSON: tuple[tuple[frozenset[str], str, str], ...] = (
    (
        frozenset({"query_name", "srcaddr"}),
        "a Route 53 Resolver query log",
        "jq -r '.query_name | rtrimstr(\".\")' FILE",
    ),
    (
        frozenset({"firewall_name", "event"}),
        "an AWS Network Firewall log",
        "jq -r '.event.tls.sni // .event.http.hostname // empty' FILE",
    ),
)
"""Key sets of JSON logs worth naming, with a command that lists their host names."""


class JsonLines(Recogniser):
    """One JSON object per line (Route 53 Resolver, Network Firewall, CloudTrail, Zeek JSON...)."""

    def recognise(self, lines: Sequence[str]) -> Shape | None:
        """Most lines are JSON objects, maybe after a prefix (``aws logs tail``'s time and stream).

        The keys named are the first object's.
        """
        objects = [obj for obj in map(_json_object, lines) if obj is not None]
        prefixed = False
        if len(objects) < MIN_SHARE * len(lines):
            objects = [obj for obj in map(_prefixed_json_object, lines) if obj is not None]
            prefixed = True
        if not objects or len(objects) < MIN_SHARE * len(lines):
            return None
        keys = list(objects[0])
        name, command = "JSON lines", "jq"
        for needed, what, example in _KNOWN_JSON:
            if needed <= set(keys):
                name, command = f"JSON lines, {what}", example
                break
        if prefixed:
            name += " after a prefix on each line (a time, a log stream)"
            command = "cut the prefix, then " + command
        return Shape(
            name,
            _named("keys", keys),
            f"write its host names one per line into a plain list ({command}) and give that list",
        )


class JsonDocument(Recogniser):
    """One JSON document over many lines (a pretty-printed export)."""

    def recognise(self, lines: Sequence[str]) -> Shape | None:
        """The first line opens an object or an array and no line is a whole object."""
        first = lines[0].strip()
        if first not in ("{", "[") and not re.match(r'^[\[{]\s*["{\[]', first):
            return None
        if any(_json_object(line) is not None for line in lines):
            return None
        return Shape(
            "a JSON document",
            "spread over several lines",
            "write its host names one per line into a plain list (jq can) and give that list",
        )


class Delimited(Recogniser):
    """CSV or TSV with a header line (a spreadsheet or query export, Zeek's ``#fields``)."""

    DELIMITERS = (",", "\t", ";", "|")

    def recognise(self, lines: Sequence[str]) -> Shape | None:
        """A header of column names and rows with as many fields."""
        zeek = next((line for line in lines if line.startswith("#fields\t")), None)
        if zeek is not None:  # a log the zeek source does not read (files, x509...): it sniffs the others
            path = next((line.split("\t")[1] for line in lines if line.startswith("#path\t")), "")
            return Shape(
                f"TSV with a header (Zeek's #fields{', a ' + path[:40] + ' log' if path else ''})",
                _named("columns", zeek.split("\t")[1:]),
                "egressmap reads Zeek's dns, ssl, http and conn logs (--format zeek): give those",
            )
        header, rows = lines[0], [line for line in lines[1:] if not line.startswith("#")]
        if not rows:
            return None
        for delimiter in self.DELIMITERS:
            if delimiter + " " in header:  # prose ("Reading state information, Done"), not an export's header
                continue
            names = _fields(header, delimiter)
            if len(names) < 2 or not all(_COLUMN.match(n.strip()) for n in names):
                continue
            fits = sum(1 for row in rows if len(_fields(row, delimiter)) == len(names))
            if fits >= MIN_SHARE * len(rows):
                kind = "TSV" if delimiter == "\t" else "CSV"
                return self._shape(f"{kind} with a header", [n.strip() for n in names])
        return None

    @staticmethod
    def _shape(name: str, columns: Sequence[str]) -> Shape:
        return Shape(
            name,
            _named("columns", columns),
            "write the host (or URL) column one per line into a plain list and give that list",
        )


_COLUMN = re.compile(r"^[A-Za-z_][\w .()/-]{0,40}$")
"""A column name: a word, not a value such as a host name with dots or a number."""

RECOGNISERS: list[Recogniser] = [JsonLines(), JsonDocument(), Delimited()]
"""Tried in order; a new kind of structured input is one more small class here."""


def recognise(lines: Sequence[str]) -> Shape | None:
    """The shape of an input's first lines, when it is structured data egressmap does not read."""
    sample = [line for line in lines if line.strip()]
    if not sample:
        return None
    for recogniser in RECOGNISERS:
        found = recogniser.recognise(sample)
        if found is not None:
            return found
    return None


def contents(lines: Sequence[str], total: int, skipped: Sequence[int], counts: dict[str, int]) -> str:
    """What was in an input; ``lines`` are its first lines (all of them when ``len(lines) == total``).

    ``skipped`` are line numbers the reader left empty (reported on their own); ``counts`` the malformed and
    dropped lines of the whole input.

    >>> contents(["", "# c", "hello"], 3, [], {"malformed": 0, "dropped": 0})
    '3 lines: 1 blank, 1 comment, 0 malformed, 0 dropped'
    """
    if not total:
        return "the input is empty"
    gone = set(skipped)
    blank = sum(1 for i, line in enumerate(lines, 1) if not line.strip() and i not in gone)
    comments = sum(1 for line in lines if line.lstrip().startswith(("#", "//")))
    looked = f"{blank} blank, {comments} comment{'s' if comments != 1 else ''}"
    bad = f"{counts.get('malformed', 0)} malformed, {counts.get('dropped', 0)} dropped"
    if len(lines) >= total:
        return f"{total} line{'s' if total != 1 else ''}: {looked}, {bad}"
    return f"{total} lines: {bad}; in the first {len(lines)}: {looked}"


def _json_object(line: str) -> dict[str, object] | None:
    text = line.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data else None


def _prefixed_json_object(line: str) -> dict[str, object] | None:
    """A JSON object after a short prefix without braces, such as ``2026-11-03T09:14:21Z stream {...}``."""
    start = line.find("{")
    return _json_object(line[start:]) if 0 < start <= MAX_PREFIX else None


MAX_PREFIX = 160
"""Longest prefix before a JSON object on a line (a timestamp, a log group and stream)."""


def _fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []


def _named(what: str, names: Sequence[str]) -> str:
    shown = ", ".join(str(n)[:40] for n in names[:MAX_KEYS])
    return f"{what}: {shown}" + (", ..." if len(names) > MAX_KEYS else "")
