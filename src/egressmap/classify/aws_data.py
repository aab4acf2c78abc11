"""AWS partitions, regions, DNS suffixes and endpoint prefixes, read from botocore's bundled data (offline).

Two files from botocore's ``data`` folder are used (read as package data, the way botocore's own loader finds
them, without importing botocore's HTTP stack; ``.json.gz`` copies are read too):

- ``endpoints.json``: per partition its ``dnsSuffix``, the explicitly listed ``regions``, the endpoint
  *prefixes* (the keys of ``services``, e.g. ``monitoring`` for CloudWatch) and the hostnames botocore spells out
  (global endpoints such as ``iam.amazonaws.com`` or ``route53.us-gov.amazonaws.com``).
- ``partitions.json``: per partition its ``regionRegex``, the dual-stack suffix (``api.aws``) and the region list
  (which also contains pseudo-regions such as ``aws-global``; those fail the partition's ``regionRegex`` and are
  left out).

>>> partition_of_region("cn-north-1")
'aws-cn'
>>> sorted(suffix_partitions("api.aws"))
['aws', 'aws-us-gov']
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any

from egressmap.errors import EgressmapError

__all__ = [
    "REGION_LIKE",
    "ExplicitHost",
    "dns_suffixes",
    "explicit_host",
    "is_region",
    "known_prefixes",
    "match_suffix",
    "partition_of_region",
    "region_partitions",
    "suffix_partitions",
]

#: A token shaped like an AWS region (``us-east-1``, ``ap-southeast-7``, ``us-gov-west-1``, ``us-isob-east-1``).
REGION_LIKE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

#: Used for an unlisted region whose prefix matches no partition's ``regionRegex``.
_PREFIX_FALLBACK: tuple[tuple[str, str], ...] = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"))


@dataclass(frozen=True, slots=True)
class ExplicitHost:
    """A hostname spelled out in botocore's ``endpoints.json``."""

    service: str
    """The endpoint prefix (the ``services`` key) the hostname belongs to."""
    partition: str
    global_service: bool
    """True when botocore marks the service ``isRegionalized: false`` (one endpoint per partition)."""


def _load(name: str) -> Mapping[str, Any]:
    folder = files("botocore") / "data"
    try:
        plain = folder / f"{name}.json"
        if plain.is_file():
            data: Mapping[str, Any] = json.loads(plain.read_bytes())
        else:
            data = json.loads(gzip.decompress((folder / f"{name}.json.gz").read_bytes()))
    except (OSError, ValueError) as exc:  # pragma: no cover - botocore always ships both files
        raise EgressmapError(
            f"botocore's bundled {name}.json cannot be read ({exc}); reinstall botocore"
        ) from exc
    return data


@lru_cache(maxsize=1)
def _endpoints() -> Mapping[str, Any]:
    return _load("endpoints")


@lru_cache(maxsize=1)
def _partitions() -> Mapping[str, Any]:
    return _load("partitions")


@lru_cache(maxsize=1)
def region_partitions() -> Mapping[str, str]:
    """Every explicitly listed AWS region mapped to its partition id (read-only)."""
    regions: dict[str, str] = {}
    for part in _endpoints()["partitions"]:
        for region in part.get("regions", {}):
            regions[region] = part["partition"]
    for part in _partitions()["partitions"]:
        regex = re.compile(part.get("regionRegex") or r"^$")
        for region in part.get("regions", {}):
            if regex.match(region):
                regions.setdefault(region, part["id"])
    return MappingProxyType(dict(sorted(regions.items())))


def is_region(token: str) -> bool:
    """Tell whether a token is a region botocore lists, or shaped like one that botocore does not list yet.

    >>> is_region("eusc-de-east-1"), is_region("ap-newplace-9"), is_region("s3"), is_region("dualstack")
    (True, True, False, False)
    """
    return token in region_partitions() or REGION_LIKE.match(token) is not None


