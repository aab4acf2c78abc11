"""Drift between policies, and between an approved policy and evidence: every kind, coverage, fail-on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest

from egressmap.drift import FAIL_ON, RENDERERS, Change, Drift, Labels, compare
from egressmap.model import Classification, Entry, Match, Policy, Scope, Tier
from egressmap.proxy.allow import Allowlist

EC2 = "ec2.{region}.amazonaws.com"
BUCKETS = "*.s3.us-east-1.amazonaws.com"


def entry(
    pattern: str,
    ports: Sequence[int] = (443,),
    *,
    match: Match = "exact",
    hosts: Sequence[str] | None = None,
    tier: Tier = "observed",
    scope: Scope = "internet",
    source: str = "resolver.log:1",
    nxdomain: int = 0,
    reasons: Sequence[str] = (),
) -> Entry:
    """A policy entry as build writes it (a template or wildcard lists the hosts seen under it)."""
    if hosts is None:
        hosts = () if "{" in pattern or pattern.startswith("*.") else (pattern,)
    return Entry(
        pattern=pattern,
        hosts=tuple(hosts),
        ports=tuple(ports),
        classification=Classification(scope=scope, provider="aws" if scope == "cloud" else None),
        tier=tier,
        count=max(nxdomain, 1),
        denied=0,
        failed=nxdomain,
        nxdomain=nxdomain,
        reasons=tuple(reasons),
        sources=(source,),
        match=match,
    )


def approved(*extra: Entry, regions: Sequence[str] = ("us-east-1", "us-west-2")) -> Policy:
    """The approved policy of a ParallelCluster head node (PyPI, GitHub, EC2 by template, cluster buckets).

    ``extra`` entries are added, or replace the entry with their pattern.
    """
    entries = {
        e.pattern: e
        for e in (
            entry("pypi.org"),
            entry("files.pythonhosted.org"),
            entry("github.com"),
            entry("*.githubusercontent.com", match="subdomains", hosts=("raw.githubusercontent.com",)),
            entry(EC2, hosts=("ec2.us-east-1.amazonaws.com",), scope="cloud", tier="predicted"),
            entry(BUCKETS, match="one-label", scope="cloud"),
            *extra,
        )
    }
    return Policy(entries=tuple(entries.values()), regions=tuple(regions))


def kinds(drift: Drift) -> set[tuple[str, str, str]]:
    """(kind, pattern, aspect) of every change."""
    return {(c.kind, c.pattern, c.aspect) for c in drift.changes}


def only(drift: Drift, kind: str, pattern: str, aspect: str) -> Change:
    """The one change of this kind, entry and aspect."""
    (found,) = [c for c in drift.changes if (c.kind, c.pattern, c.aspect) == (kind, pattern, aspect)]
    return found


def test_the_same_policy_has_no_differences() -> None:
    """A policy against itself: nothing at all, not even covered names."""
    assert compare(approved(), approved()).changes == ()


def test_a_new_host_is_added_with_its_evidence() -> None:
    """registry.npmjs.org is nowhere in the approved policy: added, with its ports, tier and source."""
    new = approved(entry("registry.npmjs.org", source="resolver.log:7"))
    drift = compare(approved(), new)
    assert kinds(drift) == {("added", "registry.npmjs.org", "entry")}
    c = drift.changes[0]
    assert (c.hosts, c.ports, c.tier, c.scope, c.after) == (
        ("registry.npmjs.org",),
        (443,),
        "observed",
        "internet",
        "exact",
    )
    assert c.sources == ("resolver.log:7",)


def test_a_removed_entry_between_policies_and_one_not_seen_in_evidence() -> None:
    """Gone from the new policy: removed; against evidence, an approved entry nothing was seen under: removed."""
    new = replace(approved(), entries=tuple(e for e in approved().entries if e.pattern != "github.com"))
    assert kinds(compare(approved(), new)) == {("removed", "github.com", "entry")}
    evidence = Policy(entries=(entry("pypi.org"),))
    drift = compare(approved(), evidence, evidence=True)
    removed = {c.pattern for c in drift.changes if c.kind == "removed"}
    assert removed == {"files.pythonhosted.org", "github.com", "*.githubusercontent.com", EC2, BUCKETS}
    assert {c.note for c in drift.changes if c.kind == "removed"} == {"not seen in the evidence"}


def test_a_port_added_widens_the_entry() -> None:
    """pypi.org on 8443 as well: widened ports, not added."""
    new = approved(entry("pypi.org", (443, 8443)))
    change = only(compare(approved(), new), "widened", "pypi.org", "ports")
    assert (change.before, change.after, change.ports, change.hosts) == (
        "443",
        "443,8443",
        (8443,),
        ("pypi.org",),
    )


def test_a_port_dropped_narrows_the_entry() -> None:
    """files.pythonhosted.org loses port 80 in the new policy: narrowed ports."""
    old = approved(entry("files.pythonhosted.org", (80, 443)))
    change = only(compare(old, approved()), "narrowed", "files.pythonhosted.org", "ports")
    assert (change.before, change.after, change.ports) == ("80,443", "443", (80,))


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ("one-label", "subdomains", "widened"),
        ("subdomains", "apex-and-subdomains", "widened"),
        ("apex-and-subdomains", "one-label", "narrowed"),
    ],
)
def test_a_broader_or_narrower_match_kind(before: Match, after: Match, kind: str) -> None:
    """exact < one-label < subdomains < apex-and-subdomains, on the same wildcard."""
    old = approved(entry(BUCKETS, match=before, scope="cloud"))
    new = approved(entry(BUCKETS, match=after, scope="cloud"))
    change = only(compare(old, new), kind, BUCKETS, "match")
    assert (change.before, change.after) == (before, after)
    assert len(compare(old, new).changes) == 1


def test_a_region_the_policy_does_not_list_widens_the_template() -> None:
    """ec2.eu-west-1 sits under the approved EC2 template, but eu-west-1 is not a policy region: widened hosts."""
    new = Policy(entries=(entry("ec2.eu-west-1.amazonaws.com", scope="cloud", source="resolver.log:3"),))
    drift = compare(approved(), new, evidence=True)
    change = only(drift, "widened", EC2, "hosts")
    assert change.hosts == ("ec2.eu-west-1.amazonaws.com",) and change.sources == ("resolver.log:3",)
    assert not [c for c in drift.changes if c.kind == "added"]


def test_a_template_losing_a_region_is_narrowed() -> None:
    """The new policy lists only us-east-1: the template no longer allows ec2.us-west-2."""
    drift = compare(approved(), approved(regions=("us-east-1",)))
    change = only(drift, "narrowed", EC2, "hosts")
    assert change.hosts == ("ec2.us-west-2.amazonaws.com",)
    assert len(drift.changes) == 1


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


def test_a_wildcard_replaced_by_its_names_is_narrowed_to_them() -> None:
    """The new policy keeps raw.githubusercontent.com but drops the wildcard: narrowed to exact names."""
    entries = tuple(e for e in approved().entries if e.pattern != "*.githubusercontent.com")
    new = replace(approved(), entries=(*entries, entry("raw.githubusercontent.com")))
    drift = compare(approved(), new)
    change = only(drift, "narrowed", "*.githubusercontent.com", "match")
    assert (change.before, change.after, change.hosts) == (
        "subdomains",
        "exact",
        ("raw.githubusercontent.com",),
    )
    assert len(drift.changes) == 1


def test_tier_and_scope_changes() -> None:
    """A predicted template now observed, and an entry classified cloud instead of internet."""
    new = approved(
        entry(EC2, hosts=("ec2.us-east-1.amazonaws.com",), scope="cloud"),
        entry("github.com", scope="cloud"),
    )
    drift = compare(approved(), new)
    tier = only(drift, "tier", EC2, "tier")
    scope = only(drift, "scope", "github.com", "scope")
    assert (tier.before, tier.after, scope.before, scope.after) == (
        "predicted",
        "observed",
        "internet",
        "cloud",
    )
    assert kinds(drift) == {("tier", EC2, "tier"), ("scope", "github.com", "scope")}


def test_evidence_tier_is_the_strongest_seen_under_the_entry() -> None:
    """Two buckets under a predicted wildcard, one observed: tier predicted -> observed."""
    old = approved(entry(BUCKETS, match="one-label", scope="cloud", tier="predicted"))
    evidence = Policy(
        entries=(
            entry("a.s3.us-east-1.amazonaws.com", scope="cloud", tier="referenced"),
            entry("b.s3.us-east-1.amazonaws.com", scope="cloud"),
        )
    )
    change = only(compare(old, evidence, evidence=True), "tier", BUCKETS, "tier")
    assert (change.before, change.after) == ("predicted", "observed")


def test_an_approved_port_never_seen_is_narrowed_against_evidence() -> None:
    """pypi.org approved on 80 and 443, seen on 443 only."""
    old = approved(entry("pypi.org", (80, 443)))
    change = only(
        compare(old, Policy(entries=(entry("pypi.org"),)), evidence=True), "narrowed", "pypi.org", "ports"
    )
    assert (change.ports, change.note) == ((80,), "not seen in the evidence")


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


@pytest.mark.parametrize(
    ("fail_on", "failing"),
    [
        ("added", {"added"}),
        ("changed", {"widened", "tier"}),
        ("any", {"added", "removed", "widened", "tier"}),
        ("removed", {"removed"}),
        ("widened", {"widened"}),
        ("narrowed", set()),
        ("tier", {"tier"}),
        ("scope", set()),
    ],
)
def test_fail_on_counts_its_kinds_and_never_covered(fail_on: str, failing: set[str]) -> None:
    """Each --fail-on value counts exactly its kinds; covered names never count."""
    evidence = Policy(
        entries=(
            entry("pypi.org", (443, 8443)),
            entry("registry.npmjs.org"),
            entry("objects.githubusercontent.com"),
            entry("ec2.us-west-2.amazonaws.com", scope="cloud"),
            entry("x.s3.us-east-1.amazonaws.com", scope="cloud"),
            entry("files.pythonhosted.org"),
        )
    )
    drift = compare(approved(), evidence, evidence=True)
    assert {c.kind for c in drift.changes} == {"added", "removed", "widened", "tier", "covered"}
    assert {c.kind for c in drift.failing([fail_on])} == failing
    assert fail_on in FAIL_ON


def test_every_renderer_is_deterministic_and_json_is_sorted() -> None:
    """Table, markdown and JSON: same text twice; JSON keys sorted, changes in report order."""
    new = approved(entry("registry.npmjs.org"), entry("pypi.org", (443, 8443)))
    labels = Labels("approved-policy.yaml", ("new-policy.yaml",))
    for render in RENDERERS.values():
        assert render(compare(approved(), new), labels) == render(compare(approved(), new), labels)
    text = RENDERERS["json"](compare(approved(), new), labels)
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True) + "\n"
    assert [c["kind"] for c in data["changes"]] == ["added", "widened"]
    assert data["counts"]["added"] == 1 and data["new_kind"] == "policy"
