"""Say what a host is: a cloud service endpoint (and its private endpoint) or an internet host of a category.

Each :class:`~egressmap.model.Classification` also carries the host's public suffix and whether it sits in
shared hosting.

Order: IP literals; AWS (botocore data), Azure, Google Cloud; otherwise the ordered rules of
``data/categories.yaml``. Provider modules decide ``shared_hosting`` themselves (True for names any customer
can create: buckets, storage accounts, distributions; False for the provider's own API hosts even where the
public suffix list lists their parent, as it does ``us-east-1.amazonaws.com`` and ``googleapis.com``); for
internet hosts it comes from the public suffix list's private section, and CDN edge names always count.

>>> c = classify("ec2.us-east-1.amazonaws.com")
>>> c.scope, c.provider, c.service, c.region, c.partition, c.private_endpoint
('cloud', 'aws', 'ec2', 'us-east-1', 'aws', 'interface')
>>> classify("bugs.centos.org").category
'documentation'
>>> all_regions()["cn-north-1"]
'aws-cn'
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from egressmap.model import Classification

# The provider modules and their data load on first use (about 20 ms): importing this package stays cheap, so
# the CLI starts its work (and its parsing child process) before the classification data is needed.

__all__ = ["all_regions", "classifier", "classify", "partition_regions"]


@lru_cache(maxsize=1 << 17)
def classify(host: str) -> Classification:
    """Classify a host already normalised by :func:`egressmap.hostnames.normalize_host` (cached).

    >>> classify("10.1.2.3").category, classify("8.8.8.8").category
    ('internal', 'other')
    """
    return _engine()(host)


def classifier() -> Callable[[str], Classification]:
    """:func:`classify` without its cache, for a caller that asks once per host (a scan of 100,000 hosts).

    The same answers; it spares the cache's bookkeeping and memory (about 100 bytes a host), and keeps no
    answer alive once the caller lets it go.
    """
    return _engine()


@lru_cache(maxsize=1)
def _engine() -> Callable[[str], Classification]:
    """The classifier, imported on first use (importing inside :func:`classify` cost microseconds a host)."""
    from egressmap.classify.host import classify_host

    return classify_host


def all_regions() -> dict[str, str]:
    """Every AWS region botocore lists explicitly, mapped to its partition id (``aws``, ``aws-cn``...).

    Pseudo-regions such as ``aws-global`` are left out. The dict is a fresh copy.

    >>> all_regions()["us-gov-west-1"]
    'aws-us-gov'
    """
    from egressmap.classify import aws_data

    return dict(aws_data.region_partitions())


def partition_regions(partition: str) -> list[str]:
    """Return the regions of one partition, sorted; raise ValueError naming the known ones if unknown.

    >>> partition_regions("aws-cn")
    ['cn-north-1', 'cn-northwest-1']
    """
    from egressmap.classify import aws_data

    regions = aws_data.region_partitions()
    found = sorted(region for region, owner in regions.items() if owner == partition)
    if not found:
        known = ", ".join(sorted(set(regions.values())))
        raise ValueError(f"unknown AWS partition {partition!r}; known partitions: {known}")
    return found


def warm_up() -> None:
    """Load the bundled data (public suffix list, botocore's endpoints, category rules) ahead of first use."""
    classify("warm-up.example.com")
    classify("ec2.us-east-1.amazonaws.com")
