"""The policy file: a :class:`~egressmap.model.Policy` written and read (``egressmap.policy/1``, YAML or JSON).

Output is deterministic: same policy, byte-identical file (keys in a fixed order, no clock).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from .errors import ConfigError
from .generalize import check_pattern
from .hostnames import normalize_host
from .model import REGION_TOKEN, TIER_RANK, Classification, Entry, Policy
from .rowjson import json_alike

SCHEMA = "egressmap.policy/1"
SCHEMA_FAMILY = "egressmap.policy/"
"""What every version of the policy schema starts with (a file naming another version is a policy, not read)."""
_TIERS = set(TIER_RANK)
_MATCHES = {"exact", "subdomains", "apex-and-subdomains", "one-label"}


def entry_to_dict(entry: Entry) -> dict[str, Any]:
    """An entry as the JSON/YAML contract spells it (key order fixed)."""
    c = entry.classification
    return {
        "pattern": entry.pattern,
        "match": entry.match,
        "hosts": list(entry.hosts),
        "ports": list(entry.ports),
        "scope": c.scope,
        "provider": c.provider,
        "service": c.service,
        "region": c.region,
        "partition": c.partition,
        "private_endpoint": c.private_endpoint,
        "category": c.category,
        "tier": entry.tier,
        "count": entry.count,
        "denied": entry.denied,
        "failed": entry.failed,
        **({"allowed": entry.allowed} if entry.denied or entry.failed else {}),
        **({"nxdomain": entry.nxdomain} if entry.nxdomain else {}),
        "broad": entry.broad,
        "reasons": list(entry.reasons),
        "sources": list(entry.sources),
        "notes": list(c.notes),
        "warnings": list(entry.warnings),
    }


def policy_to_dict(policy: Policy, entries: Iterable[Entry] | None = None) -> dict[str, Any]:
    """The whole policy as a dict (optionally with a filtered set of entries)."""
    return {
        "schema": SCHEMA,
        "regions": list(policy.regions),
        "inputs": list(policy.inputs),
        "skipped": dict(policy.skipped),
        "entries": [entry_to_dict(e) for e in (policy.entries if entries is None else entries)],
    }


def dump_yaml(policy: Policy) -> str:
    """The policy file's text."""
    import yaml  # only policy files need YAML; keep it off the scan path

    return yaml.safe_dump(policy_to_dict(policy), sort_keys=False, allow_unicode=False, width=1000)


def dump_json(data: Mapping[str, Any], compact: bool = False) -> str:
    """Stable JSON text; ``compact`` puts each top-level list item on one line (much faster for big outputs)."""
    if not compact:
        return _pretty(data)
    return "".join(iter_compact_json(data))


