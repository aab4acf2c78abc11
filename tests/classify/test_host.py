"""The per-host classifier: the same answers as the straightforward composition, equal answers shared."""

from __future__ import annotations

import random
from dataclasses import fields, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.classify import categories, psl
from egressmap.classify.aws import classify_aws
from egressmap.classify.azure import classify_azure
from egressmap.classify.gcp import classify_gcp
from egressmap.classify.host import classify_host
from egressmap.hostnames import is_ip, is_private_ip
from egressmap.model import Classification


def _reference(host: str) -> Classification:
    """Classification as it was composed before: every look-up on its own, dataclasses.replace at the end."""
    if is_ip(host):
        if is_private_ip(host):
            return Classification(category="internal", notes=("private-range address",))
        return Classification(category="other")
    found = classify_aws(host) or classify_azure(host) or classify_gcp(host)
    if found is None:
        category = categories.category_of(host)
        found = Classification(
            category=category, shared_hosting=category == "cdn" or psl.is_shared_hosting(host)
        )
    return replace(
        found, public_suffix=psl.public_suffix(host), registrable_domain=psl.registrable_domain(host)
    )


def _names() -> list[str]:
    """Rule names, their subdomains, cloud and CDN names, IDNs, IPs and unknown suffixes."""
    rng = random.Random(3)
    names = {"10.1.2.3", "8.8.8.8", "2001:db8::1", "fd00::5", "xn--mnchen-3ya.de", "www.xn--mnchen-3ya.de"}
    for rule in categories.rules():
        for name in (*rule.hosts, *rule.domains):
            names.update({name, f"a{rng.randrange(99)}.{name}", f"x.y.{name}"})
        for label in (*rule.first_labels, *rule.labels):
            names.update({f"{label}.example.org", f"a.{label}.example.com"})
    names.update(
        {
            "ec2.us-east-1.amazonaws.com",
            "bucket.s3.eu-west-1.amazonaws.com",
            "parallelcluster-0123456789abcdef-v1-do-not-delete.s3.amazonaws.com",
            "ec2-54-1-2-3.us-west-2.compute.amazonaws.com",
            "abc.execute-api.us-east-2.amazonaws.com",
            "d111111abcdef8.cloudfront.net",
            "acct.blob.core.windows.net",
            "management.azure.com",
            "storage.googleapis.com",
            "us-docker.pkg.dev",
            "tenant.atlassian.net",
            "e1234.a.akamaiedge.net",
            "foo.co.uk",
            "co.uk",
            "ip-10-0-0-1.ec2.internal",
            "raw.githubusercontent.com",
        }
    )
    return sorted(names)


@pytest.mark.parametrize("host", _names())
def test_same_answer_as_the_plain_composition(host: str) -> None:
    """Every field, for names each rule and provider covers (and some none covers)."""
    assert classify_host(host) == _reference(host)


@settings(max_examples=300)
@given(
    labels=st.lists(
        st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True), min_size=1, max_size=3
    ),
    base=st.sampled_from(
        ["com", "co.uk", "cloudfront.net", "amazonaws.com", "s3.amazonaws.com", "github.io", "jp"]
    ),
)
def test_same_answer_for_arbitrary_names(labels: list[str], base: str) -> None:
    """Random names under common and shared suffixes."""
    host = ".".join([*labels, base])
    assert classify_host(host) == _reference(host)


def test_equal_answers_are_one_object() -> None:
    """Two CloudFront distributions share their classification; different answers stay different."""
    first, second = classify_host("d1aaaa.cloudfront.net"), classify_host("d2bbbb.cloudfront.net")
    assert first is second
    assert classify_host("pypi.org") is not first


def test_the_copy_carries_every_field() -> None:
    """A field added to Classification must be copied by classify_host too (it spells the copy out)."""
    copied = {"scope", "provider", "service", "region", "partition", "private_endpoint", "category"}
    copied |= {"public_suffix", "registrable_domain", "shared_hosting", "notes"}
    assert {f.name for f in fields(Classification)} == copied


@pytest.mark.parametrize("host", _names())
def test_suffix_and_domain_is_both_look_ups(host: str) -> None:
    """One PSL look-up gives what public_suffix and registrable_domain give."""
    if is_ip(host):
        return
    assert psl.suffix_and_domain(host) == (psl.public_suffix(host), psl.registrable_domain(host))


def _linear_match(host: str) -> categories.Rule | None:
    labels = host.split(".")
    suffixes = {".".join(labels[start:]) for start in range(len(labels))}
    return next((rule for rule in categories.rules() if rule.matches(host, labels, suffixes)), None)


@pytest.mark.parametrize("host", _names())
def test_indexed_rules_find_the_first_matching_rule(host: str) -> None:
    """The index of the rules gives the first rule in file order, as a pass over them would."""
    assert categories.match(host) is _linear_match(host)
