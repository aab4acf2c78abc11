"""Counting identical observations of a structured log in place (one Observation per distinct kind of line).

DNS and firewall logs repeat a few names very many times; the readers add each line's observation here and yield
the counted ones at the end, as the Squid reader does (:mod:`.squid_tally`). Memory grows with the distinct
(host, port, kind, outcome, reason, scheme) keys, not with the lines. The source of a counted observation is its
first line; its clients are a sample; ``time`` and ``last_time`` span its lines.

A log read in parts (:mod:`.resolver_parts`) counts each part in a tally of its own, and
:meth:`ObservationTally.absorb` joins them in file order: the result is what one pass over the file gives.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields, replace
from operator import attrgetter
from typing import Any

from ..model import Observation

MAX_CLIENTS = 50
"""Clients kept per counted observation (a sample, as for Squid logs)."""

_Key = tuple[str, int, str, str, str, str | None]
_SOURCE = re.compile(r"(.*):(\d+)((?: \(.*\))?)", re.DOTALL)


def shifted(source: str, offset: int) -> str:
    """A source ``offset`` lines on: ``file:line``, or ``file:line (group stream)`` (a CloudWatch export's line).

    >>> shifted("r53.log:7", 100), shifted("f.log:3 (/aws/r vpc-1_i-2)", 10), shifted("catalog", 5)
    ('r53.log:107', 'f.log:13 (/aws/r vpc-1_i-2)', 'catalog')
    """
    match = _SOURCE.fullmatch(source)
    return f"{match[1]}:{int(match[2]) + offset}{match[3]}" if match else source


@dataclass(slots=True)
class Row:
    """One counted observation: its first line's observation, the count, a sample of clients, the time span.

    ``clients`` is None until a second line names a client (the first observation's are the sample until then):
    most rows of a log with a million names are counted once or from one client.
    """

    first: Observation
    count: int
    clients: dict[str, None] | None
    start: float | None
    end: float | None

    def sample(self) -> tuple[str, ...]:
        """The clients kept, in the order first seen."""
        return self.first.clients if self.clients is None else tuple(self.clients)

    def again(self, clients: tuple[str, ...], time: float | None, count: int = 1) -> None:
        """Count more lines of this observation, from these clients at this time."""
        self.count += count
        kept = self.clients
        if kept is None:
            if clients == self.first.clients or not clients:
                clients = ()
            else:
                kept = self.clients = dict.fromkeys(self.first.clients)
        if kept is not None and len(kept) < MAX_CLIENTS:
            for client in clients:
                if len(kept) < MAX_CLIENTS and client not in kept:
                    kept[sys.intern(client)] = None  # the same few clients in many rows: kept once
        if time is not None:
            if self.start is None or time < self.start:
                self.start = time
            if self.end is None or time > self.end:
                self.end = time


class ObservationTally:
    """Identical observations (but for source, clients and time) counted together.

    It pickles as plain tuples (:meth:`__getstate__`): a forked reader's tally of half a million rows comes back
    through a pipe (:mod:`.parallel`) several times quicker than the rows and observations as objects.
    """

    def __init__(self) -> None:
        self.rows: dict[_Key, Row] = {}

    def __getstate__(self) -> list[tuple[Any, ...]]:
        """Each row as a tuple: its first observation's fields, then count, clients (or None), start, end."""
        fields = _FIELDS
        return [(fields(r.first), r.count, r.clients, r.start, r.end) for r in self.rows.values()]

    def __setstate__(self, state: list[tuple[Any, ...]]) -> None:
        rows: dict[_Key, Row] = {}
        for values, count, clients, start, end in state:
            obs = Observation(*values)
            rows[(obs.host, obs.port, obs.kind, obs.outcome, obs.reason, obs.scheme)] = Row(
                obs, count, clients, start, end
            )
        self.rows = rows

    def add(self, obs: Observation) -> Row:
        """Count one observation; its row, for a reader that counts more lines of it (:meth:`Row.again`)."""
        key = (obs.host, obs.port, obs.kind, obs.outcome, obs.reason, obs.scheme)
        row = self.rows.get(key)
        if row is None:
            clients = obs.clients
            kept = dict.fromkeys(clients) if len(clients) > 1 and len(set(clients)) < len(clients) else None
            row = self.rows[key] = Row(obs, obs.count, kept, obs.time, obs.time)
        else:
            row.again(obs.clients, obs.time, obs.count)
        return row

    def absorb(self, later: ObservationTally, offset: int) -> None:
        """Join the tally of the next part of the same log, whose line numbers count from ``offset`` + 1.

        Counts and times add up. The client sample is the whole's too: when this part has fewer than
        :data:`MAX_CLIENTS` clients, the later part's sample holds at most that many of them, so it holds the
        first new ones the whole needs.
        """
        for key, row in later.rows.items():
            mine = self.rows.get(key)
            if mine is None:
                first = replace(row.first, source=shifted(row.first.source, offset))
                self.rows[key] = Row(first, row.count, row.clients, row.start, row.end)
                continue
            mine.again(row.sample(), row.start, row.count)
            if row.end is not None:
                mine.again((), row.end, 0)

    def observations(self) -> Iterator[Observation]:
        """The counted observations, in the order their first line came; the tally is emptied as they go.

        Each row is let go once its observation is made, so the rows and what is made of them (a table of
        destinations) are not both held whole.
        """
        rows, self.rows = self.rows, {}
        for key in list(rows):
            row = rows.pop(key)
            f, count = row.first, row.count
            if count == f.count == 1 and row.clients is None and f.last_time is None and row.start == f.time:
                yield f  # a line of its own: its observation as it came (times are its time)
                continue
            yield Observation(
                f.host,
                f.port,
                f.kind,
                f.tier,
                f.reason,
                f.source,
                f.scheme,
                f.outcome,
                row.sample(),
                row.start,
                row.end if count > 1 else None,
                f.url,
                count,
            )


_FIELDS = attrgetter(*(f.name for f in fields(Observation)))
"""An observation's fields in the order its constructor takes them."""
