"""The core data model: observations, skipped lines, destinations, classifications and policy entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar, dataclass_transform

_R = TypeVar("_R")

Kind = Literal["connect", "dns", "mention"]
Outcome = Literal["allowed", "denied", "failed", "nxdomain", "unknown"]
Tier = Literal["observed", "referenced", "predicted", "documentation"]
Scope = Literal["internet", "cloud"]
PrivateEndpoint = Literal["gateway", "interface", "none"]
Match = Literal["exact", "subdomains", "apex-and-subdomains", "one-label"]

#: Tiers from strongest to weakest evidence; an entry takes the strongest tier of its observations.
TIER_RANK: dict[str, int] = {"observed": 0, "referenced": 1, "predicted": 2, "documentation": 3}


def reason_key(reason: str) -> tuple[int, str]:
    """Sort key for ``"tier: why"`` reasons: strongest tier first, then alphabetical."""
    return TIER_RANK.get(reason.split(":", 1)[0], 9), reason


REGION_TOKEN = "{region}"
"""The placeholder a template pattern has where a region name goes."""

PREDICTED = "predicted: "
"""Reason prefix of a catalog or cluster-config prediction."""

DNS_REASON = "DNS "
"""How the reason of every ``dns`` observation begins (after its ``"tier: "``): DNS evidence names DNS."""


def is_dns_reason(reason: str) -> bool:
    """True for the ``"tier: why"`` reason of a DNS observation (a question or an answer, no connection).

    >>> is_dns_reason("observed: DNS query seen by Zeek (dns.log)"), is_dns_reason("observed: TLS SNI seen")
    (True, False)
    """
    return reason.partition(": ")[2].startswith(DNS_REASON)


def kept_reasons(reasons: Sequence[str], limit: int = 8) -> tuple[str, ...]:
    """The first ``limit`` of sorted reasons; a DNS one and a connection one both stay when both exist.

    A name seen in DNS and connected to says both (a lookup alone is weaker evidence): however many wordings
    one kind has, they do not push the other kind's reason out.
    """
    kept = list(reasons[:limit])
    if len(reasons) <= limit:
        return tuple(kept)
    spare = limit - 1  # the slot given up first
    for wanted in (is_dns_reason, _is_connection):
        extra = None if any(map(wanted, kept)) else next(filter(wanted, reasons[limit:]), None)
        if extra is not None and spare >= 0:
            kept[spare] = extra
            spare -= 1
    return tuple(sorted(kept, key=reason_key))


def _is_connection(reason: str) -> bool:
    return reason.startswith("observed: ") and not is_dns_reason(reason)


OUTCOMES: tuple[Outcome, ...] = ("allowed", "denied", "failed", "nxdomain", "unknown")

NXDOMAIN: Outcome = "nxdomain"
"""The outcome of a DNS question answered NXDOMAIN (the name does not exist), as every DNS reader sets it.

