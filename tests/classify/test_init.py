from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.loaders import Loader
from hypothesis import given
from hypothesis import strategies as st

from egressmap.classify import all_regions, classify, partition_regions
from egressmap.hostnames import normalize_host
from egressmap.model import Classification

# Seed 000's internet hosts (image build and cluster, all three OSes) -> category.
SEED_000_INTERNET = {
    "api.snapcraft.io": "os-packages",
    "dashboard.snapcraft.io": "os-packages",
    "cloudfront.cdn.snapcraftcontent.com": "os-packages",
    "irc-apigee-service.emaasmw.intel.com": "telemetry",
    "analytics.softwareimprovement.intel.com": "telemetry",
    "security.ubuntu.com": "os-packages",
    "esm.ubuntu.com": "os-packages",
    "pypi.org": "language-packages",
    "files.pythonhosted.org": "language-packages",
    "static.crates.io": "language-packages",
    "index.crates.io": "language-packages",
    "rhui.us-east-1.aws.ce.redhat.com": "os-packages",
    "mirrors.fedoraproject.org": "os-packages",
}


@pytest.mark.parametrize(("host", "category"), sorted(SEED_000_INTERNET.items()))
def test_seed_000_internet_hosts(host: str, category: str) -> None:
    """Seed 000's non-AWS hosts are internet hosts with no provider and no private endpoint."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.region, c.partition, c.private_endpoint, c.category) == (
        "internet",
        None,
        None,
        None,
        None,
        "none",
        category,
    )


def test_internet_host_fields() -> None:
    """An internet host carries its ICANN suffix and registrable domain."""
    assert classify("files.pythonhosted.org") == Classification(
        category="language-packages", public_suffix="org", registrable_domain="pythonhosted.org"
    )


def test_shared_hosting_internet_host() -> None:
    """Internet hosts under a private-section suffix are shared hosting."""
    assert classify("raw.githubusercontent.com").shared_hosting is True
    assert classify("github.com").shared_hosting is False


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("10.1.2.3", Classification(category="internal", notes=("private-range address",))),
        ("172.31.87.105", Classification(category="internal", notes=("private-range address",))),
        ("fd00::1", Classification(category="internal", notes=("private-range address",))),
        ("8.8.8.8", Classification(category="other")),
        ("2001:4860:4860::8888", Classification(category="other")),
    ],
)
def test_ip_literals(host: str, expected: Classification) -> None:
    """IP literals have no public suffix; private ranges are internal, public ones other."""
    assert classify(host) == expected


def test_classify_is_cached() -> None:
    """A second call for the same host returns the cached object."""
    first = classify("cached.example.org")
    assert classify("cached.example.org") is first
    assert classify.cache_info().hits >= 1


def _botocore_region_lists() -> tuple[dict[str, str], dict[str, set[str]]]:
    """Explicit regions from endpoints.json, and per partition the names both files list."""
    loader = Loader()
    endpoints: dict[str, Any] = loader.load_data("endpoints")
    partitions: dict[str, Any] = loader.load_data("partitions")
    explicit = {region: part["partition"] for part in endpoints["partitions"] for region in part["regions"]}
    listed: dict[str, set[str]] = {}
    for part in endpoints["partitions"]:
        listed.setdefault(part["partition"], set()).update(part["regions"])
    for part in partitions["partitions"]:
        regex = re.compile(part["regionRegex"])
        listed.setdefault(part["id"], set()).update(r for r in part["regions"] if regex.match(r))
    return explicit, listed


def test_all_regions_matches_botocore() -> None:
    """all_regions() holds exactly the regions botocore lists, each with its partition."""
    explicit, listed = _botocore_region_lists()
    regions = all_regions()
    assert explicit.items() <= regions.items()
    assert regions == {region: part for part, names in listed.items() for region in names}


def test_all_regions_known_examples() -> None:
    """The commercial, China and GovCloud partitions are there; pseudo-regions are not."""
    regions = all_regions()
    assert (regions["us-east-1"], regions["cn-north-1"], regions["us-gov-west-1"]) == (
        "aws",
        "aws-cn",
        "aws-us-gov",
    )
    assert "aws-global" not in regions
    assert not [r for r in regions if r.endswith("-global")]


def test_all_regions_returns_a_copy() -> None:
    """Changing the returned dict does not change the next answer."""
    all_regions()["xx-fake-1"] = "aws"
    assert "xx-fake-1" not in all_regions()


def test_partition_regions() -> None:
    """Regions of a partition come sorted and match all_regions()."""
    explicit, listed = _botocore_region_lists()
    assert partition_regions("aws-cn") == sorted(listed["aws-cn"])
    assert partition_regions("aws") == sorted(r for r, p in all_regions().items() if p == "aws")
    assert "us-east-1" in partition_regions("aws")
    assert partition_regions("aws-us-gov") == sorted(r for r, p in explicit.items() if p == "aws-us-gov")


def test_partition_regions_unknown() -> None:
    """An unknown partition is a ValueError that names the known ones."""
    with pytest.raises(ValueError, match="unknown AWS partition 'aws-mars'; known partitions: aws, aws-cn"):
        partition_regions("aws-mars")


_LABEL = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
_TOKEN = st.sampled_from(
    [
        "s3",
        "s3-accelerate",
        "s3-website",
        "s3-us-west-2",
        "dualstack",
        "us-east-1",
        "cn-north-1",
        "vpce",
        "compute",
        "compute-1",
        "elb",
        "ec2-fips",
        "storage",
        "rep",
        "blob",
        "vault",
        "docs",
        "xn--mnchen-3ya",
    ]
)
_SUFFIX = st.sampled_from(
    [
        "amazonaws.com",
        "amazonaws.com.cn",
        "api.aws",
        "c2s.ic.gov",
        "cloudfront.net",
        "aws.amazon.com",
        "googleapis.com",
        "gcr.io",
        "pkg.dev",
        "core.windows.net",
        "azure.net",
        "windows.net",
        "internal",
        "org",
        "com",
    ]
)
_STRUCTURED = st.builds(
    lambda labels, suffix: ".".join([*labels, suffix]),
    st.lists(st.one_of(_LABEL, _TOKEN), max_size=5),
    _SUFFIX,
)
_RAW = st.text(alphabet=st.sampled_from(list("ab0-.:[]ü_XZ")), max_size=30)


@given(st.one_of(_STRUCTURED, _RAW))
def test_classify_never_raises(raw: str) -> None:
    """For any string normalize_host accepts, classify returns a Classification with a valid scope."""
    try:
        host = normalize_host(raw)
    except ValueError:
        return
    c = classify(host)
    assert isinstance(c, Classification)
    assert c.scope in ("internet", "cloud")
    assert c.private_endpoint in ("gateway", "interface", "none")
