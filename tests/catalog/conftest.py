"""A small catalog written inline, so loader, diff and prediction tests do not depend on the bundled data."""

from __future__ import annotations

import pytest

from egressmap.catalog import StackCatalog, parse_catalog

SMALL = """
schema: egressmap.catalog/1
stack: demo
title: Demo stack
provider: aws
versions: ["3.9.0", "3.10.0"]
oses: [ubuntu2404, rhel9]
features:
  dcv: remote desktop
entries:
  - id: slurm-github
    hosts: [github.com]
    ports: [443]
    protocol: https
    purpose: Slurm source tarball
    component: slurm
    phase: image-build
    when: {versions: "<3.10"}
    confidence: inferred
    source: https://example.org/a
  - id: slurm-bucket
    hosts: ["{region}-demo.s3.{region}.amazonaws.com"]
    ports: [443]
    protocol: https
    purpose: Slurm source tarball from the regional bucket
    component: slurm
    phase: image-build
    when: {versions: ">=3.10"}
    private_endpoint: {service: s3, type: gateway, name: "com.amazonaws.{region}.s3"}
    confidence: documented
    source: https://example.org/b
  - id: dcv-key
    hosts: [d1uj6qtbmh3dt5.cloudfront.net]
    ports: [443]
    protocol: https
    purpose: NICE GPG key
    component: dcv
    phase: image-build
    when: {os: [ubuntu2404], features: [dcv]}
    confidence: inferred
    source: https://example.org/c
  - id: route53
    hosts: [route53.amazonaws.com]
    ports: [443]
    protocol: https
    purpose: managed DNS
    component: dns
    phase: cluster-runtime
    private_endpoint: {service: route53, type: none}
    confidence: documented
    source: https://example.org/d
  - id: ec2
    hosts: ["ec2.{region}.amazonaws.com"]
    ports: [443]
    protocol: https
    purpose: scaling
    component: ec2
    phase: cluster-runtime
    private_endpoint: {service: ec2, type: interface, name: "com.amazonaws.{region}.ec2"}
    confidence: documented
    source: https://example.org/e
"""


@pytest.fixture
def small() -> StackCatalog:
    """The inline demo catalog."""
    return parse_catalog(SMALL, "demo.yaml")
