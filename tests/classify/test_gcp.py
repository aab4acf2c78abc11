from __future__ import annotations

import pytest

from egressmap.classify import classify
from egressmap.classify.gcp import classify_gcp
from egressmap.model import Classification

PGA = "Private Google Access or a Private Service Connect endpoint for Google APIs carries it"


def test_storage_googleapis_com() -> None:
    """Cloud Storage's shared host is a cloud endpoint and shared hosting."""
    assert classify("storage.googleapis.com") == Classification(
        scope="cloud",
        provider="gcp",
        service="storage",
        private_endpoint="interface",
        category="cloud-api",
        public_suffix="com",
        registrable_domain="googleapis.com",
        shared_hosting=True,
        notes=(PGA,),
    )


def test_compute_googleapis_com() -> None:
    """The Compute Engine API is a cloud endpoint, not shared hosting."""
    assert classify("compute.googleapis.com") == Classification(
        scope="cloud",
        provider="gcp",
        service="compute",
        private_endpoint="interface",
        category="cloud-api",
        public_suffix="com",
        registrable_domain="googleapis.com",
        shared_hosting=False,
        notes=(PGA,),
    )


@pytest.mark.parametrize(
    ("host", "service", "region", "notes"),
    [
        ("logging.googleapis.com", "logging", None, (PGA,)),
        ("oauth2.googleapis.com", "oauth2", None, (PGA,)),
        ("www.googleapis.com", "www", None, (PGA,)),
        ("my-bucket.storage.googleapis.com", "storage", None, ("bucket: my-bucket", PGA)),
        ("us-central1-aiplatform.googleapis.com", "aiplatform", "us-central1", (PGA,)),
        ("pubsub.europe-west1.rep.googleapis.com", "pubsub", "europe-west1", ("regional endpoint", PGA)),
    ],
)
def test_googleapis_services(host: str, service: str, region: str | None, notes: tuple[str, ...]) -> None:
    """Google API hosts give the service (and the region for regional names)."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.region, c.private_endpoint, c.notes) == (
        "cloud",
        "gcp",
        service,
        region,
        "interface",
        notes,
    )


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("gcr.io", None),
        ("us.gcr.io", None),
        ("us-docker.pkg.dev", None),
        ("europe-west4-docker.pkg.dev", "europe-west4"),
    ],
)
def test_registries(host: str, region: str | None) -> None:
    """Container Registry and Artifact Registry hosts are artifact-registry downloads."""
    c = classify(host)
    assert (c.scope, c.provider, c.service, c.region, c.private_endpoint, c.category) == (
        "cloud",
        "gcp",
        "artifact-registry",
        region,
        "interface",
        "vendor-downloads",
    )


@pytest.mark.parametrize("host", ["googleapis.com", "example.com", "notgoogleapis.com", "google.com"])
def test_not_google_cloud(host: str) -> None:
    """Other names are not Google Cloud's."""
    assert classify_gcp(host) is None
