"""Classify AWS host names: service, region, partition and which kind of VPC endpoint can carry them.

Hosts under a botocore partition DNS suffix (``amazonaws.com``, ``amazonaws.com.cn``, ``c2s.ic.gov``,
``api.aws``...) are the provider's own endpoints (scope ``cloud``), except EC2 instance and load balancer names,
which are customers' servers. CloudFront distributions (``*.cloudfront.net``) and the AWS web sites
(``*.aws.amazon.com``) are AWS-run but reached over the internet.

>>> c = classify_aws("cloudformation.us-east-1.amazonaws.com")
>>> c.scope, c.service, c.region, c.partition, c.private_endpoint
('cloud', 'cloudformation', 'us-east-1', 'aws', 'interface')
>>> classify_aws("pypi.org") is None
True
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from egressmap.classify import aws_data, categories
from egressmap.classify.aws_names import split_aws
from egressmap.classify.s3 import S3Match, bucket_facts
from egressmap.classify.suffixes import NO_SUFFIX, SuffixFields
from egressmap.model import Classification, PrivateEndpoint

__all__ = [
    "GATEWAY_SERVICES",
    "NO_ENDPOINT_SERVICES",
    "classify_aws",
    "classify_cloudfront",
    "classify_endpoint",
    "classify_web",
    "cloudfront_domains",
    "domains",
    "endpoint_domains",
    "web_domains",
]

# Services reached through a *gateway* endpoint (a route-table prefix list) rather than an interface endpoint:
# https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html ("Gateway endpoints are available
# only for Amazon S3 and DynamoDB"). S3 also offers interface endpoints; those have vpce-specific names.
GATEWAY_SERVICES = frozenset({"s3", "dynamodb"})

# Services with no VPC endpoint at all: not listed (when this was written) on
# https://docs.aws.amazon.com/vpc/latest/privatelink/aws-services-privatelink-support.html ; for Route 53 and IAM
# seed 002 says so explicitly ("some do not such as Amazon Route 53 and AWS Identity and Access Management",
# https://aws.amazon.com/blogs/hpc/securing-hpc-on-aws-isolated-clusters/). CloudFront's API is global and has
# none either. Global STS (sts.amazonaws.com) has none: only regional STS names have an interface endpoint, which
# is why seed 002 sets AWS_STS_REGIONAL_ENDPOINTS=regional. Global names are handled in _global_endpoint().
NO_ENDPOINT_SERVICES = frozenset({"route53", "route53domains", "iam", "cloudfront"})

_LEGACY_GLOBAL_NOTE = "legacy global S3 name: a gateway endpoint only carries it from us-east-1"
# Amazon Linux 1/2 repository hosts ({label}.{region}.amazonaws.com) are S3 buckets named like the host, so the
# S3 gateway endpoint carries them (aws-samples/data-perimeter-policy-examples vpc_endpoint_policies/README.md,
# docs/reference/cyclecloud-ssm-os.md §4.1).
_AL_REPO_BUCKETS = frozenset({"amazonlinux", "repo", "packages"})

_NO_ENDPOINT_NOTE = "the service has no VPC endpoint"
_CLOUDFRONT_NOTE = "CloudFront distribution: no VPC endpoint carries it, it must pass the firewall"


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def domains() -> frozenset[str]:
    """The domains :func:`classify_aws` answers for (names equal to or under them); None for all others.

    >>> {"cloudfront.net", "amazonaws.com", "api.aws"} <= domains()
    True
    """
    return cloudfront_domains() | web_domains() | endpoint_domains()


def cloudfront_domains() -> frozenset[str]:
    """Where :func:`classify_cloudfront` answers."""
    return frozenset({"cloudfront.net"})


def web_domains() -> frozenset[str]:
    """Where :func:`classify_web` answers."""
    return frozenset({"aws.amazon.com"})


def endpoint_domains() -> frozenset[str]:
    """Where :func:`classify_endpoint` answers: botocore's partition DNS suffixes."""
    return aws_data.dns_suffixes()


def classify_aws(host: str, psl: SuffixFields = NO_SUFFIX) -> Classification | None:
    """Classify a normalised host if it is an AWS name, else return None (PSL fields from ``psl``).

    The three kinds of AWS name in turn (the classifier of each host asks only the one its domain calls for).
    """
    return classify_cloudfront(host, psl) or classify_web(host, psl) or classify_endpoint(host, psl)