@lru_cache(maxsize=1)
def _region_regexes() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple(
        (re.compile(part["regionRegex"]), part["id"])
        for part in _partitions()["partitions"]
        if part.get("regionRegex")
    )


def partition_of_region(region: str) -> str:
    """Return the partition of a region: botocore's list, then ``regionRegex``, then the prefix, else ``aws``.

    >>> partition_of_region("us-gov-west-1"), partition_of_region("ap-newplace-9"), partition_of_region("xx-y-1")
    ('aws-us-gov', 'aws', 'aws')
    """
    known = region_partitions().get(region)
    if known is not None:
        return known
    for regex, partition in _region_regexes():
        if regex.match(region):
            return partition
    for prefix, partition in _PREFIX_FALLBACK:
        if region.startswith(prefix):
            return partition
    return "aws"


@lru_cache(maxsize=1)
def _suffixes() -> Mapping[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for part in _endpoints()["partitions"]:
        names = [part["dnsSuffix"]]
        names += [v["dnsSuffix"] for v in part.get("defaults", {}).get("variants", []) if v.get("dnsSuffix")]
        for name in names:
            found.setdefault(name, set()).add(part["partition"])
    for part in _partitions()["partitions"]:
        outputs = part.get("outputs", {})
        for key in ("dnsSuffix", "dualStackDnsSuffix"):
            if outputs.get(key):
                found.setdefault(outputs[key], set()).add(part["id"])
    return MappingProxyType({name: frozenset(parts) for name, parts in found.items()})


@lru_cache(maxsize=1)
def dns_suffixes() -> frozenset[str]:
    """Every partition DNS suffix botocore knows (``amazonaws.com``, ``api.aws``, ``c2s.ic.gov``...)."""
    return frozenset(_suffixes())


def suffix_partitions(suffix: str) -> frozenset[str]:
    """Return the partitions using a DNS suffix (``amazonaws.com`` is shared by ``aws`` and ``aws-us-gov``)."""
    return _suffixes().get(suffix, frozenset())


def match_suffix(host: str) -> str | None:
    """Return the longest botocore DNS suffix ``host`` ends with on a label boundary (or equals), else None.

    >>> match_suffix("s3.cn-north-1.amazonaws.com.cn"), match_suffix("ec2.us-east-1.api.aws")
    ('amazonaws.com.cn', 'api.aws')
    >>> match_suffix("notamazonaws.com") is None
    True
    """
    suffixes = _suffixes()
    candidate = host
    while candidate not in suffixes:  # each right-hand part, longest first (slices, not split and join)
        dot = candidate.find(".")
        if dot < 0:
            return None
        candidate = candidate[dot + 1 :]
    return candidate


@lru_cache(maxsize=1)
def known_prefixes() -> frozenset[str]:
    """Endpoint prefixes from ``endpoints.json`` plus the service names botocore has models for."""
    names: set[str] = set()
    for part in _endpoints()["partitions"]:
        names.update(part.get("services", {}))
    names.update(d.name for d in (files("botocore") / "data").iterdir() if d.is_dir())  # one folder per model
    return frozenset(names)


@lru_cache(maxsize=1)
def _explicit_hosts() -> Mapping[str, ExplicitHost]:
    table: dict[str, ExplicitHost] = {}
    for part in _endpoints()["partitions"]:
        for service, data in part.get("services", {}).items():
            is_global = data.get("isRegionalized") is False
            for endpoint in data.get("endpoints", {}).values():
                names = [endpoint.get("hostname")]
                names += [v.get("hostname") for v in endpoint.get("variants", [])]
                for name in names:
                    if name and "{" not in name and ":" not in name:
                        table.setdefault(name, ExplicitHost(service, part["partition"], is_global))
    return MappingProxyType(table)


def explicit_host(host: str) -> ExplicitHost | None:
    """Return what botocore says about a hostname it spells out, else None.

    >>> explicit_host("route53.us-gov.amazonaws.com")
    ExplicitHost(service='route53', partition='aws-us-gov', global_service=True)
    """
    return _explicit_hosts().get(host)
