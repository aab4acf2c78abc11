"""Summary files: an :class:`~.evidence.Evidence` written to disk, to merge later or to read as a source.

A summary is gzip-compressed JSON Lines. The first line names the schema (:data:`SCHEMA`); then one record per
line, each a one-key object: ``d`` a destination, ``i`` an input's report, ``h`` a connection held for naming,
``a`` a DNS answer, ``p``/``c`` the proxy log's hosts and clients, ``s`` its time span, ``n`` a network
observation for the bypass finding. The last line is ``{"end": N}`` with N the records before it: a file
without it was cut short. Records come sorted, so the same evidence always gives the same bytes.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .errors import EgressmapError, InputError
from .evidence import Evidence, empty
from .ingest import InputReport
from .model import Destination, Observation

SCHEMA = "egressmap.summary/1"
MAGIC = b'{"schema":"egressmap.summary/'
"""How the first (decompressed) line of a summary starts."""
WRITE_BATCH = 1024
"""Records joined per write to the gzip stream."""


class SummaryError(InputError):
    """A summary that cannot be read (another version, cut short, damaged)."""


def is_summary(path: str) -> bool:
    """True when ``path`` is a gzip file whose first line names a summary schema."""
    if path == "-" or not Path(path).is_file():
        return False
    try:
        with open(path, "rb") as raw:
            if raw.read(2) != b"\x1f\x8b":
                return False
            raw.seek(0)
            with gzip.GzipFile(fileobj=raw) as f:
                return f.read(len(MAGIC)) == MAGIC
    except (OSError, EOFError, zlib.error):
        return False


def write_summary(evidence: Evidence, path: str) -> int:
    """Write the summary (to a temporary name, then renamed: never a half-written file); the records."""
    tmp = f"{path}.tmp-{os.getpid()}"
    count = 0
    try:
        # gzip's default level 6: level 9 took a sixth longer for a file 2% smaller
        with (
            open(tmp, "wb") as raw,
            gzip.GzipFile(filename="", fileobj=raw, mode="wb", mtime=0, compresslevel=6) as out,
        ):
            lines = [_line({"schema": SCHEMA})]
            for record in _records(evidence):
                lines.append(_line(record))
                count += 1
                if len(lines) >= WRITE_BATCH:  # one call to the compressor per batch, not per record
                    out.write(b"".join(lines))
                    lines.clear()
            lines.append(_line({"end": count}))
            out.write(b"".join(lines))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise EgressmapError(f"{path}: cannot write the summary ({exc.strerror or exc})") from exc
    return count


def read_summary(path: str) -> Evidence:
    """The evidence a summary holds; :class:`SummaryError` when it is of another version or incomplete."""
    evidence = empty()
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            _read_into(evidence, f, path)
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise SummaryError(f"{path}: the summary is cut short or damaged ({exc}); make it again") from exc
    except OSError as exc:
        raise SummaryError(f"{path}: cannot read the summary ({exc.strerror or exc})") from exc
    return evidence


def _line(data: Any) -> bytes:
    return (json.dumps(data, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")


def _records(ev: Evidence) -> Iterator[dict[str, Any]]:
    for key in sorted(ev.table):
        d = ev.table[key]
        yield {"d": [d.host, d.port, d.count, d.tier, dict(sorted(d.outcomes.items())), sorted(d.reasons),
                     d.sources, sorted(d.clients), sorted(d.schemes), d.urls, d.first_seen, d.last_seen]}  # fmt: skip
    for rep in sorted(ev.report.inputs, key=lambda r: r.origin):
        yield {"i": _report(rep)}
    for obs, fmt in sorted(ev.correlator.held, key=lambda h: _obs_key(h[0])):
        yield {"h": [*_obs(obs), fmt]}
    for (client, address), names in sorted(ev.correlator.book.pairs.items()):
        for name, seen in sorted(names.items()):
            yield {"a": [client, address, name, seen.first, seen.last, seen.origin]}
    yield {"p": sorted(ev.watch.proxied)}
    yield {"c": sorted(ev.watch.proxy_clients)}
    yield {"s": [ev.watch.start, ev.watch.end]}
    for host in sorted(ev.watch.network):
        for obs, fmt in sorted(ev.watch.network[host].observations, key=lambda h: _obs_key(h[0])):
            yield {"n": [*_obs(obs), fmt]}
    if ev.correlator.book.dropped:
        yield {"x": ev.correlator.book.dropped}


def _obs(o: Observation) -> list[Any]:
    return [o.host, o.port, o.kind, o.tier, o.reason, o.source, o.scheme, o.outcome, list(o.clients), o.time,
            o.last_time, o.url, o.count]  # fmt: skip


def _obs_key(o: Observation) -> tuple[Any, ...]:
    """A total order of observations by every field (None first, a NaN time after the numbers)."""
    return (o.host, o.port, o.kind, o.tier, o.reason, o.source, _text(o.scheme), o.outcome, o.clients,
            _time(o.time), _time(o.last_time), _text(o.url), o.count)  # fmt: skip


def _text(value: str | None) -> tuple[bool, str]:
    return (value is not None, value or "")


def _time(value: float | None) -> tuple[int, float]:
    if value is None:
        return (0, 0.0)
    return (1, value) if value == value else (2, 0.0)  # NaN equals nothing: it sorts last


def _observation(raw: list[Any]) -> Observation:
    host, port, kind, tier, reason, source, scheme, outcome, clients, time, last, url, count = raw
    return Observation(
        host, port, kind, tier, reason, source, scheme, outcome, tuple(clients), time, last, url, count
    )


def _report(r: InputReport) -> dict[str, Any]:
    return {
        "origin": r.origin,
        "format": r.format,
        "lines": r.lines,
        "observations": r.observations,
        "error": r.error,
        "recognised": r.recognised,
        "proxy_lines": r.proxy_lines,
        "problems": sorted([k, reason, n, r.problems.get((k, reason), [])] for (k, reason), n in r.problem_counts.items()),
        "nothing": r.nothing,
        "blind_spots": list(r.blind_spots),
        "not_read": r.not_read,
    }  # fmt: skip


def _input_report(raw: dict[str, Any]) -> InputReport:
    rep = InputReport(
        raw["origin"],
        format=raw["format"],
        lines=raw["lines"],
        observations=raw["observations"],
        error=raw["error"],
        recognised=raw["recognised"],
        proxy_lines=raw["proxy_lines"],
        nothing=raw["nothing"],
        blind_spots=tuple(raw["blind_spots"]),
        not_read=raw["not_read"],
    )
    for kind, reason, count, lines in raw["problems"]:
        rep.problem_counts[(kind, reason)] = count
        rep.problems[(kind, reason)] = list(lines)
    return rep


def _read_into(ev: Evidence, f: IO[str], path: str) -> None:
    first = f.readline()
    try:
        schema = json.loads(first).get("schema") if first.startswith("{") else None
    except ValueError:
        schema = None
    if schema != SCHEMA:
        what = f"a summary of {schema}" if isinstance(schema, str) else "not an egressmap summary"
        raise SummaryError(f"{path}: {what}; this egressmap reads {SCHEMA} (make the summary again with it)")
    count = 0
    for lineno, line in enumerate(f, 2):
        try:
            record = json.loads(line)
            (kind, value), *_ = record.items()
        except ValueError as exc:
            raise SummaryError(
                f"{path}: line {lineno} is cut short or damaged; make the summary again"
            ) from exc
        if kind == "end":
            if value != count:
                raise SummaryError(f"{path}: says {value} records but holds {count}; make the summary again")
            return
        try:
            _apply(ev, kind, value)
        except (TypeError, ValueError, KeyError) as exc:
            raise SummaryError(f"{path}: line {lineno}: not a {SCHEMA} record ({exc})") from exc
        count += 1
    raise SummaryError(
        f"{path}: the summary is cut short (no end record after {count} records); make it again"
    )


def _apply(ev: Evidence, kind: str, v: Any) -> None:
    if kind == "d":
        host, port, count, tier, outcomes, reasons, sources, clients, schemes, urls, first, last = v
        ev.table.absorb(Destination(host, port, count, tier, dict(outcomes), set(reasons), list(sources),
                                    set(clients), set(schemes), list(urls), first, last))  # fmt: skip
    elif kind == "i":
        ev.report.inputs.append(_input_report(v))
    elif kind == "h":
        ev.correlator.held.append((_observation(v[:-1]), v[-1]))
    elif kind == "a":
        ev.correlator.book.merge(*v)
    elif kind == "p":
        ev.watch.proxied.update(v)
    elif kind == "c":
        ev.watch.proxy_clients.update(v)
    elif kind == "s":
        ev.watch.start, ev.watch.end = v
    elif kind == "n":
        obs = _observation(v[:-1])
        ev.watch.see(obs, "network", v[-1])
    elif kind == "x":
        ev.correlator.book.dropped += int(v)
    else:
        raise ValueError(f"unknown record kind {kind!r}")


__all__ = ["SCHEMA", "SummaryError", "is_summary", "read_summary", "write_summary"]
