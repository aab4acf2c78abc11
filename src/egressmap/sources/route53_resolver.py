"""Route 53 Resolver query logs: JSON lines as delivered to S3 or Firehose, or as CloudWatch Logs exports them.

Each record is one DNS question a VPC asked the Resolver. It becomes a ``dns`` observation of the name (the
``query_name`` without its trailing dot) at tier ``observed``, whose reason names DNS: a lookup shows the name
was wanted, not that a connection followed. A query has no port, so the port is the one egressmap gives every
name seen without one (443, :func:`egressmap.hostnames.default_port`).

Outcomes: a DNS Firewall ``BLOCK`` is ``denied``; ``NXDOMAIN`` is ``nxdomain`` (a failure; a name only ever
answered NXDOMAIN stays in ``scan`` and is left out of exports), ``SERVFAIL`` is ``failed``; any other answer is
``unknown``, since a resolved name says nothing of the
connection. ``ALERT`` and ``ALLOW`` firewall actions keep the rcode's outcome and are named in the reason.
The clients are ``srcaddr`` and, when present, the instance id ``srcids.instance``. Only the major ``version``
is compared (AWS bumps the minor version when it adds fields). The answers are kept by :func:`parse_query` for
a later join with flow logs.

A log asks the same few questions again and again, so :meth:`ResolverLog.read` works each distinct question
out once: the first line with a given (``query_name``, ``query_type``, ``rcode``, firewall action, rule group,
``version``) goes through :func:`parse_query` and :func:`_observation`; a later line whose fields are the same
strings only adds its client, time and count to that observation (``bench/evidence`` measures it). So all an
observation holds but its clients, time, count and first line must follow from that key. A big plain file is
read in two processes (:meth:`ResolverLog.read_whole`, :mod:`.resolver_parts`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple

from ..hostnames import default_port
from ..model import NXDOMAIN, DnsAnswer, Observation, Outcome, Skipped
from .aws_json import (
    BadRecord,
    epoch_of,
    has_keys,
    line_source,
    load_record,
    name_or_skip,
    quick_record,
    text_field,
)
from .interface import Item, Seen, Source, match_ratio
from .obs_tally import ObservationTally, Row

if TYPE_CHECKING:
    from .reader import InputStream

MAJOR_VERSION = "1"
"""The Resolver log major version this reader knows (the format doc's current version is 1.1)."""
_KEYS = frozenset({"query_name", "srcaddr", "version"})
_FAILED_RCODES = frozenset({"NXDOMAIN", "SERVFAIL"})
_REVERSE = (".in-addr.arpa", ".ip6.arpa")
_Key = tuple[object, object, object, object, object, object]
"""A record's query_name, query_type, rcode, firewall action, rule group and version, as logged."""


def _interned(key: _Key) -> _Key:
    """The key with each of its few-valued strings (type, rcode, action, group, version) as one object.

    The name, one of a million, stays as it is: interning it would only fill the interpreter's table.
    """
    name, kind, rcode, action, group, version = key
    intern = sys.intern
    return (
        name,
        intern(kind) if type(kind) is str else kind,
        intern(rcode) if type(rcode) is str else rcode,
        intern(action) if type(action) is str else action,
        intern(group) if type(group) is str else group,
        intern(version) if type(version) is str else version,
    )


class _Skip(NamedTuple):
    """Why lines with a given key are skipped."""

    reason: str
    kind: Literal["malformed", "dropped", "warning"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer record of a query (``Rdata`` is an address for A/AAAA, a name for CNAME)."""

    rdata: str
    type: str
    klass: str = "IN"


@dataclass(frozen=True, slots=True)
class ResolverQuery:
    """One Resolver query log record, parsed (the parts egressmap uses)."""

    name: str
    """``query_name`` without its trailing dot, not yet normalised."""
    query_type: str
    rcode: str
    srcaddr: str
    instance: str | None
    time: float | None
    raw_answers: tuple[Any, ...]
    """``answers`` as logged; :attr:`answers` parses them when asked (most readers never do)."""
    firewall_action: str | None
    firewall_rule_group: str | None
    vpc_id: str | None

    @property
    def outcome(self) -> Outcome:
        """The outcome: denied (DNS Firewall BLOCK), nxdomain (NXDOMAIN), failed (SERVFAIL) or unknown."""
        if self.firewall_action == "BLOCK":
            return "denied"
        if self.rcode in _FAILED_RCODES:
            return NXDOMAIN if self.rcode == "NXDOMAIN" else "failed"
        return "unknown"

    @property
    def answers(self) -> tuple[Answer, ...]:
        """The answer records (``Rdata``, ``Type``, ``Class``); entries without ``Rdata`` are left out."""
        return tuple(
            Answer(str(a.get("Rdata", "")), str(a.get("Type", "")), str(a.get("Class", "IN")))
            for a in self.raw_answers
            if isinstance(a, dict) and a.get("Rdata")
        )

    @property
    def addresses(self) -> tuple[str, ...]:
        """The A and AAAA answers (what a flow to this name would be addressed to)."""
        return addresses_of(self.raw_answers)


def addresses_of(raw_answers: Iterable[Any]) -> tuple[str, ...]:
    """The ``Rdata`` of the A and AAAA records among ``answers`` as logged (as :attr:`ResolverQuery.answers`)."""
    return tuple(
        str(a.get("Rdata", ""))
        for a in raw_answers
        if isinstance(a, dict) and a.get("Rdata") and str(a.get("Type", "")) in ("A", "AAAA")
    )


def parse_query(data: dict[str, Any]) -> ResolverQuery:
    """One record's fields; :class:`~.aws_json.BadRecord` says what is missing or unsupported."""
    version = text_field(data, "version")
    if version.split(".", 1)[0].strip() != MAJOR_VERSION:
        raise BadRecord(
            f"Route 53 Resolver log version {version[:20]} is not supported "
            f"(egressmap reads version {MAJOR_VERSION}.x)"
        )
    name = text_field(data, "query_name").strip().removesuffix(".")
    srcids = data.get("srcids")
    instance = srcids.get("instance") if isinstance(srcids, dict) else None
    raw_answers = data.get("answers") or []
    if not isinstance(raw_answers, list):
        raise BadRecord("field 'answers' is not a list")
    action = data.get("firewall_rule_action")
    group = data.get("firewall_rule_group_id")
    return ResolverQuery(
        name=name,
        query_type=str(data.get("query_type") or "?"),
        rcode=text_field(data, "rcode").upper(),
        srcaddr=text_field(data, "srcaddr"),
        instance=str(instance) if instance else None,
        time=epoch_of(data.get("query_timestamp")),
        raw_answers=tuple(raw_answers),
        firewall_action=str(action).upper() if action else None,
        firewall_rule_group=str(group) if group else None,
        vpc_id=str(data["vpc_id"]) if data.get("vpc_id") else None,
    )


class ResolverLog(Source):
    """Route 53 Resolver query logs."""

    name = "route53-resolver"
    role = "network"
    description = "Route 53 Resolver query logs (JSON lines from S3/Firehose, or CloudWatch Logs exports)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "sees only questions sent to the VPC's Route 53 Resolver: not lookups to other DNS servers, over "
        "DNS-over-HTTPS, or answered from a host's cache or hosts file",
        "a name resolved is not a connection made (connections: flow logs, Network Firewall, a capture)",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """Most lines hold a JSON object with ``query_name``, ``srcaddr`` and ``version``."""
        return match_ratio(head, lambda line: has_keys(line, _KEYS))

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """A ``dns`` observation per distinct query (counted, see :mod:`.obs_tally`); bad records as they come."""
        tally = ObservationTally(origin)
        yield from self.count(lines, origin, tally)
        yield from tally.observations()

    def read_whole(
        self, stream: InputStream, meanwhile: Callable[[], None] | None = None
    ) -> Iterator[Item] | None:
        """A big plain file read in two processes (:mod:`.resolver_parts`); None when it is read line by line."""
        from .resolver_parts import read_in_parts

        return read_in_parts(self, stream, meanwhile)

    def count(self, lines: Iterable[str], origin: str, tally: ObservationTally) -> Iterator[Item]:
        """Count the lines' queries into ``tally``; yield bad records, dropped lines and (when asked) answers.

        Each distinct question is worked out once (see the module's docstring): ``known`` maps its key to the
        tally row its observation went to, or to the reason its lines are skipped.
        """
        known: dict[_Key, Row | _Skip] = {}
        stamp: object = None
        when: float | None = None
        for lineno, line in enumerate(lines, 1):
            data = quick_record(line)
            if data is None:
                if not line.strip():
                    continue
                try:
                    data = load_record(line)
                except BadRecord as exc:
                    yield Skipped(origin, lineno, f"bad Route 53 Resolver record: {exc}")
                    continue
            get = data.get
            key = (
                get("query_name"),
                get("query_type"),
                get("rcode"),
                get("firewall_rule_action"),
                get("firewall_rule_group_id"),
                get("version"),
            )
            srcaddr, answers = get("srcaddr"), get("answers")
            if type(srcaddr) is str and srcaddr.strip() and (not answers or type(answers) is list):
                try:  # only keys of strings and None are kept, and a string equals only a string
                    seen = known.get(key)
                except TypeError:  # a list or an object where a string belongs (unhashable)
                    seen = None
                if isinstance(seen, Row):  # a question seen before: count this line
                    ids = get("srcids")
                    instance = ids.get("instance") if type(ids) is dict else None
                    now = get("query_timestamp")
                    if now != stamp or type(now) is not str:  # lines share their second: parse it once
                        stamp, when = now, epoch_of(now)
                    seen.again((srcaddr, str(instance)) if instance else (srcaddr,), when)
                    if self.answers and answers:
                        host = seen.host
                        for address in addresses_of(answers):
                            yield DnsAnswer(srcaddr, address, host, when, origin)
                    continue
                if seen is not None:
                    yield Skipped(origin, lineno, seen.reason, seen.kind)
                    continue
            # the first line of its kind, or one with an odd field: the ordinary path
            try:
                query = parse_query(data)
            except BadRecord as exc:
                yield Skipped(origin, lineno, f"bad Route 53 Resolver record: {exc}")
                continue
            where = f"{origin}:{lineno}" if line[0] == "{" else line_source(origin, lineno, line)
            item = _observation(query, where, origin, lineno)
            plain = all(part is None or type(part) is str for part in key)
            if plain:  # kept for the whole read: equal strings (rcodes, versions) kept once
                key = _interned(key)
            if isinstance(item, Skipped):
                if plain:
                    known[key] = _Skip(item.reason, item.kind)
                yield item
                continue
            row = tally.add(item)
            if plain:
                known[key] = row
            if self.answers:
                for address in query.addresses:
                    yield DnsAnswer(query.srcaddr, address, item.host, query.time, origin)


def _observation(query: ResolverQuery, where: str, origin: str, lineno: int) -> Seen:
    if query.name.lower().endswith(_REVERSE):
        return Skipped(origin, lineno, f"reverse lookup ({query.query_type}): {query.name}", kind="dropped")
    host = name_or_skip(query.name, origin, lineno)
    if isinstance(host, Skipped):
        return host
    return Observation(
        host=host,
        port=default_port(None),
        kind="dns",
        tier="observed",
        reason=_reason(query),
        source=where,
        outcome=query.outcome,
        clients=_clients(query.srcaddr, query.instance),
        time=query.time,
    )


@lru_cache(maxsize=4096)
def _clients(srcaddr: str, instance: str | None) -> tuple[str, ...]:
    """A first line's clients, the same tuple for the same client: a log's many names share a few clients."""
    return (srcaddr, instance) if instance else (srcaddr,)


def _reason(query: ResolverQuery) -> str:
    what = "DNS query seen in a Route 53 Resolver query log (DNS only: no connection seen)"
    if query.firewall_action == "BLOCK":
        return f"{what}; blocked by DNS Firewall (BLOCK, rule group {query.firewall_rule_group or '?'})"
    if query.firewall_action:
        what += (
            f"; DNS Firewall action {query.firewall_action} (rule group {query.firewall_rule_group or '?'})"
        )
    if query.rcode in _FAILED_RCODES:
        what += f"; answered {query.rcode}"
    return what
