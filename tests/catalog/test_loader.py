"""Catalog files: schema, extra rules, refs, and messages that name the file and the entry."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from egressmap.catalog import CatalogError, StackCatalog, bundled, load_file, parse_catalog

from .conftest import SMALL


def test_small_catalog_loads_with_conditions_and_endpoints(small: StackCatalog) -> None:
    assert [e.id for e in small.entries] == ["slurm-github", "slurm-bucket", "dcv-key", "route53", "ec2"]
    bucket = small.entries[1]
    assert bucket.when.versions == ">=3.10"
    assert bucket.private_endpoint is not None and bucket.private_endpoint.type == "gateway"
    assert bucket.hosts_for("eu-west-1") == ("eu-west-1-demo.s3.eu-west-1.amazonaws.com",)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "    source: https://example.org/a\n",
            "    source: http://example.org/a\n",
            "entry 'slurm-github' (entries[0]): source",
        ),
        (
            '    phase: image-build\n    when: {versions: "<3.10"}',
            '    phase: building\n    when: {versions: "<3.10"}',
            "entry 'slurm-github' (entries[0])",
        ),
        ("    purpose: NICE GPG key\n", "", "entry 'dcv-key' (entries[2])"),
        ("hosts: [github.com]", 'hosts: ["github.com; rm -rf /"]', "entry 'slurm-github': host"),
        ("hosts: [github.com]", "hosts: [GitHub.com]", "not a lower-case host name"),
        ("hosts: [github.com]", 'hosts: ["*.com"]', "wildcard over a public suffix"),
        ("hosts: [github.com]", 'hosts: ["169.254.169.254"]', "instance metadata"),  # issue 14
        ("hosts: [github.com]", 'hosts: ["localhost"]', "refused entry 'localhost'"),  # issue 14
        (
            'when: {versions: "<3.10"}',
            'when: {versions: "before 3.10"}',
            "entry 'slurm-github': when.versions",
        ),
        (
            "when: {os: [ubuntu2404], features: [dcv]}",
            "when: {os: [ubuntu2404], features: [gpu]}",
            "entry 'dcv-key': when.features",
        ),
        (
            "when: {os: [ubuntu2404], features: [dcv]}",
            "when: {os: [windows], features: [dcv]}",
            "entry 'dcv-key': when.os",
        ),
        ("  - id: route53\n", "  - id: ec2\n", "entry 'ec2': duplicate id"),
        (
            "    ports: [443]\n    protocol: https\n    purpose: scaling",
            "    ports: [0]\n    protocol: https\n    purpose: scaling",
            "entry 'ec2' (entries[4])",
        ),
    ],
)
def test_a_broken_entry_is_rejected_naming_file_and_entry(old: str, new: str, expected: str) -> None:
    assert old in SMALL
    with pytest.raises(CatalogError) as info:
        parse_catalog(SMALL.replace(old, new, 1), "demo.yaml")
    message = str(info.value)
    assert message.startswith("demo.yaml: ")
    assert expected in message


def test_refs_resolve_against_loaded_catalogs(small: StackCatalog) -> None:
    user = """
schema: egressmap.catalog/1
stack: user
title: User
provider: none
versions: ["1"]
entries:
  - id: uses-github
    ref: demo/slurm-github
    purpose: clone things
    component: git
    phase: node-bootstrap
    confidence: inferred
    source: https://example.org/x
