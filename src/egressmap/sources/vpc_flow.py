"""AWS VPC Flow Logs as text: outbound flows as IP destinations (the names come later, from DNS evidence).

A flow log file delivered to S3 starts with a header line naming its fields: the default v2 layout
(:data:`DEFAULT_FIELDS`) or a custom format with v3-v5 fields in any order. The reader takes its columns from that
header (a header repeated mid-input, as after ``zcat *.gz``, starts a new layout). CloudWatch Logs holds the
records without a header, each after the export's time and log stream; such a line with the 14 fields of the
default layout is read as that layout, with a warning saying so. Any other input without a header is refused line
by line (counted once) with what to do: give the header line first. Up to three tokens before a record are a
CloudWatch prefix (``aws logs tail``: a time and the stream; ``awslogs get``: the group and the stream); under a
header line only a prefix that starts with a time is.

Mapping, per record:

* the destination is ``pkt-dstaddr`` when present and not ``-``, else ``dstaddr`` (``srcaddr``/``dstaddr`` show the
  interface's primary private address; ``pkt-*`` the packet's original one, e.g. behind a NAT gateway); the
  client is ``pkt-srcaddr`` or ``srcaddr`` the same way; the port is ``dstport``; protocol 6 is TCP, 17 UDP,
  others (ICMP...) have no port and are dropped, counted;
* egress only: with ``flow-direction``, records marked ``egress``; without it, **a flow from a private address
  (RFC 1918, ULA, CGNAT: :data:`PRIVATE_NETWORKS`) to any other one**. Both ends private is internal traffic; public to private is inbound
  (or a reply); both dropped, counted;
* ``ACCEPT`` is allowed, ``REJECT`` denied; ``NODATA`` and ``SKIPDATA`` records carry no flow: counted as dropped;
* the time is ``start`` (epoch seconds). Identical flows are counted in place (:mod:`.obs_tally`).

Flow logs name no host: every destination is an IP address whose reason says "unattributed IP".
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar

from ..model import Observation, Outcome, Skipped
from .aws_json import epoch_of, name_or_skip, prefix_source
from .interface import Item, Seen, Source, match_ratio
from .obs_tally import ObservationTally

DEFAULT_FIELDS: tuple[str, ...] = (
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport", "protocol",
    "packets", "bytes", "start", "end", "action", "log-status",
)  # fmt: skip
"""The default (v2) format, in order: what a CloudWatch line without a header is read as."""
KNOWN_FIELDS = frozenset(DEFAULT_FIELDS) | frozenset({
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",  # v3
    "region", "az-id", "sublocation-type", "sublocation-id",  # v4
    "pkt-src-aws-service", "pkt-dst-aws-service", "flow-direction", "traffic-path",  # v5
})  # fmt: skip
"""The v2-v5 field names. A header may hold later ones too (any lower-case dashed name): they are ignored, with a
warning naming them."""
_FIELD_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
_NEEDED = ("srcaddr", "dstaddr", "dstport", "protocol", "action")
_PROTOCOLS = {"6": "TCP", "17": "UDP"}
_SPEC = {False: "header", True: "default format"}
_NO_FLOW = frozenset({"NODATA", "SKIPDATA"})
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
"""What a VPC's own addresses may be (RFC 1918, CGNAT, ULA): the side a flow leaves from. Documentation ranges
(203.0.113.0/24...) count as public here, as AWS's own flow log examples use them."""
MAX_PREFIX_TOKENS = 3
"""Tokens a CloudWatch export may put before a record (a time, a log stream)."""
NO_HEADER = (
    "VPC flow log without its header line: give the flow log's format as the input's first line, e.g. "
    "(echo 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
    "action log-status'; cat FILE) | egressmap scan --format vpc-flow -"
)


