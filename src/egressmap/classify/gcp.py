"""Classify Google Cloud host names: ``*.googleapis.com`` APIs and the container/package registries.

Google APIs and Cloud Storage are reachable without internet egress through Private Google Access (a
``private.googleapis.com`` / ``restricted.googleapis.com`` VIP) or a Private Service Connect endpoint for Google
APIs; both also serve ``*.gcr.io`` and ``*.pkg.dev``. egressmap reports them as ``interface``.
Sources: https://cloud.google.com/vpc/docs/private-google-access and
https://cloud.google.com/vpc/docs/configure-private-service-connect-apis

>>> c = classify_gcp("compute.googleapis.com")
>>> c.scope, c.service, c.private_endpoint
('cloud', 'compute', 'interface')
>>> classify_gcp("example.com") is None
True
"""

from __future__ import annotations

import re

from egressmap.classify.suffixes import NO_SUFFIX, SuffixFields
from egressmap.model import Classification

__all__ = ["classify_gcp", "domains"]

_APIS = "googleapis.com"
_REGIONAL_PREFIX = re.compile(r"^(?P<region>[a-z]+-[a-z]+\d+)-(?P<service>[a-z0-9][a-z0-9-]*)$")
_PGA_NOTE = "Private Google Access or a Private Service Connect endpoint for Google APIs carries it"


def _under(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def domains() -> frozenset[str]:
    """The domains :func:`classify_gcp` answers for (names equal to or under them); None for all others."""
    return frozenset({"gcr.io", "pkg.dev", _APIS})


def classify_gcp(host: str, psl: SuffixFields = NO_SUFFIX) -> Classification | None:
    """Classify a normalised host if it is a Google Cloud API or registry name, else None (PSL fields: ``psl``).

    >>> classify_gcp("my-bucket.storage.googleapis.com").notes[0]
    'bucket: my-bucket'
    >>> classify_gcp("us-central1-aiplatform.googleapis.com").region
    'us-central1'
    """
    if _under(host, "gcr.io") or _under(host, "pkg.dev"):
        return _registry(host, psl)
    if host == _APIS or not host.endswith("." + _APIS):
        return None
    labels = host[: -len(_APIS) - 1].split(".")
    notes: list[str] = []
    region: str | None = None
    shared = False
    if labels[-1] == "storage":
        service = "storage"
        shared = True
        if len(labels) > 1:
            notes.append(f"bucket: {'.'.join(labels[:-1])}")
    elif len(labels) >= 3 and labels[-1] == "rep":
        # Regional endpoints: {service}.{region}.rep.googleapis.com
        service, region = labels[-3], labels[-2]
        notes.append("regional endpoint")
    else:
        service = labels[-1]
        regional = _REGIONAL_PREFIX.match(service)
        if regional:
            service, region = regional["service"], regional["region"]
        if len(labels) > 1:
            notes.append(f"resource: {'.'.join(labels[:-1])}")
    notes.append(_PGA_NOTE)
    return Classification(
        scope="cloud",
        provider="gcp",
        service=service,
        region=region,
        private_endpoint="interface",
        category="cloud-api",
        shared_hosting=shared,
        notes=tuple(notes),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )


def _registry(host: str, psl: SuffixFields) -> Classification:
    """Container Registry (``gcr.io``, ``us.gcr.io``) and Artifact Registry (``us-docker.pkg.dev``)."""
    notes = ["container and package registry", _PGA_NOTE]
    first = host.split(".", 1)[0]
    region: str | None = None
    if host.endswith(".pkg.dev"):
        location = first.rsplit("-", 1)[0] if "-" in first else None
        if location:
            notes.insert(0, f"repository location: {location}")
            if _REGIONAL_PREFIX.match(f"{location}-x"):
                region = location
    return Classification(
        scope="cloud",
        provider="gcp",
        service="artifact-registry",
        region=region,
        private_endpoint="interface",
        category="vendor-downloads",
        notes=tuple(notes),
        public_suffix=psl[0],
        registrable_domain=psl[1],
    )