def _pretty(data: Mapping[str, Any]) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=True)`` and a newline, quicker with orjson.

    orjson (the ``[fast]`` extra) writes the same text for ASCII strings, integers, booleans and None; floats
    (``repr`` and orjson may write them differently) and non-ASCII text go the standard library's way. About 10x
    quicker for a big policy.
    """
    try:
        import orjson
    except ImportError:
        return json.dumps(data, indent=2, ensure_ascii=True) + "\n"
    if data.get("schema") == SCHEMA or not _has_float(data):  # (a policy has no float)
        try:
            text: bytes = orjson.dumps(data, option=orjson.OPT_INDENT_2)
        except TypeError:  # a type orjson does not write: the standard library says what it is
            text = b"\x80"
        if json_alike(text):
            return text.decode("ascii") + "\n"
    return json.dumps(data, indent=2, ensure_ascii=True) + "\n"


def _has_float(value: Any) -> bool:
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_float(v) for v in value)
    return False


JSON_BATCH = 512
"""List items encoded per piece of :func:`iter_compact_json`."""


def iter_compact_json(
    data: Mapping[str, Any], encoders: Mapping[str, Callable[[Any], str]] | None = None
) -> Iterator[str]:
    """``dump_json(data, compact=True)`` in pieces, to write a big document without holding all its text.

    A top-level value may also be an iterator, written as a list and consumed as it is written. ``encoders``
    may give, by top-level key, the function that writes each item of that list on its line (it must give
    text that parses to the item, on one line); the others are written by ``json.dumps``.
    """
    dumps = json.dumps
    yield "{\n"
    for index, (key, value) in enumerate(data.items()):
        lead = "  " if index == 0 else ",\n  "
        if not isinstance(value, (list, Iterator)):
            yield f"{lead}{dumps(key)}: {dumps(value, ensure_ascii=True)}"
            continue
        items = iter(value)
        encode = (encoders or {}).get(key, _dumps_ascii)
        batch = [encode(v) for v in islice(items, JSON_BATCH)]
        if not batch:
            yield f"{lead}{dumps(key)}: []"
            continue
        yield f"{lead}{dumps(key)}: [\n    "
        while batch:
            yield ",\n    ".join(batch)
            batch = [encode(v) for v in islice(items, JSON_BATCH)]
            if batch:
                yield ",\n    "
        yield "\n  ]"
    yield "\n}\n"


def _dumps_ascii(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True)


def write_json(
    data: Mapping[str, Any], out: TextIO, encoders: Mapping[str, Callable[[Any], str]] | None = None
) -> None:
    """Write ``dump_json(data, compact=True)`` to ``out`` piece by piece (``encoders``: as there)."""
    for piece in iter_compact_json(data, encoders):
        out.write(piece)


def load_policy(path: str) -> Policy:
    """Read a YAML or JSON policy file, validating every field; errors name the entry."""
    try:
        text = Path(path).read_text(encoding="utf-8") if path != "-" else __import__("sys").stdin.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read policy ({exc})") from exc
    import yaml

    try:
        data = yaml.safe_load(text)  # JSON is YAML too
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML/JSON ({str(exc).splitlines()[0]})") from None
    return policy_from_dict(data, path)


def policy_from_dict(data: object, origin: str = "policy") -> Policy:
    """Validate a parsed policy document."""
    schema = data.get("schema") if isinstance(data, dict) else None
    if isinstance(schema, str) and schema.startswith(SCHEMA_FAMILY) and schema != SCHEMA:
        raise ConfigError(
            f"{origin}: policy schema {schema!r} is not the one this egressmap reads ({SCHEMA!r})"
        )
    if not isinstance(data, dict) or schema != SCHEMA:
        raise ConfigError(f"{origin}: not an egressmap policy (expected 'schema: {SCHEMA}')")
    raw_entries = data.get("entries") or []
    if not isinstance(raw_entries, list):
        raise ConfigError(f"{origin}: 'entries' must be a list")
    entries = tuple(_entry_from(e, f"{origin}: entry {i + 1}") for i, e in enumerate(raw_entries))
    regions = data.get("regions") or []
    skipped = data.get("skipped") or {}
    if not isinstance(regions, list) or not isinstance(skipped, dict):
        raise ConfigError(f"{origin}: 'regions' must be a list and 'skipped' a mapping")
    return Policy(
        entries=entries,
        regions=tuple(str(r) for r in regions),
        inputs=tuple(str(i) for i in data.get("inputs") or []),
        skipped={str(k): int(v) for k, v in skipped.items()},
    )


def _entry_from(raw: object, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a mapping")
    try:
        pattern = str(raw["pattern"])
        hosts = tuple(normalize_host(str(h)) for h in raw.get("hosts") or [])
        ports = tuple(int(p) for p in raw.get("ports") or [])
        check_pattern(pattern)
        if any(not 0 < p < 65536 for p in ports) or not ports:
            raise ValueError("ports must be 1..65535 and not empty")
        tier, match = raw.get("tier", "observed"), raw.get("match", "exact")
        if tier not in _TIERS or match not in _MATCHES:
            raise ValueError(f"bad tier {tier!r} or match {match!r}")
        c = Classification(
            scope=raw.get("scope", "internet"),
            provider=raw.get("provider"),
            service=raw.get("service"),
            region=raw.get("region"),
            partition=raw.get("partition"),
            private_endpoint=raw.get("private_endpoint", "none"),
            category=raw.get("category", "other"),
            notes=tuple(str(n) for n in raw.get("notes") or []),
        )
        if c.scope not in ("internet", "cloud") or c.private_endpoint not in ("gateway", "interface", "none"):
            raise ValueError(f"bad scope {c.scope!r} or private_endpoint {c.private_endpoint!r}")
        if not hosts and REGION_TOKEN not in pattern and not pattern.startswith("*."):
            hosts = (pattern,)
        count, denied, failed = int(raw.get("count", 0)), int(raw.get("denied", 0)), int(raw.get("failed", 0))
        # written only when denied or failed is not 0; a file without it counts every other request as allowed
        allowed = int(raw.get("allowed", max(count - denied - failed, 0)))
        nxdomain = int(raw.get("nxdomain", 0))
        if nxdomain < 0:
            raise ValueError(f"bad nxdomain count {nxdomain}")
        return Entry(
            pattern=pattern,
            hosts=hosts,
            ports=ports,
            classification=c,
            tier=tier,
            match=match,
            count=count,
            denied=denied,
            failed=failed,
            allowed=allowed,
            nxdomain=nxdomain,
            broad=bool(raw.get("broad", False)),
            reasons=tuple(str(r) for r in raw.get("reasons") or []),
            sources=tuple(str(s) for s in raw.get("sources") or []),
            warnings=tuple(str(w) for w in raw.get("warnings") or []),
        )
    except KeyError as exc:
        raise ConfigError(f"{where}: missing field {exc}") from None
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