@dataclass(frozen=True, slots=True)
class Layout:
    """The columns of a flow log, from its header line."""

    fields: tuple[str, ...]
    assumed: bool = False
    """Not from a header: the default layout taken for CloudWatch lines, any of whose prefixes is accepted."""

    def index(self, name: str) -> int | None:
        """The column of a field, None when the format lacks it."""
        return self.fields.index(name) if name in self.fields else None


DEFAULT_LAYOUT = Layout(DEFAULT_FIELDS, assumed=True)


def header_layout(line: str) -> Layout | None:
    """The layout a header line declares; None when the line is not a (usable) flow log header."""
    tokens = tuple(line.split())
    if len(tokens) < len(_NEEDED) or not all(name in tokens for name in _NEEDED):
        return None
    return Layout(tokens) if all(_FIELD_NAME.fullmatch(name) for name in tokens) else None


def _default_record(tokens: Sequence[str]) -> bool:
    """The last 14 tokens look like a default-format record (version 2, ``eni-``, an action or ``-``)."""
    if len(tokens) < len(DEFAULT_FIELDS) or len(tokens) > len(DEFAULT_FIELDS) + MAX_PREFIX_TOKENS:
        return False
    rec = tokens[-len(DEFAULT_FIELDS) :]
    return rec[0] == "2" and rec[2].startswith("eni-") and rec[12] in ("ACCEPT", "REJECT", "-")


def _flow_like(tokens: Sequence[str]) -> bool:
    """A record in some custom format: an ``eni-`` id, an action and a log status among its tokens."""
    words = set(tokens)
    return (
        any(t.startswith("eni-") for t in tokens)
        and bool(words & {"ACCEPT", "REJECT"})
        and bool(words & {"OK", "NODATA", "SKIPDATA"})
    )


class VpcFlowLog(Source):
    """VPC Flow Logs text (S3 delivery with its header line, or CloudWatch Logs lines in the default format)."""

    name = "vpc-flow"
    role = "network"
    description = "AWS VPC Flow Logs (text with its header line; CloudWatch lines in the default v2 format)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "flow logs name IP addresses only: names come from DNS evidence (Route 53 Resolver logs, captures, Zeek)",
        "traffic to the Amazon DNS server, instance metadata (169.254.169.254) and Amazon Time Sync "
        "(169.254.169.123) is never logged",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """A flow log header line first, or lines in the default v2 layout (CloudWatch)."""
        first = next((line for line in head if line.strip()), "")
        if header_layout(first) is not None:
            return 1.0
        ratio = match_ratio(head, lambda line: _default_record(line.split()))
        if ratio > 0:
            return ratio * 0.9
        headless = match_ratio(head, lambda line: _flow_like(line.split()))
        return headless * 0.5 if headless > 0 else -1.0  # read to say that the header is missing

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """An observation per distinct outbound flow (counted in place); dropped and bad records counted."""
        tally = ObservationTally()
        dropped: dict[str, list[int]] = {}  # reason -> [first line, count]
        layout: Layout | None = None
        for lineno, line in enumerate(lines, 1):
            tokens = line.split()
            if not tokens:
                continue
            found = header_layout(line) if tokens[0][0].isalpha() else None
            if found is not None:
                layout = found
                unknown = [name for name in found.fields if name not in KNOWN_FIELDS]
                if unknown:
                    yield Skipped(origin, lineno, f"flow log fields not known to egressmap, ignored: {' '.join(unknown)}",
                                  kind="warning")  # fmt: skip
                continue
            if layout is None:
                if not _default_record(tokens):
                    _count(dropped, NO_HEADER, lineno)
                    continue
                layout = DEFAULT_LAYOUT
                yield Skipped(origin, lineno, "no header line: read as the default v2 flow log format "
                              f"({' '.join(DEFAULT_FIELDS)})", kind="warning")  # fmt: skip
            item = _record(layout, tokens, origin, lineno)
            if isinstance(item, Observation):
                tally.add(item)
            elif item.kind == "dropped":
                _count(dropped, item.reason, lineno)
            else:
                yield item
        yield from tally.observations()
        for reason, (first, count) in dropped.items():
            if reason == NO_HEADER:
                yield Skipped(origin, first, reason, count=count)
            else:
                yield Skipped(origin, first, reason, kind="dropped", count=count)


