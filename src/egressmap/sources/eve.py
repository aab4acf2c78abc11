"""Suricata EVE events to observations, shared by the Network Firewall and the Suricata EVE readers.

AWS Network Firewall writes Suricata's EVE JSON inside its own wrapper (``event``), so one mapping serves both.
Names come from, in order, ``tls.sni``, ``sni``, ``http.hostname``, ``dest_hostname`` (each a ``connect``
observation of the destination port) and DNS ``rrname`` (a ``dns`` observation, tier ``observed`` with a reason
naming DNS, port 443 as every name seen without a port). ``"-"`` is no name. An event with no name at all (a
netflow or flow record) is an observation of ``dest_ip``, whose reason says no name was seen; an event going from
a public address to a private one is the return half of a flow (Network Firewall logs each direction apart) and
is dropped. Outcomes: an alert whose action is blocked/drop/reject is ``denied``, ``allowed`` is allowed; a TLS
error is ``failed``; DNS ``NXDOMAIN`` is ``nxdomain`` and ``SERVFAIL`` ``failed``; anything else ``unknown``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..hostnames import default_port, is_private_ip, normalize_host
from ..model import NXDOMAIN, Kind, Observation, Outcome, Skipped
from .aws_json import NO_NAME, BadRecord, epoch_of, name_or_skip, port_of
from .interface import Seen

DENY_ACTIONS = frozenset({"blocked", "drop", "dropped", "reject", "rejected"})
"""Alert actions that mean the packet or flow was stopped (Suricata writes ``blocked``; NFW names drop/reject)."""
_FAILED_RCODES = frozenset({"NXDOMAIN", "SERVFAIL"})


def observations(
    event: Mapping[str, Any],
    seen_by: str,
    where: tuple[str, int],
    time: float | None,
    source: str | None = None,
) -> Iterator[Seen]:
    """The observations of one EVE event; ``seen_by`` names the log in reasons (``AWS Network Firewall``).

    ``source`` is what observations name as their source (``origin:lineno`` when None).
    """
    origin, lineno = where
    kind = str(event.get("event_type") or ("tls" if "tls_error" in event else "event"))
    port = port_of(event.get("dest_port"))
    outcome, note = _outcome(event)
    clients = (str(event["src_ip"]),) if event.get("src_ip") else ()
    common: dict[str, Any] = {
        "tier": "observed",
        "source": source or f"{origin}:{lineno}",
        "outcome": outcome,
        "clients": clients,
        "time": time if time is not None else epoch_of(event.get("timestamp")),
    }
    names = _names(event)
    for field, raw in names:
        host = name_or_skip(raw, origin, lineno)
        if isinstance(host, Skipped):
            yield host
            continue
        dns = field == "dns rrname"
        obs_kind: Kind = "dns" if dns else "connect"
        if dns:
            reason = f"DNS query seen by {seen_by} ({kind} record{note}; DNS only: no connection seen)"
        else:
            reason = f"{field} seen by {seen_by} ({kind} record{note})"
        yield Observation(
            host=host,
            port=default_port(None) if dns or port is None else port,
            kind=obs_kind,
            reason=reason,
            scheme=None if dns else _scheme(field, port),
            **common,
        )
    if names:
        return
    yield _address(event, (port, kind, seen_by, note), where, common)


def _address(
    event: Mapping[str, Any],
    what: tuple[int | None, str, str, str],
    where: tuple[str, int],
    common: dict[str, Any],
) -> Seen:
    """The ``dest_ip`` of an event without a name; ``what`` is its port, event type, log name and outcome note."""
    port, kind, seen_by, note = what
    origin, lineno = where
    raw = event.get("dest_ip")
    if not raw or not isinstance(raw, str):
        return Skipped(origin, lineno, f"bad {seen_by} record: no name and no 'dest_ip' in a {kind} record")
    if port is None:
        return Skipped(origin, lineno, f"bad {seen_by} record: missing or bad 'dest_port' in a {kind} record")
    try:
        dest = normalize_host(raw)
    except ValueError:
        return Skipped(origin, lineno, f"bad {seen_by} record: 'dest_ip' {raw[:60]!r} is not an address")
    src = str(event.get("src_ip") or "")
    if is_private_ip(dest) and src and not _private(src):
        return Skipped(origin, lineno, f"return direction of a flow ({src} -> {dest})", kind="dropped")
    host = name_or_skip(dest, origin, lineno)
    if isinstance(host, Skipped):
        return host
    return Observation(
        host=host,
        port=port,
        kind="connect",
        reason=f"connection to an IP address seen by {seen_by} ({kind} record{note}; no name seen)",
        **common,
    )


def _private(address: str) -> bool:
    try:
        return is_private_ip(normalize_host(address))
    except ValueError:
        return False


def _names(event: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, name) pairs, first occurrence of each name, ``"-"`` and empty values left out."""
    found: list[tuple[str, str]] = []
    tls, http, dns = (_object(event, key) for key in ("tls", "http", "dns"))
    for field, value in (
        ("TLS SNI", tls.get("sni")),
        ("TLS SNI", event.get("sni")),
        ("HTTP Host", http.get("hostname")),
        ("destination host name", event.get("dest_hostname")),
    ):
        _add(found, field, value)
    for query in _dns_queries(dns):
        _add(found, "dns rrname", query.get("rrname"))
    return found


def _add(found: list[tuple[str, str]], field: str, value: object) -> None:
    if not isinstance(value, str):
        return
    name = value.strip().removesuffix(".")
    if name in NO_NAME or any(name.lower() == seen.lower() for _, seen in found):
        return
    found.append((field, name))


def _dns_queries(dns: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """``dns.rrname`` (EVE v1/v2), ``dns.query[]`` (Network Firewall) or ``dns.queries[]`` (EVE v3)."""
    if dns.get("rrname"):
        return [dns]
    listed = dns.get("query") or dns.get("queries") or []
    return [q for q in listed if isinstance(q, dict)] if isinstance(listed, list) else []


def _object(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    if value is not None and not isinstance(value, dict):
        raise BadRecord(f"field {key!r} is not an object")
    return value or {}


def _outcome(event: Mapping[str, Any]) -> tuple[Outcome, str]:
    """The outcome and a note for the reason (the alert action, the TLS error, the DNS rcode)."""
    alert = _object(event, "alert")
    action = str(alert.get("action") or "").lower()
    if action in DENY_ACTIONS:
        return "denied", f", alert action {action}"
    revocation = _object(event, "revocation_check")
    if str(revocation.get("action") or "").lower() in DENY_ACTIONS:
        return "denied", f", certificate revocation check {str(revocation.get('status') or '?')[:40]}"
    if event.get("tls_error"):
        message = str(_object(event, "tls_error").get("error_message") or "")[:100]
        return "failed", f", TLS error: {message}"
    rcode = str(_object(event, "dns").get("rcode") or "").upper()
    if rcode in _FAILED_RCODES:
        return NXDOMAIN if rcode == "NXDOMAIN" else "failed", f", answered {rcode}"
    if action == "allowed":
        return "allowed", ", alert action allowed"
    return "unknown", f", alert action {action}" if action else ""


def _scheme(field: str, port: int | None) -> str | None:
    if field == "TLS SNI":
        return "https"
    if field == "HTTP Host":
        return "http"
    return "https" if port == 443 else None
