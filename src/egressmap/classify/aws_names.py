"""Split a host under an AWS DNS suffix into the suffix, the labels in front of it and its S3 form.

Finding the suffix walks the host's parents and finding the S3 label scans the labels from the right; in a big
log thousands of hosts share a parent (buckets of one region, API ids of one region), so the parent's part of
that work is kept. Why the kept part gives the plain answer, for ``host = first.parent``:

- ``host`` is not a DNS suffix itself, so the longest suffix it ends with is the one ``parent`` ends with;
- :func:`~egressmap.classify.s3.parse_s3` tries the labels from the right, each with the labels after it. The
  host's labels are ``first`` followed by the parent's, so each label of the parent is tried with the same
  labels after it as in the parent's own scan: if the parent's scan found the S3 label, the host's scan finds
  the same one first, and the bucket gains ``first`` in front. Otherwise only ``first`` is left to try, and the
  plain scan does that.

Names this cannot reason about (a DNS suffix itself, a single label, empty labels) take the plain way.

>>> split_aws("b.s3.us-east-1.amazonaws.com")
('amazonaws.com', ['b', 's3', 'us-east-1'], S3Match(bucket='b', region='us-east-1', form='regional', fips=False))
>>> split_aws("pypi.org") is None
True
"""

from __future__ import annotations

from egressmap.classify import aws_data
from egressmap.classify.s3 import S3Match, parse_s3

__all__ = ["MAX_PARENTS", "split_aws"]

MAX_PARENTS = 1 << 14
"""Parents whose part of the work is kept."""

Split = tuple[str, list[str], S3Match | None]
"""(DNS suffix, labels in front of it, S3 form or None)."""

_MISSING = ("", None)
_kept: dict[str, tuple[str, S3Match | None] | None] = {}


def split_aws(host: str) -> Split | None:
    """Return the suffix, the labels in front of it and the S3 form of a host under an AWS DNS suffix, else None.

    A host equal to a suffix gives no labels (``[]``).
    """
    first, dot, parent = host.partition(".")
    if not dot or ".." in host or host in aws_data.dns_suffixes():
        return _plain(host)
    kept = _kept.get(parent, _MISSING)
    if kept is _MISSING:
        whole = _plain(parent)
        kept = None if whole is None else (whole[0], whole[2])
        if len(_kept) < MAX_PARENTS:
            _kept[parent] = kept
    if kept is None:
        return None
    suffix, in_parent = kept
    labels = [first] if parent == suffix else [first, *parent[: -len(suffix) - 1].split(".")]
    if in_parent is None:
        return suffix, labels, parse_s3(labels)
    bucket = first if in_parent.bucket is None else f"{first}.{in_parent.bucket}"
    return suffix, labels, S3Match(bucket, in_parent.region, in_parent.form, in_parent.fips)


def _plain(host: str) -> Split | None:
    suffix = aws_data.match_suffix(host)
    if suffix is None:
        return None
    if host == suffix:
        return suffix, [], None
    labels = host[: -len(suffix) - 1].split(".")
    return suffix, labels, parse_s3(labels)
