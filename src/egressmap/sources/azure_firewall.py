"""Azure Firewall logs: structured ``AZFW*`` records and legacy ``AzureDiagnostics`` ``msg`` lines.

The tables ``AZFWApplicationRule``, ``AZFWNetworkRule`` and ``AZFWDnsQuery``, and the legacy lines, in any
container :mod:`.azure_json` reads.

A storage-account record is ``{"category", "time", "properties": {...}}``; a Log Analytics row has the columns at
the top (``Type`` names the table, ``TimeGenerated`` the time; the legacy table's text is ``msg_s``). Records are
told apart by their category, else by their columns (``Fqdn``, ``DestinationIp``, ``QueryName``).

Mapping: the application rule's ``Fqdn`` and ``DestinationPort`` are the destination, ``Protocol`` the scheme,
``TargetUrl`` the URL (present only for HTTP or TLS-inspected traffic); a network rule's ``DestinationIp`` is an IP
destination ("unattributed IP"); a DNS query's ``QueryName`` (without its trailing dot) is DNS evidence. Action
``Deny`` is denied; DNS ``NXDOMAIN`` is nxdomain; ``SERVFAIL``/``REFUSED`` or an error is failed; the client is
``SourceIp``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import chain
from typing import Any, ClassVar

from ..hostnames import drop_reason, is_ip, normalize_host
from ..model import NXDOMAIN, Observation, Outcome, Skipped
from . import azure_msg
from .azure_json import records
from .interface import Item, Source, match_ratio

DNS_PORT = 443
"""The port a name seen only in DNS is listed with (the lookup names no port; HTTPS is the usual reason)."""
_STRUCTURED = {"AZFWApplicationRule": "application", "AZFWNetworkRule": "network", "AZFWDnsQuery": "dns"}
_LEGACY = (
    "AzureFirewallApplicationRule",
    "AzureFirewallNetworkRule",
    "AzureFirewallNatRule",
    "AzureFirewallDnsProxy",
)
_MARKS = ('"AZFW', '"AzureFirewall', '"Fqdn"', '"QueryName"', '"msg_s"', '"ActionReason"', '"RuleCollection"')
_MSG_MARKS = ("request from ", "DNS Request: ")
_FAILED_RCODES = frozenset({"NXDOMAIN", "SERVFAIL", "REFUSED", "ERROR"})
_SCHEMES = {"HTTP": "http", "HTTPS": "https"}
_DEFAULT_PORTS = {"HTTP": 80, "HTTPS": 443}


class AzureFirewall(Source):
    """Azure Firewall application, network and DNS proxy logs."""

    name = "azure-firewall"
    role = "network"
    description = "Azure Firewall logs (AZFW* records, AzureDiagnostics msg lines; JSON lines or documents)"
    blind_spots: ClassVar[tuple[str, ...]] = (
        "sees only traffic routed through the firewall",
        "application-rule target URLs need TLS inspection (HTTPS shows the name only)",
        "network rules name IP addresses, not host names",
    )

    def sniff(self, head: Sequence[str]) -> float:
        """JSON: a category or column only Azure Firewall writes; text: most lines are ``msg`` wordings."""
        first = next((line.strip() for line in head if line.strip()), "")
        if not first.startswith(("{", "[")):
            ratio = match_ratio(head, _is_msg)
            return ratio * 0.9 if ratio >= 0.5 else -1.0
        text = "\n".join(head)
        if any(mark in text for mark in _MARKS[:2]):
            return 1.0
        if any(m in text for m in _MARKS[2:]) or ('"msg"' in text and any(m in text for m in _MSG_MARKS)):
            return 0.95
        return -1.0

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """One observation per record (or per ``msg`` text line); unknown categories and wordings are counted."""
        it = iter(lines)
        held: list[str] = []
        for line in it:
            held.append(line)
            if line.strip():
                break
        if held and not held[-1].lstrip().startswith(("{", "[")):
            yield from _msg_lines(chain(held, it), origin)
            return
        for found in records(chain(held, it), origin):
            if isinstance(found, Skipped):
                yield found
                continue
            lineno, record = found
            try:
                yield from _record(record, origin, lineno)
            except (ValueError, TypeError, KeyError) as exc:
                yield Skipped(origin, lineno, f"bad Azure Firewall record: {str(exc)[:120]}")


def _is_msg(line: str) -> bool:
    return not isinstance(azure_msg.parse(_unquoted(line)), str)


def _unquoted(line: str) -> str:
    text = line.strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == '"' else text


def _msg_lines(lines: Iterable[str], origin: str) -> Iterator[Item]:
    """Legacy ``msg`` texts one a line (the ``msg_s`` column copied out of a query result)."""
    for lineno, line in enumerate(lines, 1):
        text = _unquoted(line)
        if text:
            yield from _legacy(text, "", None, origin, lineno)


def _record(record: dict[str, Any], origin: str, lineno: int) -> Iterator[Item]:
    props = record.get("properties")
    fields: dict[str, Any] = props if isinstance(props, dict) else record
    category = str(record.get("category") or record.get("Category") or record.get("Type") or "")
    when = _time(record.get("time") or record.get("TimeGenerated") or fields.get("TimeGenerated"))
    msg = fields.get("msg") if "msg" in fields else fields.get("msg_s")
    if msg is not None:
        yield from _legacy(str(msg), category, when, origin, lineno)
        return
    kind = _STRUCTURED.get(category) or _kind_by_columns(fields)
    if kind is None:
        what = category or "record without a category"
        yield Skipped(origin, lineno, f"Azure Firewall {what}: not read (only application, network and DNS "
                      "records are)", kind="dropped")  # fmt: skip
        return
    where = f"{origin}:{lineno}"
    if kind == "dns":
        yield _dns(fields, when, where, origin, lineno)
    else:
        yield _connection(kind, fields, when, where, origin, lineno)


def _kind_by_columns(fields: dict[str, Any]) -> str | None:
    if "Fqdn" in fields:
        return "application"
    if "QueryName" in fields:
        return "dns"
    if "DestinationIp" in fields and "TranslatedIp" not in fields:
        return "network"
    return None


def _connection(
    kind: str, f: dict[str, Any], when: float | None, where: str, origin: str, lineno: int
) -> Item:
    column = "Fqdn" if kind == "application" else "DestinationIp"
    table = "AZFWApplicationRule" if kind == "application" else "AZFWNetworkRule"
    if not f.get(column):
        return Skipped(origin, lineno, f"{table} record without {column}")
    protocol = str(f.get("Protocol") or "").upper()
    port = _port(f.get("DestinationPort"), _DEFAULT_PORTS.get(protocol) if kind == "application" else None)
    names = [str(f[k]) for k in ("Policy", "RuleCollectionGroup", "RuleCollection", "Rule") if f.get(k)]
    rule = " / ".join(names) or str(f.get("ActionReason") or "")
    url = str(f.get("TargetUrl") or "") or None
    return _observe(kind, str(f[column]), port, protocol, str(f.get("Action") or ""), rule, url,
                    f.get("SourceIp"), when, where, origin, lineno)  # fmt: skip


def _dns(f: dict[str, Any], when: float | None, where: str, origin: str, lineno: int) -> Item:
    if not f.get("QueryName"):
        return Skipped(origin, lineno, "AZFWDnsQuery record without QueryName")
    rcode = str(f.get("ResponseCode") or "").upper()
    error = str(f.get("ErrorMessage") or "")
    if f.get("ErrorNumber") not in (None, 0, "0", "") and not rcode:
        rcode = "ERROR"
    detail = " ".join(str(f[k]) for k in ("QueryType", "QueryClass") if f.get(k))
    return _resolved(
        str(f["QueryName"]), rcode, detail, error, f.get("SourceIp"), when, where, origin, lineno
    )


def _legacy(msg: str, category: str, when: float | None, origin: str, lineno: int) -> Iterator[Item]:
    if category and category not in _LEGACY:
        yield Skipped(origin, lineno, f"Azure Firewall {category} line: not read", kind="dropped")
        return
    event = azure_msg.parse(msg)
    if event is None:
        yield Skipped(origin, lineno, azure_msg.NOT_EGRESS, kind="dropped")
    elif isinstance(event, str):
        yield Skipped(origin, lineno, event)
    elif event.kind == "dns":
        yield _resolved(event.host, event.rcode, event.rule, event.error, event.client, when, f"{origin}:{lineno}",
                        origin, lineno)  # fmt: skip
    else:
        yield _observe(event.kind, event.host, event.port, event.protocol, event.action, event.rule, event.url,
                       event.client, when, f"{origin}:{lineno}", origin, lineno)  # fmt: skip


def _observe(
    kind: str,
    raw: str,
    port: int,
    protocol: str,
    action: str,
    rule: str,
    url: str | None,
    client: object,
    when: float | None,
    where: str,
    origin: str,
    lineno: int,
) -> Item:
    host = _host(raw, origin, lineno)
    if isinstance(host, Skipped):
        return host
    outcome = _outcome(action)
    what = f"{protocol} " if protocol else ""
    said = f"{action or 'no action'}" + (f", {rule}" if rule else "")
    if kind == "application":
        reason = f"{what}request seen by Azure Firewall (application rule: {said})"
    else:
        unattributed = "; unattributed IP" if is_ip(host) else ""
        reason = f"{what}connection seen by Azure Firewall (network rule: {said}{unattributed})"
    return Observation(
        host=host,
        port=port,
        kind="connect",
        tier="observed",
        reason=reason,
        source=where,
        scheme=_SCHEMES.get(protocol.upper()),
        outcome=outcome,
        clients=(str(client),) if client else (),
        time=when,
        url=url.partition("?")[0] if url else None,
    )


def _resolved(
    raw: str,
    rcode: str,
    detail: str,
    error: str,
    client: object,
    when: float | None,
    where: str,
    origin: str,
    lineno: int,
) -> Item:
    host = _host(raw, origin, lineno)
    if isinstance(host, Skipped):
        return host
    answer = rcode or "no response code"
    if error:
        answer += f": {error[:80]}"
    query = f"{detail} " if detail else ""
    return Observation(
        host=host,
        port=DNS_PORT,
        kind="dns",
        tier="observed",
        reason=f"DNS {query}query through the Azure Firewall DNS proxy ({answer}; DNS only, port {DNS_PORT} assumed)",
        source=where,
        outcome=NXDOMAIN if rcode == "NXDOMAIN" else "failed" if rcode in _FAILED_RCODES else "unknown",
        clients=(str(client),) if client else (),
        time=when,
    )


def _outcome(action: str) -> Outcome:
    word = action.strip().lower()
    if word == "deny":
        return "denied"
    if word in ("allow", "alert"):
        return "allowed"
    return "unknown"


def _port(raw: object, default: int | None) -> int:
    if raw in (None, "") and default is not None:
        return default
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).isdigit():
        raise ValueError(f"bad DestinationPort {raw!r}")
    port = int(raw)
    if not 0 < port < 65536:
        raise ValueError(f"bad DestinationPort {raw!r}")
    return port


def _time(raw: object) -> float | None:
    if not isinstance(raw, str) or not raw:
        return None
    text = raw.strip().replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:  # Azure writes 7 fraction digits: keep 6
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[: min(digits, 6)]}{rest[digits:]}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _host(raw: str, origin: str, lineno: int) -> str | Skipped:
    try:
        host = normalize_host(raw.strip().rstrip("."))
    except ValueError as exc:
        return Skipped(origin, lineno, f"{exc}: {raw[:80]!r}")
    why = drop_reason(host)
    return Skipped(origin, lineno, f"{why}: {host}", kind="dropped") if why else host