A failure, counted with the ``failed`` ones everywhere counts are shown; kept apart so that a name with no
other evidence can be left out of exports (:func:`nxdomain_only`). SERVFAIL and REFUSED are not NXDOMAIN:
the name may exist."""


@dataclass_transform(frozen_default=True)
def record(cls: type[_R]) -> type[_R]:
    """A frozen slotted dataclass to the type checker, made without the run-time write guard: for hot records.

    A big log makes one :class:`Observation` and one :class:`Classification` per distinct destination. A frozen
    dataclass sets each field in ``__init__`` through ``object.__setattr__``, about 1,500 machine instructions
    a field: 20,000 per observation, a seventh of all the work a destination costs. These records are built
    by plain slot stores instead (a fifth of that). They stay frozen where it is checked: mypy rejects any
    assignment to a field; equality, the hash over the fields, ``repr`` and :func:`dataclasses.replace` are
    those of a frozen dataclass. Only assigning a field at run time, which no code does, is not refused.
    """
    return dataclass(slots=True, unsafe_hash=True)(cls)


@record
class Observation:
    """One piece of evidence that a host was (or may be) contacted."""

    host: str
    """Normalised host name or IP literal (lower case, A-labels, no trailing dot). A plain list's wildcard line
    keeps its own form, ``*.suffix`` or Squid's ``.suffix`` (see :func:`egressmap.generalize.listed_wildcard`)."""
    port: int
    """Destination port (scheme default when the evidence names none)."""
    kind: Kind
    """``connect`` a request or connection was seen; ``dns`` a name was resolved; ``mention`` text names it."""
    tier: Tier
    """Evidence tier this observation supports."""
    reason: str
    """Why this observation has its tier, in words a reviewer understands."""
    source: str
    """Where it was seen: ``file:line``."""
    scheme: str | None = None
    """``http``, ``https``, ``ftp``... when known."""
    outcome: Outcome = "unknown"
    """What happened to the request: allowed, denied (by a proxy/firewall), failed, unknown; a DNS answer
    NXDOMAIN is ``nxdomain`` (:data:`NXDOMAIN`)."""
    clients: tuple[str, ...] = ()
    """Client addresses the evidence names (a sample for a counted observation)."""
    time: float | None = None
    """Seconds since the epoch, when the evidence carries a time (the first, for a counted observation)."""
    last_time: float | None = None
    """The last time, for an observation that stands for several lines."""
    url: str | None = None
    """A sample URL with credentials removed (query strings are dropped too)."""
    count: int = 1
    """How many identical lines this observation stands for (parsers may pre-aggregate)."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A line (or token) that was not used, with why. ``kind`` says whether it was bad or deliberately dropped."""

    origin: str
    lineno: int
    reason: str
    kind: Literal["malformed", "dropped", "warning"] = "malformed"
    count: int = 1


@dataclass(frozen=True, slots=True)
class DnsAnswer:
    """A DNS answer seen in the evidence: ``address`` was given to ``client`` for ``name`` at ``time``.

    Not a destination: :mod:`egressmap.correlate` uses answers to name connections that flow logs and firewall
    logs record by address only. Readers yield answers only when asked (:attr:`.sources.interface.Source.answers`).
    """

    client: str
    address: str
    name: str
    time: float | None
    origin: str
    """The input the answer came from (named in the reason of a connection it names)."""


@record
class Classification:
    """What a host is: whose service, where, and how it can be reached privately."""

    scope: Scope = "internet"
    """``cloud`` for a cloud provider's own service endpoint, ``internet`` for everything else."""
    provider: str | None = None
    """``aws``, ``azure``, ``gcp`` or None."""
    service: str | None = None
    region: str | None = None
    partition: str | None = None
    private_endpoint: PrivateEndpoint = "none"
    category: str = "other"
    """os-packages, language-packages, source-hosting, vendor-downloads, cdn, cloud-api, telemetry,
    documentation, internal or other."""
    public_suffix: str | None = None
    """The ICANN public suffix of the host (None for IP literals)."""
    registrable_domain: str | None = None
    """The ICANN registrable domain (eTLD+1), None for IP literals and bare suffixes."""
    shared_hosting: bool = False
    """True when the host sits under a suffix many unrelated parties can publish on (CloudFront, S3...)."""
    notes: tuple[str, ...] = ()
    """Extra facts for a reviewer (bucket name, service tag...)."""


@dataclass(slots=True)
class Destination:
    """Observations aggregated by (host, port)."""

    host: str
    port: int
    count: int = 0
    tier: Tier = "documentation"
    outcomes: dict[str, int] = field(default_factory=dict)
    reasons: set[str] = field(default_factory=set)
    sources: list[str] = field(default_factory=list)
    clients: set[str] = field(default_factory=set)
    schemes: set[str] = field(default_factory=set)
    urls: list[str] = field(default_factory=list)
    first_seen: float | None = None
    last_seen: float | None = None

    @property
    def denied(self) -> int:
        """How many requests to this destination were denied."""
        return self.outcomes.get("denied", 0)


