"""Recognise every Amazon S3 host name form and pull out the bucket and region.

Forms (the part in front of the partition's DNS suffix, split into labels):

- virtual-hosted ``bucket.s3``, ``bucket.s3.{region}``, ``bucket.s3.dualstack.{region}``, ``bucket.s3-fips.{region}``;
- path style ``s3``, ``s3.{region}``, ``s3.dualstack.{region}``, ``s3-external-1``;
- legacy dash style ``s3-{region}`` / ``bucket.s3-{region}``;
- website ``bucket.s3-website-{region}`` and ``bucket.s3-website.{region}``;
- Transfer Acceleration ``bucket.s3-accelerate[.dualstack]``;
- access points ``name-account.s3-accesspoint[.dualstack].{region}``.

Bucket names may contain dots, so the S3 label is searched from the right. Name forms:
https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html and
https://docs.aws.amazon.com/AmazonS3/latest/userguide/WebsiteEndpoints.html

>>> m = parse_s3("my.bucket.s3.dualstack.us-east-1".split("."))
>>> m.bucket, m.region, m.form
('my.bucket', 'us-east-1', 'dualstack')
>>> parse_s3(["ec2", "us-east-1"]) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from egressmap.classify.aws_data import is_region
from egressmap.model import record

__all__ = ["S3Form", "S3Match", "bucket_facts", "parse_s3"]

S3Form = Literal[
    "global", "regional", "dualstack", "dash", "external", "website", "accelerate", "accesspoint"
]

_REGION = r"[a-z]{2,4}(?:-[a-z]+)+-\d+"
_DASH = re.compile(rf"^s3(?P<fips>-fips)?-(?P<region>{_REGION})$")
_WEBSITE_DASH = re.compile(rf"^s3-website-(?P<region>{_REGION})$")


@record
class S3Match:
    """What an S3 host name says."""

    bucket: str | None
    """Bucket (or access point) name for virtual-hosted names; None for path-style names."""
    region: str | None
    """Region spelled in the host name; None for the legacy global and accelerate names."""
    form: S3Form
    fips: bool = False


def _region_tail(tail: Sequence[str]) -> tuple[str | None, bool] | None:
    """``[]`` → (None, False); ``[region]`` → (region, False); ``["dualstack", region]`` → (region, True)."""
    if not tail:
        return None, False
    if len(tail) == 1 and is_region(tail[0]):
        return tail[0], False
    if len(tail) == 2 and tail[0] == "dualstack" and is_region(tail[1]):
        return tail[1], True
    return None


_Form = tuple[str | None, S3Form, bool]
"""What one label says: (region, form, fips)."""


def _match_label(label: str, tail: Sequence[str]) -> _Form | None:
    """Try ``label`` (which starts with ``s3``) as the S3 label with ``tail`` after it."""
    if label in ("s3", "s3-fips", "s3-accesspoint", "s3-accesspoint-fips"):
        found = _region_tail(tail)
        if found is None:
            return None
        region, dual = found
        fips = label.endswith("-fips")
        if label.startswith("s3-accesspoint"):
            return (region, "accesspoint", fips) if region else None
        return region, "dualstack" if dual else ("regional" if region else "global"), fips
    if tail:
        if label == "s3-website" and len(tail) == 1 and is_region(tail[0]):
            return tail[0], "website", False
        if label == "s3-accelerate" and list(tail) == ["dualstack"]:
            return None, "accelerate", False
        return None
    if label == "s3-external-1":
        return "us-east-1", "external", False
    if label == "s3-accelerate":
        return None, "accelerate", False
    website = _WEBSITE_DASH.match(label)
    if website and is_region(website["region"]):
        return website["region"], "website", False
    dash = _DASH.match(label)
    if dash and is_region(dash["region"]):
        return dash["region"], "dash", dash["fips"] is not None
    return None


def parse_s3(labels: Sequence[str]) -> S3Match | None:
    """Parse the labels in front of the DNS suffix as an S3 name, or return None when it is not one.

    >>> parse_s3(["b", "s3-website-eu-west-1"])
    S3Match(bucket='b', region='eu-west-1', form='website', fips=False)
    >>> parse_s3(["s3-us-gov-west-1"])
    S3Match(bucket=None, region='us-gov-west-1', form='dash', fips=False)
    """
    for index in range(len(labels) - 1, -1, -1):
        label = labels[index]
        if not label.startswith("s3"):  # every S3 label does: this spares the forms for the others
            continue
        found = _match_label(label, labels[index + 1 :])
        if found is not None:
            return S3Match(".".join(labels[:index]) or None, *found)
    return None


# Buckets whose names say what they are. Sources: ParallelCluster user guide and cookbook
# (docs/reference/parallelcluster.md §1.1 and §4.1), aws-samples/data-perimeter-policy-examples
# vpc_endpoint_policies/README.md for the Amazon Linux repository buckets (cyclecloud-ssm-os.md §4.1).
_KNOWN_BUCKETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"^cloudformation-waitcondition-(?P<region>{_REGION})$"),
        "CloudFormation WaitCondition bucket",
    ),
    (
        re.compile(rf"^(?P<region>{_REGION})-aws-parallelcluster$"),
        "ParallelCluster regional artifacts bucket",
    ),
    (
        re.compile(rf"^al2023-repos-(?P<region>{_REGION})-[0-9a-f]+$"),
        "Amazon Linux 2023 package repository bucket",
    ),
    (re.compile(rf"^amazonlinux-2-repos-(?P<region>{_REGION})$"), "Amazon Linux 2 package repository bucket"),
    (
        re.compile(rf"^ec2imagebuilder-toe-(?P<region>{_REGION})-prod$"),
        "EC2 Image Builder AWSTOE download bucket",
    ),
    (re.compile(r"^fsx-lustre-client-repo$"), "FSx for Lustre client package repository bucket"),
    (
        re.compile(r"^fsx-lustre-client-repo-public-keys$"),
        "FSx for Lustre client repository signing keys bucket",
    ),
    (
        re.compile(r"^parallelcluster-[0-9a-z]+-v1-do-not-delete$"),
        "ParallelCluster account bucket (configs, templates)",
    ),
)


_ANY_KNOWN_BUCKET = re.compile(
    "|".join(
        f"(?P<known{index}>{pattern.pattern})".replace("(?P<region>", f"(?P<region{index}>")
        for index, (pattern, _) in enumerate(_KNOWN_BUCKETS)
    )
)
"""All of them in one pattern (group ``known{i}`` for the i-th): one match instead of one per pattern."""


def bucket_facts(bucket: str) -> tuple[str | None, str | None]:
    """``(note, region)`` for a bucket whose name says what it is, else ``(None, None)``.

    >>> bucket_facts("us-east-1-aws-parallelcluster")
    ('ParallelCluster regional artifacts bucket', 'us-east-1')
    >>> bucket_facts("my-bucket")
    (None, None)
    """
    found = _ANY_KNOWN_BUCKET.match(bucket)
    if found is None or found.lastgroup is None:
        return None, None
    index = int(found.lastgroup.removeprefix("known"))
    region = found.groupdict().get(f"region{index}")
    return _KNOWN_BUCKETS[index][1], region if region and is_region(region) else None
