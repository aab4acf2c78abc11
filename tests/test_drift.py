"""Drift between policies, and between an approved policy and evidence: every kind, coverage, fail-on."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

import pytest

from egressmap.drift import FAIL_ON, RENDERERS, Change, Drift, Labels, compare
from egressmap.model import Classification, Entry, Match, Policy, Scope, Tier

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