def classify_cloudfront(host: str, psl: SuffixFields = NO_SUFFIX) -> Classification | None:
    """CloudFront distributions (``*.cloudfront.net``): AWS-run, reached over the internet."""
    return _cloudfront(psl) if _under(host, "cloudfront.net") else None


def classify_web(host: str, psl: SuffixFields = NO_SUFFIX) -> Classification | None:
    """The AWS web sites (``*.aws.amazon.com``): AWS-run, reached over the internet, categorised like any."""
    if not _under(host, "aws.amazon.com"):
        return None
    return Classification(
        scope="internet",
        provider="aws",
        category=categories.category_of(host),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def classify_endpoint(host: str, psl: SuffixFields = NO_SUFFIX) -> Classification | None:
    """Names under a botocore partition DNS suffix: service endpoints, buckets, EC2 and load balancer names."""
    split = split_aws(host)
    if split is None:
        return None
    suffix, labels, s3 = split
    if host == suffix:
        return Classification(
            scope="internet",
            provider="aws",
            notes=("AWS DNS suffix itself, no service",),
            public_suffix=psl[0],
            registrable_domain=psl[1],
        )
    notes: list[str] = []
    if suffix.startswith("api."):
        notes.append("dual-stack (IPv4 and IPv6) endpoint name")
    if s3 is not None:
        return _s3(s3, suffix, labels, notes, psl)
    if len(labels) == 2 and labels[0] in _AL_REPO_BUCKETS and aws_data.is_region(labels[1]):
        notes.append("Amazon Linux repository: an S3 bucket named like the host")
        return _s3(S3Match(host, labels[1], "regional"), suffix, labels, notes, psl)
    return _service(host, suffix, labels, notes, psl)


@lru_cache(maxsize=64)
def _cloudfront(psl: SuffixFields) -> Classification:
    """Every CloudFront distribution (tens of thousands in a big log) gets this one answer, shared."""
    return Classification(
        scope="internet",
        provider="aws",
        service="cloudfront",
        category="cdn",
        shared_hosting=True,
        notes=(_CLOUDFRONT_NOTE,),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def _partition(suffix: str, region: str | None, labels: Sequence[str], host: str | None) -> str:
    """Return the partition of a host: its region's (if the suffix allows it), botocore's, or the suffix's."""
    allowed = aws_data.suffix_partitions(suffix)
    if region is not None:
        by_region = aws_data.partition_of_region(region)
        if by_region in allowed:
            return by_region
    explicit = aws_data.explicit_host(host) if host else None
    if explicit is not None:
        return explicit.partition
    if "us-gov" in labels and "aws-us-gov" in allowed:
        return "aws-us-gov"
    return "aws" if "aws" in allowed else min(allowed)


def _s3(
    found: S3Match, suffix: str, labels: Sequence[str], notes: list[str], psl: SuffixFields
) -> Classification:
    """Build the classification of an S3 name."""
    region = found.region
    if found.bucket:
        notes.append(f"{'access point' if found.form == 'accesspoint' else 'bucket'}: {found.bucket}")
        bucket_note, bucket_region = bucket_facts(found.bucket)
        if bucket_note:
            notes.append(bucket_note)
        if region is None and bucket_region and found.form != "accelerate":
            region = bucket_region
            notes.append("region taken from the bucket name")
    private: PrivateEndpoint = "gateway"
    if found.form == "accelerate":
        private = "none"
        notes.append("S3 Transfer Acceleration runs through edge locations: no VPC endpoint carries it")
    elif found.form == "global" and region is None:
        if "aws" in aws_data.suffix_partitions(suffix):
            region = "us-east-1"
            notes.append(_LEGACY_GLOBAL_NOTE)
    elif found.form == "website":
        notes.append("S3 static website endpoint (HTTP only)")
    elif found.form == "dash":
        notes.append("legacy dash-style S3 name")
    elif found.form == "external":
        notes.append("s3-external-1 is a us-east-1 endpoint")
    if found.fips:
        notes.append("FIPS endpoint")
    return Classification(
        scope="cloud",
        provider="aws",
        service="s3",
        region=region,
        partition=_partition(suffix, region, labels, None),
        private_endpoint=private,
        category="cloud-api",
        shared_hosting=True,
        notes=_unique(notes),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def _unique(notes: list[str]) -> tuple[str, ...]:
    """The notes in order, each once."""
    return tuple(notes) if len(notes) < 2 else tuple(dict.fromkeys(notes))


def _region_index(labels: Sequence[str]) -> int | None:
    """Index of the right-most label that is a region, else None."""
    for index in range(len(labels) - 1, -1, -1):
        if aws_data.is_region(labels[index]):
            return index
    return None


def _service_name(head: Sequence[str], notes: list[str]) -> str:
    """Return the endpoint prefix before the region: the longest known prefix, else the last label."""
    if not head:
        return ""
    labels = list(head)
    known = aws_data.known_prefixes()
    for start in range(len(labels)):
        candidate = ".".join(labels[start:])
        if candidate in known:
            break
    else:
        start = len(labels) - 1
        candidate = labels[-1]
    if start:
        notes.append(f"resource: {'.'.join(labels[:start])}")
    return candidate


@lru_cache(maxsize=4096)
def _customer_host(
    kind: str, service: str, region: str | None, partition: str, psl: SuffixFields
) -> Classification:
    """EC2 instance and load balancer names: an AWS customer's server, reached like any internet host.

    One answer per region and name form, shared by every instance (a big log names thousands).
    """
    return Classification(
        scope="internet",
        provider="aws",
        service=service,
        region=region,
        partition=partition,
        shared_hosting=True,
        notes=(f"{kind} DNS name: a customer's server, not an AWS API",),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def _service(
    host: str, suffix: str, labels: Sequence[str], notes: list[str], psl: SuffixFields
) -> Classification:
    """Classify a non-S3 name under an AWS DNS suffix."""
    index = _region_index(labels)
    if index is None:
        head, region, tail = list(labels), None, []
    else:
        head, region, tail = list(labels[:index]), labels[index], list(labels[index + 1 :])
    if region is None and head[-1:] == ["compute-1"]:
        region = "us-east-1"
    partition = _partition(suffix, region, labels, host)
    if tail == ["compute"] or head[-1:] == ["compute-1"]:
        return _customer_host("EC2 instance", "ec2", region, partition, psl)
    if tail == ["elb"] or (len(head) > 1 and head[-1] == "elb"):
        return _customer_host("load balancer", "elasticloadbalancing", region, partition, psl)
    if head[-1:] == ["dualstack"]:
        head.pop()
        notes.append("dual-stack (IPv4 and IPv6) endpoint name")
    if head[-1:] and head[-1].endswith("-fips"):
        head[-1] = head[-1][: -len("-fips")]
        notes.append("FIPS endpoint")
    explicit = aws_data.explicit_host(host)
    service = explicit.service if explicit is not None else _service_name(head, notes)
    if not service:
        notes.append("no service label in the name")
        private: PrivateEndpoint = "none"
    elif tail == ["vpce"]:
        notes.append("VPC endpoint-specific DNS name")
        private = "interface"
    elif tail:
        notes.append(f"unrecognised AWS name form (after the region: {'.'.join(tail)})")
        private = _regional_endpoint(service, notes)
    elif region is None:
        private = _global_endpoint(service, explicit is not None, notes)
    else:
        private = _regional_endpoint(service, notes)
    return Classification(
        scope="cloud",
        provider="aws",
        service=service or None,
        region=region,
        partition=partition,
        private_endpoint=private,
        category="cloud-api",
        notes=_unique(notes),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def _regional_endpoint(service: str, notes: list[str]) -> PrivateEndpoint:
    """Gateway for S3/DynamoDB, none for services without endpoints, interface for the rest."""
    if service in GATEWAY_SERVICES:
        return "gateway"
    if service in NO_ENDPOINT_SERVICES:
        notes.append(_NO_ENDPOINT_NOTE)
        return "none"
    return "interface"


def _global_endpoint(service: str, explicit: bool, notes: list[str]) -> PrivateEndpoint:
    """Names without a region (``iam.amazonaws.com``, ``efa-installer.amazonaws.com``): no VPC endpoint."""
    if not explicit and service not in aws_data.known_prefixes():
        notes.append("AWS download host, no VPC endpoint")
    elif service == "sts":
        notes.append(
            "global STS: only regional STS names have an interface endpoint (AWS_STS_REGIONAL_ENDPOINTS)"
        )
    elif service in NO_ENDPOINT_SERVICES:
        notes.append(_NO_ENDPOINT_NOTE)
    else:
        notes.append("global endpoint name: interface endpoints answer for regional names only")
    return "none"
