"""The cluster's own S3 bucket: its name when a v3 config reveals it, and the catalog lines that name narrows.

ParallelCluster 3 keeps a cluster's config, templates and assets in ``parallelcluster-<hash>-v1-do-not-delete``,
where ``<hash>`` is the first 16 hex digits of ``sha256(account id + region)`` (``S3Bucket.get_bucket_name`` in
aws/aws-parallelcluster), unless the config names its own ``CustomS3Bucket``. The catalog cannot know the hash,
so it gives the bucket's host names as one-label wildcards (``*.s3.{region}.amazonaws.com``), which admit anyone's
bucket. When the config names ``CustomS3Bucket``, or ARNs that carry exactly one account id, the planner swaps
those wildcards for the bucket's exact names.

>>> default_bucket_name("111122223333", "us-east-1")
'parallelcluster-5b831fb59db489f1-v1-do-not-delete'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .configs import ConfigDoc
from .configs.located import PathPart, format_path
from .model import CatalogEntry

BUCKET_ENTRIES = frozenset({"cli-s3-bucket-names", "cluster-config-bucket-names"})
"""ParallelCluster catalog lines whose ``*.`` hosts stand for the cluster bucket's name."""

_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):")
_V3_KINDS = ("pcluster-v3-cluster", "pcluster-v3-build-image")


@dataclass(frozen=True)
class ClusterBucket:
    """What the config says about the cluster bucket: its name and how it was found, or why it was not."""

    name: str | None
    why: str


def default_bucket_name(account: str, region: str) -> str:
    """The bucket ``pcluster`` creates for ``account`` in ``region`` when the config sets no CustomS3Bucket."""
    digest = hashlib.sha256((account + region).encode()).hexdigest()[:16]
    return f"parallelcluster-{digest}-v1-do-not-delete"


def cluster_bucket(doc: ConfigDoc, region: str | None) -> ClusterBucket | None:
    """The cluster bucket of a v3 config, or why its name is unknown (None for a v2 config)."""
    if doc.kind not in _V3_KINDS:
        return None
    custom = doc.get("CustomS3Bucket")
    if isinstance(custom, str) and custom.strip():
        name = custom.strip().lower()
        return ClusterBucket(name, f"bucket {name} from CustomS3Bucket ({doc.where('CustomS3Bucket')})")
    accounts: dict[str, str] = {}
    for path, value in _strings(doc.data, []):
        found = _ACCOUNT_IN_ARN.match(value)
        if found:
            accounts.setdefault(found.group(1), path)
    if not accounts:
        return ClusterBucket(None, "no CustomS3Bucket and no ARN with an account id in the config")
    if len(accounts) > 1:
        names = ", ".join(f"{a} ({doc.where(p)})" for a, p in sorted(accounts.items()))
        return ClusterBucket(None, f"the config's ARNs name several accounts ({names})")
    if region is None:
        return ClusterBucket(None, "no region to compute it from")
    (account, path), *_ = accounts.items()
    name = default_bucket_name(account, region)
    return ClusterBucket(
        name, f"bucket {name} from account {account} ({path}, {doc.where(path)}) and region {region}"
    )


def narrow(selected: Sequence[CatalogEntry], bucket: ClusterBucket | None) -> list[CatalogEntry]:
    """``selected`` with the bucket lines' ``*.`` hosts replaced by the bucket's name, when it is known."""
    if bucket is None or bucket.name is None:
        return list(selected)
    name = bucket.name
    return [
        replace(e, hosts=tuple(_named(h, name) for h in e.hosts)) if e.id in BUCKET_ENTRIES else e
        for e in selected
    ]


def narrowed_keys(selected: Iterable[CatalogEntry]) -> list[str]:
    """Catalog keys of the bucket lines among ``selected``."""
    return [e.key for e in selected if e.id in BUCKET_ENTRIES]


def _named(host: str, bucket: str) -> str:
    return f"{bucket}.{host[2:]}" if host.startswith("*.") else host


def _strings(value: Any, parts: list[PathPart]) -> Iterator[tuple[str, str]]:
    """(config path, text) of every string in a v3 config, depth first."""
    if isinstance(value, str):
        yield format_path(parts), value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _strings(item, [*parts, str(key)])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, [*parts, index])
