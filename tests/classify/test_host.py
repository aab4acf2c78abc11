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
from egressmap.classify.host import PROVIDERS, Provider, classify_host
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
            # public suffix rules: wildcards, exceptions, private wildcards, bare suffixes, single labels
            "foo.ck",
            "a.foo.ck",
            "www.ck",
            "a.www.ck",
            "ck",
            "city.kawasaki.jp",
            "ward.kawasaki.jp",
            "x.ward.kawasaki.jp",
            "us-east-1.compute.amazonaws.com",
            "compute.amazonaws.com",
            "s3.amazonaws.com",
            "amazonaws.com",
            "blob.core.windows.net",
            "core.windows.net",
            "googleapis.com",
            "com",
            "localhost",
            "wpad",
            "host.lan",
            "Example.COM",
            "a..example.com",
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


_BASES = [
    "com",
    "co.uk",
    "cloudfront.net",
    "amazonaws.com",
    "s3.amazonaws.com",
    "us-west-2.amazonaws.com",
    "compute.amazonaws.com",
    "blob.core.windows.net",
    "core.windows.net",
    "googleapis.com",
    "pkg.dev",
    "aws.amazon.com",
    "github.io",
    "ck",
    "www.ck",
    "kawasaki.jp",
    "jp",
    "internal",
]


@settings(max_examples=300)
@given(
    history=st.lists(
        st.tuples(
            st.lists(st.from_regex(r"[a-z0-9-]{1,6}", fullmatch=True), max_size=2), st.sampled_from(_BASES)
        ),
        max_size=5,
    ),
    labels=st.lists(st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True), max_size=3),
    base=st.sampled_from(_BASES),
)
def test_same_answer_after_any_history(
    history: list[tuple[list[str], str]], labels: list[str], base: str
) -> None:
    """Whatever was classified before, a name under a provider, wildcard or exception suffix: same answer."""
    for head, under in history:
        earlier = ".".join([*head, under])
        assert classify_host(earlier) == _reference(earlier)
    host = ".".join([*labels, base])
    assert classify_host(host) == _reference(host)


@pytest.mark.parametrize("provider", PROVIDERS, ids=lambda provider: provider.name)
def test_provider_domains_have_two_labels(provider: Provider) -> None:
    """The dispatch keys on the last two labels: every provider domain must have them."""
    assert all(domain.count(".") >= 1 for domain in provider.domains())


def _under_any(host: str, domains: frozenset[str]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


@settings(max_examples=300)
@given(
    labels=st.lists(st.from_regex(r"[a-z0-9-]{1,8}", fullmatch=True), min_size=1, max_size=3),
    base=st.sampled_from([*_BASES, "amazonaws.com.cn", "api.aws", "vault.azure.net", "gcr.io", "azure.com"]),
)
def test_providers_answer_only_under_their_domains(labels: list[str], base: str) -> None:
    """A provider classifier that answers for a name has a domain the name is under (what the dispatch assumes)."""
    for host in (".".join([*labels, base]), ".".join(labels)):
        for provider in PROVIDERS:
            if provider.classify(host, (None, None)) is not None:
                assert _under_any(host, provider.domains())


@pytest.mark.parametrize("host", _names())
def test_providers_answer_only_under_their_domains_for_known_names(host: str) -> None:
    """The same, for the names of every category rule and the provider samples."""
    for provider in PROVIDERS:
        if provider.classify(host, (None, None)) is not None:
            assert _under_any(host, provider.domains())


def test_equal_answers_are_one_object() -> None:
    """Two CloudFront distributions share their classification; different answers stay different."""
    first, second = classify_host("d1aaaa.cloudfront.net"), classify_host("d2bbbb.cloudfront.net")
    assert first is second
    assert classify_host("pypi.org") is not first
    east = "ec2-54-1-2-{}.us-east-2.compute.amazonaws.com"
    assert classify_host(east.format(3)) is classify_host(east.format(4))
    assert classify_host("mirror1.a.example.org") is classify_host("mirror2.b.example.org")


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
