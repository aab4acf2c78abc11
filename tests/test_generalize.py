"""Wildcards a plain list carried: one entry per suffix, the broader match kept, shared hosting flagged broad."""

from __future__ import annotations

from egressmap.generalize import add_listed_wildcards, apply_wildcards, listed_wildcard
from egressmap.model import Classification, Entry, entry_covers


def _entry(pattern: str, ports: tuple[int, ...] = (443,), source: str = "l:1") -> Entry:
    hosts = (pattern,)
    return Entry(
        pattern, hosts, ports, Classification(), "referenced", 1, 0, ("referenced: listed",), (source,)
    )


def _shared(suffix: str) -> bool:
    return suffix == "cloudfront.net"


def test_listed_wildcard_reads_both_forms() -> None:
    """``*.x.com`` reaches names below x.com; ``.x.com`` reaches x.com too; a host is no wildcard."""
    assert listed_wildcard("*.x.com") == ("*.x.com", "subdomains")
    assert listed_wildcard(".x.com") == ("*.x.com", "apex-and-subdomains")
    assert listed_wildcard("x.com") is None


def test_listed_wildcards_keep_exact_entries_and_their_own_ports() -> None:
    """Exact entries under a listed wildcard stay; each wildcard keeps its port; no host is invented."""
    exact = [_entry("us.download.nvidia.com"), _entry("security.ubuntu.com", (80,))]
    listed = [_entry("*.download.nvidia.com", source="l:3"), _entry("*.archive.ubuntu.com", (80,), "l:4")]
    out = {e.pattern: e for e in add_listed_wildcards(exact, listed, _shared)}
    assert set(out) == {
        "us.download.nvidia.com",
        "security.ubuntu.com",
        "*.download.nvidia.com",
        "*.archive.ubuntu.com",
    }
    star = out["*.archive.ubuntu.com"]
    assert (star.match, star.hosts, star.ports, star.sources, star.broad) == (
        "subdomains",
        (),
        (80,),
        ("l:4",),
        False,
    )
    assert entry_covers(star.pattern, star.match, "us-east-1.ec2.archive.ubuntu.com")
    assert not entry_covers(star.pattern, star.match, "archive.ubuntu.com")


def test_both_forms_of_one_suffix_join_only_when_that_widens_nothing() -> None:
    """``*.x.com:443`` joins ``.x.com:443``; ``*.x.com:80`` stays apart (joined, it would allow x.com:80)."""
    (entry,) = add_listed_wildcards([], [_entry("*.example.org"), _entry(".example.org", (80, 443))], _shared)
    assert (entry.pattern, entry.match, entry.ports) == ("*.example.org", "apex-and-subdomains", (80, 443))
    apart = add_listed_wildcards([], [_entry("*.example.org", (80,)), _entry(".example.org")], _shared)
    assert sorted((e.pattern, e.match, e.ports) for e in apart) == [
        ("*.example.org", "apex-and-subdomains", (443,)),
        ("*.example.org", "subdomains", (80,)),
    ]
    same = add_listed_wildcards(
        [], [_entry("*.example.org", (80,)), _entry("*.example.org", (443,))], _shared
    )
    assert [(e.match, e.ports) for e in same] == [("subdomains", (80, 443))]


def test_a_listed_wildcard_joins_one_made_by_the_wildcard_flag_without_widening() -> None:
    """--wildcard x made ``*.x`` (apex seen) on 443: a listed ``*.x:443`` joins it, ``*.x:8080`` does not."""
    seen = [_entry("example.org"), _entry("a.example.org")]
    made = apply_wildcards(seen, ["example.org"], lambda s: False, _shared)
    assert [(e.match, e.ports) for e in made] == [("apex-and-subdomains", (443,))]
    out = add_listed_wildcards(made, [_entry("*.example.org", source="l:7")], _shared)
    assert [(e.match, e.ports, e.hosts) for e in out] == [
        ("apex-and-subdomains", (443,), ("a.example.org", "example.org"))
    ]
    out = add_listed_wildcards(made, [_entry("*.example.org", (8080,), "l:8")], _shared)
    assert sorted((e.match, e.ports) for e in out) == [
        ("apex-and-subdomains", (443,)),
        ("subdomains", (8080,)),
    ]


def test_shared_hosting_is_broad_once() -> None:
    """A listed ``*.cloudfront.net`` is broad with one warning, also when --wildcard made the same pattern."""
    (alone,) = add_listed_wildcards([], [_entry("*.cloudfront.net")], _shared)
    assert alone.broad and len(alone.warnings) == 1 and "shared hosting" in alone.warnings[0]
    made = apply_wildcards([_entry("d1.cloudfront.net")], ["cloudfront.net"], lambda s: False, _shared)
    (both,) = add_listed_wildcards(made, [_entry("*.cloudfront.net", source="l:9")], _shared)
    assert both.broad and len(both.warnings) == 1
    assert both.hosts == ("d1.cloudfront.net",) and both.sources == ("l:1", "l:9")
