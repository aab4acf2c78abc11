"""The legacy Azure Firewall ``msg`` lines (``AzureDiagnostics``, categories ``AzureFirewall*``) as plain events.

The wordings (application rule, network rule, DNS proxy)::

    HTTPS request from CLIENT:PORT to HOST:PORT. Action: Allow. Rule Collection: C. Rule: R
    HTTP  request from CLIENT:PORT to HOST:80. Url: HOST/PATH. Action: Deny. No rule matched. Proceeding ...
    TCP request from CLIENT:PORT to IP:PORT. Action: Deny
    TCP request from CLIENT:PORT to PUBLIC_IP:PORT was DNAT'ed to IP:PORT         (inbound: not egress)
    ICMP Type=8 request from CLIENT:0 to IP:0. Action: Allow                      (no port: not a destination)
    DNS Request: CLIENT:PORT - ID TYPE CLASS NAME. PROTO SIZE DO BUFSIZE RCODE FLAGS SIZE DURATIONs
     Error: N NAME. TYPE: MESSAGE                                                  (the DNS proxy's upstream failed)

:func:`parse` gives a :class:`Event`, or a string saying why the line is not one (``None`` for the wordings
that are deliberately not destinations, with the reason in :data:`NOT_EGRESS`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_REQUEST = re.compile(
    r"^\s*(?P<proto>HTTPS|HTTP|TCP|UDP)\s+request from (?P<client>[^\s:]+|\[[^\]]+\]):(?P<sport>\d+)"
    r" to (?P<host>\S+?):(?P<port>\d+)(?P<rest>\..*|\s+was DNAT'ed to .*)?$"
)
_ICMP = re.compile(r"^\s*ICMP\b.* request from \S+ to \S+")
_DNS = re.compile(
    r"^\s*DNS Request: (?P<client>\S+):(?P<sport>\d+) - (?P<id>\d+) (?P<qtype>\S+) (?P<qclass>\S+) "
    r"(?P<name>\S+) (?P<transport>\S+) \d+ \S+ \d+ (?P<rcode>[A-Z]+)\b"
)
_DNS_ERROR = re.compile(
    r"^\s*Error: (?P<number>\d+) (?P<name>\S+?)\.? (?P<qtype>[A-Z0-9]+): (?P<message>.*)$"
)
_SEGMENT = re.compile(r"^(Url|Action|Policy|Rule Collection Group|Rule Collection|Rule): (.*)$")

NOT_EGRESS = "inbound DNAT or ICMP (no destination port): not egress"


@dataclass(frozen=True)
class Event:
    """What one legacy line says."""

    kind: str
    """``application``, ``network`` or ``dns``."""
    host: str
    port: int
    client: str | None
    protocol: str
    action: str = ""
    """``Allow``, ``Deny`` ... (empty when the line names none)."""
    url: str | None = None
    rule: str = ""
    """``policy / collection group / collection / rule`` or ``no rule matched``."""
    rcode: str = ""
    error: str = ""


def parse(msg: str) -> Event | str | None:
    """The event a ``msg`` describes; a reason string when the wording is unknown; None when not egress."""
    found = _REQUEST.match(msg)
    if found is not None:
        return _request(found)
    if _ICMP.match(msg):
        return None
    dns = _DNS.match(msg)
    if dns is not None:
        return Event(
            "dns",
            dns["name"],
            0,
            _bare(dns["client"]),
            dns["transport"],
            rcode=dns["rcode"],
            rule=f"{dns['qtype']} {dns['qclass']}",
        )
    error = _DNS_ERROR.match(msg)
    if error is not None:
        return Event("dns", error["name"], 0, None, "dns", rcode="ERROR", error=error["message"][:120],
                     rule=error["qtype"])  # fmt: skip
    return f"unknown Azure Firewall msg wording: {msg.strip()[:100]!r}"


def _request(found: re.Match[str]) -> Event | str | None:
    rest = found["rest"] or ""
    if "DNAT'ed" in rest:
        return None
    proto = found["proto"]
    fields: dict[str, str] = {}
    unmatched = False
    for segment in (s.strip().rstrip(".") for s in rest.lstrip(".").split(". ")):
        if not segment:
            continue
        named = _SEGMENT.match(segment)
        if named is not None:
            fields.setdefault(named[1], named[2].strip())
        elif segment.startswith("No rule matched"):
            unmatched = True
    if "Action" not in fields:
        return f"Azure Firewall msg without an Action: {found.group(0).strip()[:100]!r}"
    names = [fields[k] for k in ("Policy", "Rule Collection Group", "Rule Collection", "Rule") if k in fields]
    url = fields.get("Url")
    return Event(
        "application" if proto.startswith("HTTP") else "network",
        found["host"],
        int(found["port"]),
        _bare(found["client"]),
        proto,
        action=fields["Action"].split()[0] if fields["Action"] else "",
        url=None if url is None else url if "://" in url else f"{proto.lower()}://{url}",
        rule="no rule matched (default action)" if unmatched else " / ".join(names),
    )


def _bare(address: str) -> str:
    return address[1:-1] if address.startswith("[") else address
