"""Counting identical observations of a structured log in place (one Observation per distinct kind of line).

DNS and firewall logs repeat a few names very many times; the readers add each line's observation here and yield
the counted ones at the end, as the Squid reader does (:mod:`.squid_tally`). Memory grows with the distinct
(host, port, kind, outcome, reason, scheme) keys, not with the lines. The source of a counted observation is its
first line; its clients are a sample; ``time`` and ``last_time`` span its lines.

A log with a million names has a million rows, so a row is kept small: not an Observation (that is made when the
row is yielded) but the host, the fields it shares with many rows (one tuple for all of them), the first line's
number rather than its ``file:line`` text, and its clients as a tuple.

A log read in parts (:mod:`.resolver_parts`) counts each part in a tally of its own, and
:meth:`ObservationTally.absorb` joins them in file order: the result is what one pass over the file gives.
"""

from __future__ import annotations

import pickle
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter
from typing import Any, BinaryIO, get_args

from ..model import Kind, Observation, Outcome, Tier

MAX_CLIENTS = 50
"""Clients kept per counted observation (a sample, as for Squid logs)."""

_Shared = tuple[int, Kind, Outcome, str, str | None]
"""What a row shares with many others: port, kind, outcome, reason, scheme (with the host, its key)."""
_Key = tuple[str, _Shared]
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
    """One counted observation: its first line's fields, the count, a sample of clients, the time span.

    Its fields are an Observation's, in their order (the same size: the memory of a row let go serves the
    observation made of it, see :meth:`ObservationTally.observations`).
    """

    host: str
    port: int
    kind: Kind
    tier: Tier
    reason: str
    where: int | str
    """The first line: its number in the tally's input, or its source as the observation gave it."""
    scheme: str | None
    outcome: Outcome
    clients: tuple[str, ...]
    start: float | None
    end: float | None
    url: str | None
    count: int

    def again(self, clients: tuple[str, ...], time: float | None, count: int = 1) -> None:
        """Count more lines of this observation, from these clients at this time."""
        self.count += count
        kept = self.clients
        if clients != kept and len(kept) < MAX_CLIENTS:
            for client in clients:
                if len(kept) < MAX_CLIENTS and client not in kept:
                    kept += (sys.intern(client),)  # the same few clients in many rows: kept once
            self.clients = kept
        if time is not None:
            if self.start is None or time < self.start:
                self.start = time
            if self.end is None or time > self.end:
                self.end = time


CHUNK = 10_000
"""Rows per pickle when a tally is sent (:meth:`ObservationTally.send`)."""


