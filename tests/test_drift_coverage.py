"""Drift coverage: what the approved export already allows is not added; the one matcher it shares."""

from __future__ import annotations

from dataclasses import replace

import pytest

from egressmap.drift import compare
from egressmap.model import Policy
from egressmap.proxy.allow import Allowlist
from tests.test_drift import BUCKETS, EC2, approved, entry, kinds, only


def test_a_new_host_under_an_approved_wildcard_or_template_is_not_added() -> None:
    """A cluster bucket under *.s3.us-east-1 and ec2 in us-west-2 (a policy region) are covered, not added."""
    seen = (
        entry("pcluster-artifacts-0a1b2c.s3.us-east-1.amazonaws.com", scope="cloud"),
        entry("ec2.us-west-2.amazonaws.com", scope="cloud"),
        entry("objects.githubusercontent.com"),
    )
    for as_evidence in (False, True):
        new = Policy(entries=seen) if as_evidence else approved(*seen)
        drift = compare(approved(), new, evidence=as_evidence)
        assert not [c for c in drift.changes if c.kind in ("added", "widened")]
        assert only(drift, "covered", BUCKETS, "hosts").hosts == (
            "pcluster-artifacts-0a1b2c.s3.us-east-1.amazonaws.com",
        )
        assert only(drift, "covered", EC2, "hosts").hosts == ("ec2.us-west-2.amazonaws.com",)
        assert only(drift, "covered", "*.githubusercontent.com", "hosts").ports == (443,)


def test_a_template_host_the_policy_lists_is_covered_whatever_its_regions() -> None:
    """ec2.us-east-1 is in the template's hosts: the export writes it even with no region listed."""
    evidence = Policy(entries=(entry("ec2.us-east-1.amazonaws.com", scope="cloud"),))
    drift = compare(approved(regions=()), evidence, evidence=True)
    assert not [c for c in drift.changes if c.kind in ("added", "widened", "covered") and c.pattern == EC2]


def test_a_deeper_name_under_a_one_label_wildcard_widens_it() -> None:
    """a.b.s3.us-east-1 is two labels down: the one-label wildcard does not allow it, so it widens."""
    evidence = Policy(entries=(entry("logs.team-a.s3.us-east-1.amazonaws.com", scope="cloud"),))
    drift = compare(approved(), evidence, evidence=True)
    assert only(drift, "widened", BUCKETS, "hosts").hosts == ("logs.team-a.s3.us-east-1.amazonaws.com",)


def test_a_covered_name_on_a_new_port_widens_the_wildcard() -> None:
    """raw.githubusercontent.com on 80: the wildcard allows the name, not the port."""
    evidence = Policy(entries=(entry("raw.githubusercontent.com", (80,)),))
    change = only(compare(approved(), evidence, evidence=True), "widened", "*.githubusercontent.com", "ports")
    assert (change.ports, change.after) == ((80,), "80,443")


def test_new_wildcards_inside_and_outside_the_approved_ones() -> None:
    """*.user.githubusercontent.com is inside the approved wildcard (covered); *.amazonaws.com is added."""
    inside = entry("*.user.githubusercontent.com", match="subdomains")
    outside = entry("*.s3.amazonaws.com", match="subdomains", scope="cloud")
    drift = compare(approved(), approved(inside, outside))
    assert ("added", "*.s3.amazonaws.com", "entry") in kinds(drift)
    assert only(drift, "covered", "*.githubusercontent.com", "hosts").hosts == (
        "*.user.githubusercontent.com",
    )
    assert not [c for c in drift.changes if c.pattern == "*.user.githubusercontent.com"]


DNS = "observed: DNS query seen in a Route 53 Resolver query log (DNS only: no connection seen)"


