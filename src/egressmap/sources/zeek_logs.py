"""What each Zeek log says about a destination: one small mapper per log in a registry.

- ``dns.log``: the query name (no trailing dot), kind ``dns``. DNS names no port: the observation takes 443,
  the port egressmap assumes wherever evidence names none (:func:`~egressmap.hostnames.default_port`), and its
  reason says so. ``NXDOMAIN`` is ``nxdomain``, ``SERVFAIL`` ``failed``, ``REFUSED`` ``denied``, ``NOERROR`` ``allowed``.
- ``ssl.log``: the SNI (``server_name``) on ``id.resp_p``; ``established`` F is ``failed``. Without SNI, the
  server's address, "name not visible".
- ``http.log``: the ``Host`` header on ``id.resp_p`` (a ``CONNECT`` names its own port); without one, the
  server's address.
- ``conn.log``: ``id.resp_h:id.resp_p`` as an IP destination ("unattributed IP": the log names no host);
  ``REJ`` and ``S0`` are ``failed``.

Every observation is tier ``observed`` with the client ``id.orig_h`` and the time ``ts``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from ..hostnames import drop_reason, is_ip, normalize_host, split_host_port
from ..model import NXDOMAIN, DnsAnswer, Observation, Outcome, Skipped
from .interface import Item
from .zeek import ZeekRecord

DNS_PORT_NOTE = "DNS names no port, 443 assumed"

_DNS_OUTCOMES: dict[str, Outcome] = {
    "NOERROR": "allowed",
    "NXDOMAIN": NXDOMAIN,
    "SERVFAIL": "failed",
    "REFUSED": "denied",
}
_CONN_FAILED = frozenset({"REJ", "S0"})
"""Connection attempts rejected (``REJ``) or never answered (``S0``)."""
_CONN_UNKNOWN = frozenset({"OTH", "SH", "SHR", "RSTOS0", "RSTRH"})
"""States where Zeek saw no handshake from the originator: nothing to say about the outcome."""
_REVERSE = (".in-addr.arpa", ".ip6.arpa")


def observations(record: ZeekRecord, origin: str) -> Item:
    """The observation of one record (or why it gives none)."""
    try:
        return _MAPPERS[record.log](record, origin)
    except ValueError as exc:
        return Skipped(origin, record.lineno, f"bad Zeek {record.log}.log record: {str(exc)[:120]}")


def _dns(rec: ZeekRecord, origin: str) -> Item:
    query = rec.text("query")
    if not query:
        return Skipped(origin, rec.lineno, "a Zeek DNS record without a query name", kind="dropped")
    if query.lower().rstrip(".").endswith(_REVERSE):
        return Skipped(origin, rec.lineno, "a reverse (PTR) lookup names no destination", kind="dropped")
    rcode = (rec.text("rcode_name") or "").upper()
    qtype = rec.text("qtype_name")
    what = f"DNS {qtype} query" if qtype else "DNS query"
    answer = f", answered {rcode}" if rcode else ", no answer seen"
    return _named(
        rec,
        origin,
        query,
        443,
        kind="dns",
        reason=f"{what} seen by Zeek (dns.log){answer}; {DNS_PORT_NOTE}",
        outcome=_DNS_OUTCOMES.get(rcode, "unknown"),
    )


def dns_answers(rec: ZeekRecord, seen: Observation, origin: str) -> Iterator[DnsAnswer]:
    """The addresses a dns.log record's ``answers`` gave its client (CNAME targets and TXT are not addresses)."""
    client = rec.text("id.orig_h")
    raw = rec.value("answers")
    if not client or not raw:
        return
    for answer in (raw,) if isinstance(raw, str) else raw:
        if isinstance(answer, str) and is_ip(answer):
            yield DnsAnswer(client, answer, seen.host, seen.time, origin)


