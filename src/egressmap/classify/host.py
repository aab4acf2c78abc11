"""The classification of one host (:func:`egressmap.classify.classify` caches it and loads this on first use).

Equal answers are one object: the many hosts of a big log that classify alike (CloudFront distributions,
tenants of one SaaS domain, mirrors of one project) share it instead of holding a copy each.
"""

from __future__ import annotations

from egressmap.classify import categories, psl
from egressmap.classify.aws import classify_aws
from egressmap.classify.azure import classify_azure
from egressmap.classify.gcp import classify_gcp
from egressmap.hostnames import is_ip, is_private_ip
from egressmap.model import Classification

_PRIVATE_IP = Classification(category="internal", notes=("private-range address",))
_PUBLIC_IP = Classification(category="other")
_SHARED: dict[Classification, Classification] = {}
MAX_SHARED = 1 << 17
"""Distinct answers kept for sharing (beyond it new answers are returned as they are)."""


def classify_host(host: str) -> Classification:
    """Classify a normalised host: IP literal, AWS, Azure, Google Cloud, else the category rules.

    >>> classify_host("d111111abcdef8.cloudfront.net") is classify_host("d222222abcdef8.cloudfront.net")
    True
    """
    if is_ip(host):
        return _PRIVATE_IP if is_private_ip(host) else _PUBLIC_IP
    suffix, domain = psl.suffix_and_domain(host)
    found = classify_aws(host) or classify_azure(host) or classify_gcp(host)
    if found is None:
        category = categories.category_of(host)
        shared = category == "cdn" or psl.shared_with_suffix(host, suffix)
        answer = Classification(
            category=category, shared_hosting=shared, public_suffix=suffix, registrable_domain=domain
        )
    else:
        answer = Classification(  # dataclasses.replace, spelt out: it costs several times more
            scope=found.scope,
            provider=found.provider,
            service=found.service,
            region=found.region,
            partition=found.partition,
            private_endpoint=found.private_endpoint,
            category=found.category,
            public_suffix=suffix,
            registrable_domain=domain,
            shared_hosting=found.shared_hosting,
            notes=found.notes,
        )
    kept = _SHARED.get(answer)
    if kept is not None:
        return kept
    if len(_SHARED) < MAX_SHARED:
        _SHARED[answer] = answer
    return answer


__all__ = ["classify_host"]