def test_dns_evidence_names_no_port_so_it_neither_widens_nor_narrows_ports() -> None:
    """An apt mirror approved on 80, seen only in a Resolver log (443 assumed): covered, no port change."""
    old = approved(entry("security.ubuntu.com", (80,)), entry("*.ubuntu.com", (80,), match="subdomains"))
    evidence = Policy(
        entries=(
            entry("security.ubuntu.com", reasons=(DNS,)),
            entry("archive.ubuntu.com", reasons=(DNS,)),
            entry("registry.npmjs.org", reasons=(DNS,)),
        )
    )
    drift = compare(old, evidence, evidence=True)
    assert {(c.kind, c.pattern) for c in drift.changes if c.pattern.endswith("ubuntu.com")} == {
        ("covered", "*.ubuntu.com")
    }
    assert only(drift, "added", "registry.npmjs.org", "entry").note == "DNS only: no port seen, 443 assumed"
    as_policy = compare(old, replace(old, entries=(*old.entries[:-2], *evidence.entries[:2])))
    assert ("widened", "security.ubuntu.com", "ports") in kinds(as_policy)


def test_names_only_answered_nxdomain_are_set_aside_unless_asked() -> None:
    """A search-domain query answered NXDOMAIN is not drift; --include-nxdomain compares it."""
    evidence = Policy(entries=(entry("pypi.org"), entry("pypi.org.ec2.internal", nxdomain=2)))
    drift = compare(approved(), evidence, evidence=True)
    assert drift.set_aside == ("pypi.org.ec2.internal",)
    assert not [c for c in drift.changes if c.kind == "added"]
    kept = compare(approved(), evidence, evidence=True, include_nxdomain=True)
    assert only(kept, "added", "pypi.org.ec2.internal", "entry").hosts == ("pypi.org.ec2.internal",)


def test_an_entry_no_export_writes_is_added_with_the_reason() -> None:
    """A wildcard over a public suffix is refused by every export; it is still a new entry, with why."""
    drift = compare(approved(), approved(entry("*.com", match="subdomains")))
    change = only(drift, "added", "*.com", "entry")
    assert "public suffix" in change.note


def test_a_repeated_pattern_is_read_as_one_entry() -> None:
    """A hand-edited file lists pypi.org twice (80, then 443): one entry on both ports."""
    old = approved(entry("pypi.org", (80,)))
    new = replace(old, entries=(*old.entries, entry("pypi.org", (8080,))))
    assert kinds(compare(old, new)) == {("widened", "pypi.org", "ports")}


@pytest.mark.parametrize(
    "host",
    [
        "pypi.org",
        "pypi.org.evil.example",
        "raw.githubusercontent.com",
        "githubusercontent.com",
        "ec2.us-west-2.amazonaws.com",
        "ec2.ap-south-1.amazonaws.com",
        "bucket.s3.us-east-1.amazonaws.com",
        "a.bucket.s3.us-east-1.amazonaws.com",
        "192.0.2.10",
    ],
)
def test_added_or_not_agrees_with_the_enforcing_proxy(host: str) -> None:
    """One matcher: a host is covered exactly when proxy --enforce with the approved policy lets it through."""
    drift = compare(approved(), Policy(entries=(entry(host),)), evidence=True)
    beyond = {h for c in drift.changes if c.kind in ("added", "widened") for h in c.hosts}
    assert (host not in beyond) == Allowlist.from_policy(approved()).check(host, 443).allowed


def test_allowlist_covering_orders_exact_then_longest_suffix() -> None:
    """The shared matcher: the exact rule first, then wildcards from the most specific."""
    policy = Policy(
        entries=(
            entry("raw.githubusercontent.com"),
            entry("*.githubusercontent.com", match="subdomains"),
            entry("*.raw.githubusercontent.com", match="apex-and-subdomains"),
        )
    )
    allow = Allowlist.from_policy(policy)
    assert [r.name for r in allow.covering("raw.githubusercontent.com")] == [
        "raw.githubusercontent.com",
        "raw.githubusercontent.com",
        "githubusercontent.com",
    ]
    assert [r.match for r in allow.covering("raw.githubusercontent.com", wildcards_only=True)] == [
        "apex-and-subdomains",
        "subdomains",
    ]
    assert allow.covering("github.com") == []