@dataclass(frozen=True, slots=True)
class Entry:
    """One reviewable line of a policy: a pattern, its concrete hosts and ports, and its evidence."""

    pattern: str
    hosts: tuple[str, ...]
    ports: tuple[int, ...]
    classification: Classification
    tier: Tier
    count: int
    denied: int
    reasons: tuple[str, ...]
    sources: tuple[str, ...]
    failed: int = 0
    allowed: int = 0
    """Requests the logs show allowed; with ``denied`` and ``failed`` it says whether the entry was ever seen
    getting through (see :mod:`egressmap.review`). Observations without an outcome (mentions, list lines) count
    in ``count`` only."""
    nxdomain: int = 0
    """DNS answers NXDOMAIN, counted in ``failed`` too. When they are all of ``count`` the entry is
    :func:`nxdomain_only`."""
    match: Match = "exact"
    """What ``pattern`` covers: exact names (templates expand to exact names), ``*.suffix`` at any depth with
    or without the suffix itself, or ``*.suffix`` as exactly one more label (``one-label``)."""
    broad: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        """The entry's scope (from its classification)."""
        return self.classification.scope


@dataclass(frozen=True, slots=True)
class Policy:
    """The reviewable artifact: entries in a stable order plus a summary of what was not used."""

    entries: tuple[Entry, ...]
    regions: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)


def short_reason(reason: str, width: int | None = None) -> str:
    """A prediction's words without its ``(... catalog: ...)`` reference, cut to ``width`` when given.

    >>> short_reason("predicted: DNS (demo 1 catalog: r53, cluster-runtime, documented)")
    'DNS'
    """
    text = reason.removeprefix(PREDICTED)
    cut = text.rfind(" (")
    text = text[:cut] if cut > 0 and "catalog:" in text[cut:] else text
    return text if width is None or len(text) <= width else text[: width - 3].rstrip() + "..."


def is_predicted(entry: Entry) -> bool:
    """True when the catalog or a cluster config predicted this entry."""
    return entry.tier == "predicted" or any(r.startswith(PREDICTED) for r in entry.reasons)


def is_evidenced(entry: Entry) -> bool:
    """True when logs showed this entry (a connection, a request or a download-like URL)."""
    return entry.tier in ("observed", "referenced")


def nxdomain_only(entry: Entry) -> bool:
    """True when every observation of the entry was a DNS answer NXDOMAIN and no prediction names it.

    No connection, no request, no other answer, no mention: the name did not exist when it was looked up.
    Exports leave such entries out unless asked (``--include-nxdomain``); ``scan`` and the policy keep them.
    """
    return 0 < entry.count <= entry.nxdomain and not is_predicted(entry)


def pattern_covers(pattern: str, host: str) -> bool:
    """True when a policy pattern (exact, ``{region}`` template or ``*.suffix``) names ``host``.

    >>> pattern_covers("ec2.{region}.amazonaws.com", "ec2.eu-west-1.amazonaws.com")
    True
    >>> pattern_covers("*.snapcraftcontent.com", "snapcraftcontent.com")
    False
    """
    if pattern == host:
        return True
    if pattern.startswith("*."):
        return host.endswith(pattern[1:])
    if REGION_TOKEN in pattern:
        head, _, tail = pattern.partition(REGION_TOKEN)
        middle = host[len(head) : len(host) - len(tail)] if len(host) > len(head) + len(tail) else ""
        return (
            host.startswith(head)
            and host.endswith(tail)
            and bool(middle)
            and "." not in middle
            and REGION_TOKEN not in tail
        )
    return False


def entry_covers(pattern: str, match: Match, host: str) -> bool:
    """True when a policy entry (its ``pattern`` read with its ``match`` kind) allows ``host``.

    This is the meaning every exporter translates; ``host`` must be normalised.

    >>> entry_covers("*.example.com", "apex-and-subdomains", "example.com")
    True
    >>> entry_covers("*.example.com", "one-label", "a.b.example.com")
    False
    >>> entry_covers("*.example.com", "subdomains", "a.b.example.com")
    True
    """
    if match == "exact" or not pattern.startswith("*."):
        return pattern_covers(pattern, host)
    suffix = pattern[2:]
    if host == suffix:
        return match == "apex-and-subdomains"
    if not host.endswith("." + suffix):
        return False
    return match != "one-label" or "." not in host[: -len(suffix) - 1]
