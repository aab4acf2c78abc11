"""The classification of one host (:func:`egressmap.classify.classify` caches it and loads this on first use).

The answer is the plain composition (IP literal; else the first provider classifier that knows the host, else
the category rules; plus the public suffix fields), computed the cheap way, because a big log asks it for every
one of 100,000 distinct hosts:

- the public suffixes come from a walk up the host's labels with the library's answers kept per rule name
  (:mod:`egressmap.classify.suffixes`), not from two full look-ups in the list;
- a provider classifier is asked only when the host's last two labels are those of one of its domains: one dict
  look-up rules AWS, Azure and Google Cloud out for most internet hosts;
- the many hosts of a big log that classify alike share one answer instead of holding a copy each: internet
  hosts (tenants of one SaaS domain, mirrors of one project, CDN edge names) are looked up by the four fields
  that make their answer, before any answer is built; CloudFront distributions and EC2/ELB names share theirs
  in :mod:`egressmap.classify.aws`. Answers that name the host's own resource (a bucket, a storage account, an
  API id) are distinct anyway: they are not looked up (hashing an answer costs as much as building it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from egressmap.classify import aws, azure, categories, gcp
from egressmap.classify.suffixes import Suffixes, SuffixFields
from egressmap.hostnames import is_ip, is_private_ip
from egressmap.model import Classification

__all__ = ["PROVIDERS", "Provider", "classify_host"]


@dataclass(frozen=True, slots=True)
class Provider:
    """One cloud provider's classifier, and the domains outside which it never answers."""

    name: str
    classify: Callable[[str, SuffixFields], Classification | None]
    """Takes the host and its public suffix fields, which the answer carries."""
    domains: Callable[[], frozenset[str]]
    """Names the classifier may answer for are these or under them (each has two labels or more)."""


PROVIDERS: tuple[Provider, ...] = (
    Provider("aws-cloudfront", aws.classify_cloudfront, aws.cloudfront_domains),
    Provider("aws-web", aws.classify_web, aws.web_domains),
    Provider("aws", aws.classify_endpoint, aws.endpoint_domains),
    Provider("azure", azure.classify_azure, azure.domains),
    Provider("gcp", gcp.classify_gcp, gcp.domains),
)
"""In the order they are asked: the first answer wins."""

_PRIVATE_IP = Classification(category="internal", notes=("private-range address",))
_PUBLIC_IP = Classification(category="other")
_SUFFIXES = Suffixes()
_INTERNET: dict[tuple[str, bool, str | None, str | None], Classification] = {}
MAX_SHARED = 1 << 17
"""Distinct internet-host answers kept for sharing (beyond it new answers are returned as they are)."""


def _tail(name: str) -> str:
    """The last two labels of a name (the name itself when it has fewer)."""
    last = name.rfind(".")
    return name[name.rfind(".", 0, last) + 1 :] if last > 0 else name


@lru_cache(maxsize=1)
def _by_tail() -> dict[str, tuple[Callable[[str, SuffixFields], Classification | None], ...]]:
    """Last two labels -> the classifiers (in :data:`PROVIDERS` order) with a domain ending in them."""
    table: dict[str, list[Callable[[str, SuffixFields], Classification | None]]] = {}
    for provider in PROVIDERS:
        for domain in provider.domains():
            if "." not in domain:
                raise ValueError(f"{provider.name} domain {domain!r}: the dispatch needs two labels or more")
            found = table.setdefault(_tail(domain), [])
            if provider.classify not in found:
                found.append(provider.classify)
    return {tail: tuple(found) for tail, found in table.items()}


def classify_host(host: str) -> Classification:
    """Classify a normalised host: IP literal, AWS, Azure, Google Cloud, else the category rules.

    >>> classify_host("d111111abcdef8.cloudfront.net") is classify_host("d222222abcdef8.cloudfront.net")
    True
    """
    if (":" in host or host[-1:].isdigit()) and is_ip(host):  # IP literals end in a digit or hold a colon
        return _PRIVATE_IP if is_private_ip(host) else _PUBLIC_IP
    suffix, domain, private = _SUFFIXES.of(host)
    last = host.rfind(".")  # the last two labels, as _tail gives them
    tail = host[host.rfind(".", 0, last) + 1 :] if last > 0 else host
    for classify in _by_tail().get(tail, ()):
        found = classify(host, (suffix, domain))
        if found is not None:
            return found
    category = categories.category_of(host)
    shared = category == "cdn" or (private is not None and private != suffix)
    key = (category, shared, suffix, domain)
    kept = _INTERNET.get(key)
    if kept is None:
        kept = Classification(
            category=category, shared_hosting=shared, public_suffix=suffix, registrable_domain=domain
        )
        if len(_INTERNET) < MAX_SHARED:
            _INTERNET[key] = kept
    return kept
