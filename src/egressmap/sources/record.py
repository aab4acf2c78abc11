"""egressmap's own proxy record (``egressmap proxy --record FILE``): JSON Lines, one request or tunnel each.

Every line names its format (``"record": "egressmap.record/1"``), so sniffing is exact. A request becomes a
``connect`` observation with the proxy's outcome; a tunnel whose TLS SNI named another host than its CONNECT
(or, in transparent mode, than the original destination) also yields an observation of the SNI host, whose
reason says where it came from.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..hostnames import drop_reason, normalize_host
from ..model import Observation, Skipped
from .interface import Item, Source, match_ratio

SCHEMA = "egressmap.record/1"
"""Must equal :data:`egressmap.proxy.record.SCHEMA` (a test checks)."""
_MARK = f'"record":"{SCHEMA}"'
_OUTCOMES = frozenset({"allowed", "denied", "failed"})


class ProxyRecord(Source):
    """Records written by ``egressmap proxy``."""

    name = "record"
    role = "proxy"
    description = "egressmap proxy records (JSON Lines, egressmap.record/1)"

    def sniff(self, head: Sequence[str]) -> float:
        """Every line carries the record marker."""
        return match_ratio(head, lambda line: _MARK in line)

    def read(self, lines: Iterable[str], origin: str) -> Iterator[Item]:
        """One observation per record (two when the SNI named another host)."""
        for lineno, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict) or data.get("record") != SCHEMA:
                    raise ValueError(f"not an {SCHEMA} record")
                yield from _observations(data, origin, lineno)
            except (ValueError, TypeError, KeyError) as exc:
                yield Skipped(origin, lineno, f"bad proxy record: {str(exc)[:120]}")


def _observations(data: dict[str, Any], origin: str, lineno: int) -> Iterator[Item]:
    port, method = data["port"], str(data["method"])
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ValueError(f"bad port {port!r}")
    outcome = data.get("outcome")
    if outcome not in _OUTCOMES:
        raise ValueError(f"bad outcome {outcome!r}")
    mode = "transparent proxy" if data.get("mode") == "transparent" else "proxy"
    if method == "CONNECT":
        what = "CONNECT tunnel"
    else:
        what = f"{method[:20]} {'connection' if method in ('TLS', 'TCP') else 'request'}"
    denied = f" (denied by the proxy: {str(data.get('reason') or '')[:100]})" if outcome == "denied" else ""
    tls = method in ("CONNECT", "TLS") and (port == 443 or data.get("sni"))
    common: dict[str, Any] = {
        "kind": "connect",
        "tier": "observed",
        "source": f"{origin}:{lineno}",
        "scheme": "https" if tls else "http" if data.get("url") else None,
        "outcome": outcome,
        "clients": (_client(data.get("client")),) if data.get("client") else (),
        "time": float(data["time"]) if data.get("time") else None,
    }
    host = _host(str(data["host"]), origin, lineno)
    if isinstance(host, Skipped):
        yield host
    else:
        url = data.get("url")
        yield Observation(
            host=host,
            port=port,
            reason=f"{what} seen by the egressmap {mode}{denied}",
            url=str(url).partition("?")[0] if url else None,
            **common,
        )
    sni = data.get("sni")
    if sni and data.get("sni_mismatch"):
        named = _host(str(sni), origin, lineno)
        if isinstance(named, Skipped):
            yield named
        elif named != host:
            yield Observation(
                host=named,
                port=port,
                reason=f"TLS SNI in a {what} to {data['host']} (SNI does not match the destination){denied}",
                **common,
            )


def _host(raw: str, origin: str, lineno: int) -> str | Skipped:
    try:
        host = normalize_host(raw)
    except ValueError as exc:
        return Skipped(origin, lineno, f"{exc}: {raw[:80]!r}")
    why = drop_reason(host)
    return Skipped(origin, lineno, f"{why}: {host}", kind="dropped") if why else host


def _client(raw: object) -> str:
    text = str(raw)
    if text.startswith("["):
        return text[1:].partition("]")[0]
    return text.rpartition(":")[0] if text.count(":") == 1 else text