def _count(dropped: dict[str, list[int]], reason: str, lineno: int) -> None:
    entry = dropped.setdefault(reason, [lineno, 0])
    entry[1] += 1


def _record(layout: Layout, tokens: list[str], origin: str, lineno: int) -> Seen:
    """One record's observation, or why it is not one (``dropped`` reasons are counted by the caller)."""
    width = len(layout.fields)
    if len(tokens) != width:
        prefixed = layout.assumed or epoch_of(tokens[0]) is not None  # a header's lines: only a time prefix
        if not (prefixed and width < len(tokens) <= width + MAX_PREFIX_TOKENS):
            return Skipped(
                origin,
                lineno,
                f"flow log record with {len(tokens)} fields, the {_SPEC[layout.assumed]} names {width}",
            )
        where = prefix_source(origin, lineno, tokens[:-width])  # it names the group and stream
        tokens = tokens[-width:]  # a CloudWatch export's time or group and stream before the record
    else:
        where = f"{origin}:{lineno}"
    values = dict(zip(layout.fields, tokens, strict=True))
    status = values.get("log-status", "OK")
    if status in _NO_FLOW:
        return Skipped(origin, lineno, f"{status} record (no flow in its interval)", kind="dropped")
    dst = _address(values, "dst")
    src = _address(values, "src")
    src_private, dst_private = _private(src), _private(dst)
    if src_private is None or dst_private is None:
        return Skipped(origin, lineno, f"flow log record without IP addresses ({src!r} to {dst!r})")
    port_text, proto = values["dstport"], values["protocol"]
    if not port_text.isdigit() or not proto.isdigit():
        return Skipped(
            origin, lineno, f"non-numeric port or protocol (dstport {port_text!r}, protocol {proto!r})"
        )
    if proto not in _PROTOCOLS:
        return Skipped(origin, lineno, f"protocol {proto} flow (no port): not a destination", kind="dropped")
    port = int(port_text)
    if not 0 < port < 65536:
        return Skipped(origin, lineno, f"port {port} out of range")
    direction = values.get("flow-direction")
    if direction is not None and direction != "-":
        if direction != "egress":
            return Skipped(origin, lineno, f"{direction} flow: not egress", kind="dropped")
    elif not src_private or dst_private:
        return Skipped(
            origin, lineno, "internal or inbound flow (egress is private to public)", kind="dropped"
        )
    outcome: Outcome
    match values["action"]:
        case "ACCEPT":
            outcome = "allowed"
        case "REJECT":
            outcome = "denied"
        case other:
            return Skipped(origin, lineno, f"action {other!r}, not ACCEPT or REJECT")
    host = name_or_skip(dst, origin, lineno)
    if isinstance(host, Skipped):
        return host
    rejected = ", REJECT" if outcome == "denied" else ""
    start = values.get("start")
    return Observation(
        host=host,
        port=port,
        kind="connect",
        tier="observed",
        reason=f"outbound {_PROTOCOLS[proto]} flow in a VPC flow log{rejected} (unattributed IP)",
        source=where,
        outcome=outcome,
        clients=(src,),
        time=float(start) if start and start.isdigit() else None,
    )


@lru_cache(maxsize=65536)
def _private(address: str) -> bool | None:
    """Whether an address is in :data:`PRIVATE_NETWORKS`; None when it is no IP address (cached: logs repeat them)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    return any(ip.version == net.version and ip in net for net in PRIVATE_NETWORKS)


def _address(values: dict[str, str], end: str) -> str:
    """``pkt-<end>addr`` when the format has it and it is set, else ``<end>addr``."""
    packet = values.get(f"pkt-{end}addr", "-")
    return (packet if packet != "-" else values[f"{end}addr"]).lower()