def _ssl(rec: ZeekRecord, origin: str) -> Item:
    port = _port(rec)
    established = rec.text("established")
    outcome: Outcome = {"T": "allowed", "F": "failed"}.get(established or "", "unknown")  # type: ignore[assignment]
    sni = rec.text("server_name")
    if not sni:
        reason = "TLS connection without SNI seen by Zeek (ssl.log): name not visible, unattributed IP"
        return _address(rec, origin, port, reason, outcome, "https")
    return _named(
        rec, origin, sni, port, reason="TLS SNI seen by Zeek (ssl.log)", outcome=outcome, scheme="https"
    )


def _http(rec: ZeekRecord, origin: str) -> Item:
    port = _port(rec)
    method = (rec.text("method") or "").upper()
    status = rec.text("status_code")
    outcome: Outcome = "allowed" if status else "unknown"
    host = rec.text("host")
    if not host:
        reason = "HTTP request without a Host header seen by Zeek (http.log): unattributed IP"
        return _address(rec, origin, port, reason, outcome, "http")
    if method == "CONNECT":
        name, port = split_host_port(host, 443)
        reason = "HTTP CONNECT seen by Zeek (http.log)"
        return _named(rec, origin, name, port, reason=reason, outcome=outcome, scheme="https")
    name, _ = split_host_port(host, port)
    uri = (rec.text("uri") or "").partition("?")[0]
    url = f"http://{host}{uri}" if uri.startswith("/") else None
    what = f"HTTP {method[:20]} request" if method else "HTTP request"
    return _named(
        rec,
        origin,
        name,
        port,
        reason=f"{what} seen by Zeek (http.log)",
        outcome=outcome,
        scheme="http",
        url=url,
    )


def _conn(rec: ZeekRecord, origin: str) -> Item:
    if (rec.text("proto") or "").lower() == "icmp":
        return Skipped(origin, rec.lineno, "an ICMP exchange names no port", kind="dropped")
    state = (rec.text("conn_state") or "").upper()
    outcome: Outcome = (
        "failed" if state in _CONN_FAILED else "unknown" if not state or state in _CONN_UNKNOWN else "allowed"
    )
    service = (rec.text("service") or "").lower()
    scheme = "https" if "ssl" in service.split(",") else "http" if "http" in service.split(",") else None
    state_note = f", state {state}" if state else ""
    reason = f"connection seen by Zeek (conn.log{state_note}): unattributed IP, the log names no host"
    return _address(rec, origin, _port(rec), reason, outcome, scheme)


_MAPPERS: dict[str, Callable[[ZeekRecord, str], Item]] = {
    "dns": _dns,
    "ssl": _ssl,
    "http": _http,
    "conn": _conn,
}
"""One mapper per log in :data:`~.zeek.LOGS`."""


def _port(rec: ZeekRecord) -> int:
    text = rec.text("id.resp_p")
    if text is None or not text.isdigit() or not 0 < int(text) < 65536:
        raise ValueError(f"bad id.resp_p {text!r}")
    return int(text)


def _address(
    rec: ZeekRecord, origin: str, port: int, reason: str, outcome: Outcome, scheme: str | None
) -> Item:
    address = rec.text("id.resp_h")
    if not address:
        raise ValueError("no id.resp_h")
    return _named(rec, origin, address, port, reason=reason, outcome=outcome, scheme=scheme)


def _named(rec: ZeekRecord, origin: str, raw: str, port: int, **extra: Any) -> Item:
    try:
        host = normalize_host(raw)
    except ValueError as exc:
        return Skipped(origin, rec.lineno, f"{exc}: {raw[:80]!r}")
    why = drop_reason(host)
    if why:
        return Skipped(origin, rec.lineno, f"{why}: {host}", kind="dropped")
    client = rec.text("id.orig_h")
    fields: dict[str, Any] = {"kind": "connect", **extra}
    return Observation(
        host=host,
        port=port,
        tier="observed",
        source=f"{origin}:{rec.lineno}",
        clients=(client,) if client else (),
        time=_time(rec.text("ts")),
        **fields,
    )


def _time(text: str | None) -> float | None:
    """``ts`` as epoch seconds (``1602265824.123071``) or ISO 8601 (some JSON writers)."""
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ValueError(f"bad ts {text[:40]!r}") from None
