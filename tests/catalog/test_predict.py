"""Catalog entries -> predicted policy entries and private endpoints; merging with evidence."""

from __future__ import annotations

from dataclasses import replace

from packaging.version import Version

from egressmap.catalog import CatalogEntry, StackCatalog, Target, parse_catalog, select
from egressmap.catalog.model import WildcardMatch
from egressmap.catalog.predict import endpoint_needs, predicted_entries
from egressmap.classify import classify
from egressmap.model import Entry, is_evidenced, is_predicted
from egressmap.policy import merge_predictions

from .conftest import SMALL
from .test_loader import WILDCARD


def _observed(host: str, port: int = 443) -> Entry:
    return Entry(
        host, (host,), (port,), classify(host), "observed", 3, 0, ("observed: CONNECT seen",), ("log:1",)
    )


def test_entries_fill_the_region_and_keep_reasons(small: StackCatalog) -> None:
    chosen = select(small, Target(Version("3.10.0"), "ubuntu2404", None, frozenset(), "aws"))
    entries = {e.pattern: e for e in predicted_entries(chosen, "demo 3.10.0", "eu-west-1")}
    assert set(entries) == {
        "eu-west-1-demo.s3.eu-west-1.amazonaws.com",
        "route53.amazonaws.com",
        "ec2.eu-west-1.amazonaws.com",
    }
    ec2 = entries["ec2.eu-west-1.amazonaws.com"]
    assert ec2.tier == "predicted" and ec2.scope == "cloud" and ec2.hosts == ("ec2.eu-west-1.amazonaws.com",)
    assert ec2.reasons == ("predicted: scaling (demo 3.10.0 catalog: ec2, cluster-runtime, documented)",)


def test_without_a_region_templates_stay_templates(small: StackCatalog) -> None:
    chosen = select(small, Target(Version("3.10.0"), None, None, frozenset(), "aws"))
    entries = {e.pattern: e for e in predicted_entries(chosen, "demo", None)}
    assert entries["ec2.{region}.amazonaws.com"].hosts == ()
    assert entries["ec2.{region}.amazonaws.com"].classification.region is None


def test_endpoint_needs_group_by_service_and_list_services_without_one(small: StackCatalog) -> None:
    chosen = select(small, Target(Version("3.10.0"), None, None, frozenset(), "aws"))
    needs = endpoint_needs(chosen, "us-east-1")
    assert [(n.service, n.type, n.name) for n in needs] == [
        ("s3", "gateway", "com.amazonaws.us-east-1.s3"),
        ("ec2", "interface", "com.amazonaws.us-east-1.ec2"),
        ("route53", "none", ""),
    ]


def test_merge_marks_seen_and_predicted_and_keeps_unseen_predictions(small: StackCatalog) -> None:
    chosen = select(small, Target(Version("3.10.0"), None, None, frozenset(), "aws"))
    predicted = predicted_entries(chosen, "demo", None)
    merged = {
        e.pattern: e
        for e in merge_predictions(
            [_observed("ec2.eu-west-1.amazonaws.com"), _observed("pypi.org")], predicted
        )
    }
    ec2 = merged["ec2.eu-west-1.amazonaws.com"]
    assert ec2.tier == "observed" and is_predicted(ec2) and is_evidenced(ec2)
    assert ec2.reasons[0] == "observed: CONNECT seen" and ec2.reasons[1].startswith("predicted: scaling")
    assert not is_predicted(merged["pypi.org"])
    assert "ec2.{region}.amazonaws.com" not in merged  # covered by the observed host
    assert merged["route53.amazonaws.com"].tier == "predicted"


def test_a_one_label_wildcard_over_shared_hosting_is_predicted_broad() -> None:
    """A catalog ``*.`` host keeps its reach, gets the region, and is flagged broad over shared hosting."""
    cat = parse_catalog(SMALL + WILDCARD, "demo.yaml")
    chosen = [e for e in cat.entries if e.id == "bucket-names"]
    entries = {e.pattern: e for e in predicted_entries(chosen, "demo", "eu-west-1")}
    wild = entries["*.s3.eu-west-1.amazonaws.com"]
    assert (wild.match, wild.broad, wild.hosts, wild.tier) == ("one-label", True, (), "predicted")
    assert wild.classification.service == "s3" and wild.scope == "cloud"
    assert "shared hosting" in wild.warnings[0] and "narrow it to the exact names" in wild.warnings[0]
    exact = entries["s3.eu-west-1.amazonaws.com"]
    assert (exact.match, exact.broad, exact.warnings) == ("exact", False, ())
    subdomains = predicted_entries(_with_match(chosen, "subdomains"), "demo", None)
    assert {(e.pattern, e.match) for e in subdomains if e.pattern.startswith("*.")} == {
        ("*.s3.{region}.amazonaws.com", "subdomains")
    }


def test_the_same_wildcard_from_two_lines_takes_the_wider_reach() -> None:
    """One line saying one-label and another saying subdomains give a subdomains entry (never narrower)."""
    cat = parse_catalog(SMALL + WILDCARD, "demo.yaml")
    line = next(e for e in cat.entries if e.id == "bucket-names")
    both = [line, *_with_match([line], "subdomains")]
    wild = next(e for e in predicted_entries(both, "demo", "eu-west-1") if e.pattern.startswith("*."))
    assert wild.match == "subdomains" and wild.broad


def _with_match(entries: list[CatalogEntry], match: WildcardMatch) -> list[CatalogEntry]:
    return [replace(e, id=f"{e.id}-{match}", match=match) for e in entries]


def test_a_broad_wildcard_prediction_stays_an_entry_and_lends_no_reason_to_hosts_under_it() -> None:
    """Another bucket seen under *.s3.amazonaws.com is not the cluster bucket: no folding, the wildcard stays."""
    cat = parse_catalog(SMALL + WILDCARD.replace("{region}", "us-east-1"), "demo.yaml")
    predicted = predicted_entries([e for e in cat.entries if e.id == "bucket-names"], "demo", None)
    seen = _observed("fsx-lustre-client-repo.s3.us-east-1.amazonaws.com")
    merged = {e.pattern: e for e in merge_predictions([seen], predicted)}
    assert merged["fsx-lustre-client-repo.s3.us-east-1.amazonaws.com"].reasons == seen.reasons
    wild = merged["*.s3.us-east-1.amazonaws.com"]
    assert (wild.tier, wild.match, wild.broad) == ("predicted", "one-label", True)


def test_a_narrow_wildcard_prediction_folds_only_the_hosts_its_match_reaches() -> None:
    """A one-label wildcard that is not shared hosting names a.x but not b.a.x."""
    line = replace(
        parse_catalog(SMALL + WILDCARD, "demo.yaml").entries[-1],
        hosts=("*.metrics.example.net",),
    )
    predicted = predicted_entries([line], "demo", None)
    assert not predicted[0].broad and predicted[0].match == "one-label"
    one, deep = _observed("a.metrics.example.net"), _observed("b.a.metrics.example.net")
    merged = {e.pattern: e for e in merge_predictions([one, deep], predicted)}
    assert is_predicted(merged["a.metrics.example.net"]) and not is_predicted(
        merged["b.a.metrics.example.net"]
    )
    assert "*.metrics.example.net" not in merged  # the host seen stands for it, as for exact predictions