class ObservationTally:
    """Identical observations (but for source, clients and time) counted together.

    ``origin``: the input whose lines the observations' sources name (``origin:line``); such a source is kept
    as its line number. A tally crosses a pipe with :meth:`send` and :meth:`receive`, in chunks, and pickles
    as plain tuples too.
    """

    def __init__(self, origin: str | None = None) -> None:
        self.origin = origin
        self.rows: dict[_Key, Row] = {}
        self._shared: dict[_Shared, _Shared] = {}

    def add(self, obs: Observation) -> Row:
        """Count one observation; its row, for a reader that counts more lines of it (:meth:`Row.again`)."""
        shared = (obs.port, obs.kind, obs.outcome, obs.reason, obs.scheme)
        key = (obs.host, self._shared.setdefault(shared, shared))
        row = self.rows.get(key)
        if row is None:
            clients = obs.clients
            if len(clients) > 1 and (len(set(clients)) < len(clients) or len(clients) > MAX_CLIENTS):
                clients = tuple(dict.fromkeys(clients))[:MAX_CLIENTS]
            row = self.rows[key] = Row(
                obs.host,
                obs.port,
                obs.kind,
                obs.tier,
                obs.reason,
                self._line(obs.source),
                obs.scheme,
                obs.outcome,
                clients,
                obs.time,
                obs.time,
                obs.url,
                obs.count,
            )
        else:
            row.again(obs.clients, obs.time, obs.count)
        return row

    def _line(self, source: str) -> int | str:
        """A source of this tally's input as its line number; any other as it is."""
        origin = self.origin
        if origin is not None and source.startswith(origin) and source[len(origin) : len(origin) + 1] == ":":
            number = source[len(origin) + 1 :]
            if number.isascii() and number.isdigit() and number[0] != "0":
                return int(number)
        return source

    def _source(self, where: int | str) -> str:
        return f"{self.origin}:{where}" if type(where) is int else str(where)

    def absorb(self, later: ObservationTally, offset: int) -> None:
        """Join the tally of the next part of the same log, whose line numbers count from ``offset`` + 1.

        ``later`` is emptied. Counts and times add up. The client sample is the whole's too: when this part has
        fewer than :data:`MAX_CLIENTS` clients, the later part's sample holds at most that many of them, so it
        holds the first new ones the whole needs.
        """
        rows, later.rows = later.rows, {}
        take = rows.pop
        mine = self.rows
        same = later.origin == self.origin
        # each of its rows is taken over or let go as it comes: never both tallies whole
        for key in list(rows):
            row = take(key)
            kept = mine.get(key)
            if kept is None:
                where = row.where
                if type(where) is int and same:
                    row.where = where + offset
                else:
                    row.where = self._line(shifted(later._source(where), offset))
                mine[(row.host, self._shared.setdefault(key[1], key[1]))] = row
                continue
            kept.again(row.clients, row.start, row.count)
            if row.end is not None:
                kept.again((), row.end, 0)

    def observations(self) -> Iterator[Observation]:
        """The counted observations, in the order their first line came; the tally is emptied as they go.

        Each row is let go once its observation is made, so the rows and what is made of them (a table of
        destinations) are not both held whole.
        """
        rows = list(self.rows.values())
        self.rows = {}  # its table (41 MB for a million rows) let go now, before the caller's table grows
        rows.reverse()
        take = rows.pop
        source = self._source
        while rows:
            row = take()  # (let go here: its memory serves the observation, an object of its size)
            count = row.count
            yield Observation(
                row.host,
                row.port,
                row.kind,
                row.tier,
                row.reason,
                source(row.where),
                row.scheme,
                row.outcome,
                row.clients,
                row.start,
                row.end if count > 1 else None,
                row.url,
                count,
            )

    # --- crossing a pipe ---------------------------------------------------------------------------------------

    def send(self, out: BinaryIO) -> None:
        """Write the tally to ``out`` as :meth:`receive` reads it, and empty it.

        A pickle per :data:`CHUNK` rows: neither end holds a pickle's memo of every row.
        """
        pickle.dump(self.origin, out, pickle.HIGHEST_PROTOCOL)
        rows, self.rows = self.rows, {}
        states = _states(rows.values())
        while batch := list(islice(states, CHUNK)):
            pickle.dump(batch, out, pickle.HIGHEST_PROTOCOL)
        pickle.dump(None, out, pickle.HIGHEST_PROTOCOL)

    @classmethod
    def receive(cls, inp: BinaryIO) -> ObservationTally:
        """The tally :meth:`send` wrote."""
        tally = cls(pickle.load(inp))  # noqa: S301 - our own forked reader's output
        while (batch := pickle.load(inp)) is not None:  # noqa: S301
            tally.extend(batch)
        return tally

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled as its rows, each a tuple, which pickle hands to :meth:`extend` in batches as it reads."""
        return (ObservationTally, (self.origin,), None, _states(self.rows.values()))

    def extend(self, states: Iterable[tuple[Any, ...]]) -> None:
        """Add rows in their sent form (:meth:`send`, :meth:`__reduce__`); the rows are new to this tally."""
        rows, common = self.rows, self._shared
        tiers = _TIERS
        for host, port, kind, tier, reason, where, scheme, outcome, clients, start, end, url, count in states:
            shared = (port, kind, outcome, reason, scheme)
            shared = common.setdefault(shared, shared)  # its strings are this tally's, not each batch's copy
            port, kind, outcome, reason, scheme = shared
            row = Row(
                host, port, kind, tiers[tier], reason, where, scheme, outcome, clients, start, end, url, count
            )
            rows[(host, shared)] = row


_TIERS: dict[str, Tier] = {tier: tier for tier in get_args(Tier)}
_STATE = attrgetter(*Row.__slots__)


def _states(rows: Iterable[Row]) -> Iterator[tuple[Any, ...]]:
    return map(_STATE, rows)