"""
    cat = parse_catalog(user, "user.yaml", {"demo": small})
    assert cat.entries[0].hosts == ("github.com",) and cat.entries[0].ref == "demo/slurm-github"
    with pytest.raises(CatalogError, match=r"user\.yaml: entry 'uses-github': ref 'demo/slurm-github'"):
        parse_catalog(user, "user.yaml", {})
    with pytest.raises(CatalogError, match="entries\\[0\\]"):
        parse_catalog(
            user.replace("    purpose", "    hosts: [x.org]\n    purpose"), "user.yaml", {"demo": small}
        )


def test_yaml_errors_and_missing_files_are_catalog_errors(tmp_path: object) -> None:
    with pytest.raises(CatalogError, match="demo.yaml: not valid YAML"):
        parse_catalog("entries: [", "demo.yaml")
    with pytest.raises(CatalogError, match="top level"):
        parse_catalog("schema: egressmap.catalog/9\n", "demo.yaml")
    with pytest.raises(CatalogError, match="cannot read catalog"):
        load_file("/nonexistent/catalog.yaml")


def test_every_bundled_entry_passes_and_has_a_public_source() -> None:
    catalogs = bundled()
    assert {"parallelcluster", "cyclecloud", "ssm-session-manager", "repositories"} <= set(catalogs)
    for cat in catalogs.values():
        sources = [(e.id, e.source) for e in cat.entries]
        sources += [(r.id, r.source) for r in cat.nsg_rules] + [(f.id, f.source) for f in cat.flows]
        assert sources, cat.stack
        for ident, source in sources:
            assert source.startswith("https://"), (cat.stack, ident)
            host = urlsplit(source).hostname or ""
            assert "." in host and not host.endswith(("example.org", "example.com")), (cat.stack, ident)


WILDCARD = """
  - id: bucket-names
    hosts: ["*.s3.{region}.amazonaws.com", "s3.{region}.amazonaws.com"]
    match: one-label
    ports: [443]
    protocol: https
    purpose: the bucket by its virtual-hosted name
    component: bucket
    phase: node-bootstrap
    confidence: inferred
    source: https://example.org/f
"""


def test_a_wildcard_host_may_reach_one_label_only(small: StackCatalog) -> None:
    """``match: one-label`` is kept on the entry; without it a ``*.`` host reaches every depth."""
    cat = parse_catalog(SMALL + WILDCARD, "demo.yaml")
    entry = next(e for e in cat.entries if e.id == "bucket-names")
    assert entry.match == "one-label"
    assert entry.hosts == ("*.s3.{region}.amazonaws.com", "s3.{region}.amazonaws.com")
    plain = parse_catalog(SMALL + WILDCARD.replace("    match: one-label\n", ""), "demo.yaml")
    assert next(e for e in plain.entries if e.id == "bucket-names").match == "subdomains"
    assert all(e.match == "subdomains" for e in small.entries)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            WILDCARD.replace('"*.s3.{region}.amazonaws.com", ', ""),
            "entry 'bucket-names': match 'one-label' needs a *.suffix host",
        ),
        (WILDCARD.replace("match: one-label", "match: two-labels"), "entry 'bucket-names' (entries[5])"),
    ],
)
def test_a_match_without_a_wildcard_or_unknown_is_rejected(text: str, expected: str) -> None:
    """``match`` needs a ``*.`` host and is one of the two reaches a catalog can state."""
    with pytest.raises(CatalogError) as info:
        parse_catalog(SMALL + text, "demo.yaml")
    assert expected in str(info.value)


def test_a_ref_entry_takes_the_match_of_its_target_and_cannot_set_one() -> None:
    """A ``ref`` reuses the target's reach; stating ``match`` beside ``ref`` breaks the schema."""
    demo = parse_catalog(SMALL + WILDCARD, "demo.yaml")
    user = """
schema: egressmap.catalog/1
stack: user
title: User
provider: none
versions: ["1"]
entries:
  - id: uses-bucket
    ref: demo/bucket-names
    purpose: read the bucket
    component: s3
    phase: node-bootstrap
    confidence: inferred
    source: https://example.org/x
"""
    cat = parse_catalog(user, "user.yaml", {"demo": demo})
    assert cat.entries[0].match == "one-label"
    with pytest.raises(CatalogError, match="entries\\[0\\]"):
        parse_catalog(
            user.replace("    purpose", "    match: one-label\n    purpose"), "user.yaml", {"demo": demo}
        )
