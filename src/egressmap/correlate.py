"""Name the connections that flow and firewall logs record by address, from DNS answers in other inputs.

A VPC flow log, an NSG flow log or a Zeek ``conn.log`` names no host: each connection is an IP address. A
Route 53 Resolver log, a Zeek ``dns.log`` or a capture of the same hosts says which name an address was the
answer for. :class:`AnswerBook` keeps the answers (client, address -> names and when); :class:`Correlator`
holds back the address-only connections of ``network`` sources while the inputs are read and names each one at
the end from an answer **to the same client** given at most :data:`WINDOW` before the connection (and at most
:data:`SKEW` after it, for clocks and log granularity). A connection no answer names stays an IP entry whose
reason says "unattributed IP": it is never dropped.

Answers are collected only when the inputs hold both a source that sees answers and one that records
connections by address (:func:`plan`, from each input's first lines), so a Resolver log read alone costs
nothing more.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import InputError
from .hostnames import is_ip
from .model import DnsAnswer, Observation
from .sources import SourceOptions, choose
from .sources.interface import Source, choose_binary
from .sources.reader import InputStream

WINDOW = 3600.0
"""Seconds an answer names later connections to its address (resolvers and clients cache answers for their
TTL; an hour covers the TTLs AWS and the common CDNs give)."""
SKEW = 60.0
"""Seconds a connection may seem to start before its answer (clocks, and flow logs' whole-second times)."""
MAX_PAIRS = 1_000_000
"""(client, address) pairs kept; later pairs are not (their connections stay unattributed, and scan says so)."""
ANSWER_SOURCES = frozenset({"route53-resolver", "zeek", "pcap"})
"""Sources that yield DNS answers when asked."""
ADDRESS_SOURCES = frozenset(
    {"vpc-flow", "azure-flow", "zeek", "pcap", "aws-network-firewall", "suricata-eve", "azure-firewall"}
)
"""Sources that may record a connection by its address only."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What reading these inputs together needs."""

    answers: bool = False
    """Collect DNS answers: some input may record connections by address and some input sees answers."""
    bypass: bool = False
    """Watch for traffic that went around the proxy: a proxy log and a network source are both present."""


def plan(
    paths: Sequence[str], sources: Mapping[str, Source], wanted: str, options: SourceOptions | None
) -> Plan:
    """Sniff each input's first lines (a local file; stdin and the like count as any kind) to see what it is."""
    kinds: set[str] = set()
    roles: set[str] = set()
    for path in paths:
        source = _source_of(path, sources, wanted, options)
        if source is None:
            return Plan(answers=True, bypass=True)
        kinds.add(source.name)
        roles.add(source.role)
    answers = bool(kinds & ADDRESS_SOURCES) and bool(kinds & ANSWER_SOURCES)
    return Plan(answers=answers, bypass="network" in roles and "proxy" in roles)


def _source_of(
    path: str, sources: Mapping[str, Source], wanted: str, options: SourceOptions | None
) -> Source | None:
    if wanted not in ("auto", "squid-custom") and wanted in sources:
        return sources[wanted]
    if path == "-" or not Path(path).is_file():
        return None
    try:
        stream = InputStream(path)
    except InputError:
        return sources["text"]  # it fails again, and is reported, when it is read
    try:
        if stream.capture:
            return choose_binary(stream.capture, sources, wanted, stream.origin)
        return choose(stream.head, sources, wanted, stream.origin, options)
    except InputError:
        return sources["text"]
    finally:
        stream.close()


@dataclass(slots=True)
class _Seen:
    first: float | None
    last: float | None
    origin: str


@dataclass
class AnswerBook:
    """DNS answers by (client, address): each name given, when first and last, and from which input."""

    pairs: dict[tuple[str, str], dict[str, _Seen]] = field(default_factory=dict)
    dropped: int = 0
    """Answers not kept because the book was full."""

    def add(self, answer: DnsAnswer) -> None:
        """Remember one answer."""
        self.merge(answer.client, answer.address, answer.name, answer.time, answer.time, answer.origin)

    def merge(
        self, client: str, address: str, name: str, first: float | None, last: float | None, origin: str
    ) -> None:
        """Remember that ``name`` was answered with ``address`` to ``client`` from ``first`` to ``last``.

        The origin kept is the first by name, so the book does not depend on the order of its inputs.
        """
        key = (client, address)
        names = self.pairs.get(key)
        if names is None:
            if len(self.pairs) >= MAX_PAIRS:
                self.dropped += 1
                return
            names = self.pairs[key] = {}
        seen = names.get(name)
        if seen is None:
            names[name] = _Seen(first, last, origin)
            return
        if first is not None:
            seen.first = first if seen.first is None else min(seen.first, first)
        if last is not None:
            seen.last = last if seen.last is None else max(seen.last, last)
        if origin < seen.origin:
            seen.origin = origin

    def names(
        self, client: str, address: str, start: float | None, end: float | None
    ) -> list[tuple[str, str]]:
        """(name, origin) of answers to ``client`` for ``address`` that name a connection in [start, end].

        The most recent answer comes first.
        """
        found = self.pairs.get((client, address))
        if not found:
            return []
        hits: list[tuple[float, str, str]] = []
        for name, seen in found.items():
            if None in (start, seen.first):  # no time on one side: the answer is taken on the address alone
                hits.append((0.0, name, seen.origin))
                continue
            assert start is not None and seen.first is not None and seen.last is not None
            stop = start if end is None else end
            if seen.first <= stop + SKEW and seen.last >= start - WINDOW:
                hits.append((seen.last if seen.last <= stop + SKEW else seen.first, name, seen.origin))
        hits.sort(key=lambda h: (-h[0], h[1]))
        return [(name, origin) for _, name, origin in hits]


class Correlator:
    """Holds back address-only connections while the inputs are read; names them from the answers at the end."""

    def __init__(self) -> None:
        self.book = AnswerBook()
        self.held: list[tuple[Observation, str]] = []
        self.named = 0
        self.unnamed = 0

    def hold(self, obs: Observation, source: Source) -> bool:
        """Keep ``obs`` for :meth:`finish` when it is a connection of a network source to a bare address."""
        if source.role != "network" or obs.kind != "connect" or not obs.clients or not is_ip(obs.host):
            return False
        self.held.append((obs, source.name))
        return True

    def finish(self) -> Iterator[tuple[Observation, str]]:
        """Every held connection with its source's name, named when an answer to a client names its address."""
        held, self.held = self.held, []
        for obs, format_name in held:
            named = self._name(obs, format_name)
            if named is obs:
                self.unnamed += obs.count
            else:
                self.named += obs.count
            yield named, format_name

    def _name(self, obs: Observation, format_name: str) -> Observation:
        end = obs.last_time if obs.last_time is not None else obs.time
        for client in obs.clients:
            found = self.book.names(client, obs.host, obs.time, end)
            if not found:
                continue
            name, origin = found[0]
            shared = " (the address was answered for other names too)" if len(found) > 1 else ""
            reason = (
                f"connection seen by address in {format_name} evidence, named by a DNS answer to the same "
                f"client in {Path(origin).name}{shared}"
            )
            return replace(obs, host=name, reason=reason)
        return obs


def joined_line(named: int, unnamed: int, dropped: int) -> str:
    """What the join did, for stderr.

    >>> joined_line(12, 3, 0)
    'connections recorded by address: 12 named by a DNS answer to the same client, 3 left as unattributed IPs'
    """
    line = (
        f"connections recorded by address: {named} named by a DNS answer to the same client, "
        f"{unnamed} left as unattributed IPs"
    )
    if dropped:
        line += f" ({dropped} DNS answers not kept: more than {MAX_PAIRS:,} client/address pairs)"
    return line
