"""Opt-in generalisation: fold hosts that differ only by a region into a template, and explicit wildcards.

>>> region_template("cloudformation.us-east-1.amazonaws.com", {"us-east-1"})
('cloudformation.{region}.amazonaws.com', 'us-east-1')
>>> region_template("us-west-2.ec2.archive.ubuntu.com", {"us-west-2"})
('{region}.ec2.archive.ubuntu.com', 'us-west-2')
>>> region_template("pypi.org", {"us-east-1"}) is None
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache

from .errors import ConfigError
from .hostnames import normalize_host
from .model import REGION_TOKEN, TIER_RANK, Entry, Match, reason_key
from .validation import wildcard_refusal

# AWS-style region names, including ones botocore may not list yet (us-gov-, cn-, -iso-).
_REGION_SHAPE = re.compile(r"(?<![a-z0-9])([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})(?![a-z0-9])")


def check_pattern(pattern: str) -> None:
    """Raise ValueError unless ``pattern`` is a host name in normal form, a ``{region}`` template or ``*.suffix``.

    >>> check_pattern("ec2.{region}.amazonaws.com")
    >>> check_pattern("GitHub.com")
    Traceback (most recent call last):
    ValueError: host pattern 'GitHub.com' is not a lower-case host name (only {region} may vary)
    """
    probe = pattern.removeprefix("*.").replace(REGION_TOKEN, "us-east-1")
    try:
        normal = normalize_host(probe)
    except ValueError as exc:
        raise ValueError(f"host pattern {pattern!r}: {exc}") from None
    if normal != probe:
        raise ValueError(
            f"host pattern {pattern!r} is not a lower-case host name (only {REGION_TOKEN} may vary)"
        )


def region_template(host: str, known: Collection[str]) -> tuple[str, str] | None:
    """(template, region) when ``host`` contains exactly one region name (possibly repeated), else None."""
    found = {m.group(1) for m in _REGION_SHAPE.finditer(host)}
    found = {r for r in found if r in known or _plausible(r)}
    if len(found) != 1:
        return None
    region = found.pop()
    return _REGION_SHAPE.sub(lambda m: REGION_TOKEN if m.group(1) == region else m.group(1), host), region


@lru_cache(maxsize=1024)
def _plausible(token: str) -> bool:
    direction = token.split("-")[-2]
    return direction in {
        "east",
        "west",
        "north",
        "south",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "iso",
        "isob",
    }


def expand(pattern: str, regions: Iterable[str]) -> list[str]:
    """Concrete hosts for a template and regions (the pattern itself when it is not a template)."""
    if REGION_TOKEN not in pattern:
        return [pattern]
    return sorted({pattern.replace(REGION_TOKEN, r) for r in regions})


def merge(pattern: str, group: Sequence[Entry], max_sources: int = 5) -> Entry:
    """One entry standing for ``group`` under ``pattern``: evidence summed, the strongest tier kept."""
    first = group[0]
    regions = {e.classification.region for e in group}
    classification = first.classification
    if len(regions) > 1:
        classification = replace(classification, region=None)
    sources = sorted({s for e in group for s in e.sources})[:max_sources]
    return replace(
        first,
        pattern=pattern,
        hosts=tuple(sorted({h for e in group for h in e.hosts})),
        ports=tuple(sorted({p for e in group for p in e.ports})),
        classification=classification,
        tier=min((e.tier for e in group), key=TIER_RANK.__getitem__),
        count=sum(e.count for e in group),
        denied=sum(e.denied for e in group),
        failed=sum(e.failed for e in group),
        allowed=sum(e.allowed for e in group),
        nxdomain=sum(e.nxdomain for e in group),
        reasons=tuple(sorted({r for e in group for r in e.reasons}, key=reason_key)),
        sources=tuple(sources),
        broad=any(e.broad for e in group),
        warnings=tuple(sorted({w for e in group for w in e.warnings})),
    )


def fold_regions(entries: Sequence[Entry], known: Collection[str]) -> list[Entry]:
    """Fold entries whose hosts differ only by a region into one ``{region}`` template each."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        found = region_template(entry.pattern, known) if entry.pattern == entry.hosts[0] else None
        groups.setdefault(found[0] if found else entry.pattern, []).append(entry)
    return [
        merge(pattern, group) if len(group) > 1 or pattern != group[0].pattern else group[0]
        for pattern, group in groups.items()
    ]


def apply_wildcards(
    entries: Sequence[Entry],
    suffixes: Iterable[str],
    is_public_suffix: Callable[[str], bool],
    is_shared: Callable[[str], bool],
    one_label: Iterable[str] = (),
) -> list[Entry]:
    """Merge entries under each ``*.SUFFIX``; refuse public suffixes, flag shared hosting as broad.

    ``suffixes`` reach any depth (the apex too when it was seen); ``one_label`` suffixes take only the names
    exactly one label below them (``match: one-label``), leaving deeper names and the apex as they are.
    """
    result = list(entries)
    for raw, label in [*((s, False) for s in suffixes), *((s, True) for s in one_label)]:
        flag = "--wildcard-label" if label else "--wildcard"
        try:
            suffix = normalize_host(raw.removeprefix("*.").removeprefix("."))
        except ValueError as exc:
            raise ConfigError(f"{flag} {raw!r}: {exc}") from None
        if "." not in suffix or is_public_suffix(suffix):
            raise ConfigError(
                f"{flag} {raw!r}: refusing a wildcard over the public suffix {suffix!r}; "
                "it would allow every domain registered under it"
            )
        refused = wildcard_refusal(suffix, "one-label" if label else "apex-and-subdomains")
        if refused is not None:
            raise ConfigError(f"{flag} {raw!r}: refused: {refused}")
        # documentation-only hosts stay exact: a wildcard must not turn a doc link into an allowed download port
        inside = [e for e in result if e.tier != "documentation" and _under(e, suffix, label)]
        if not inside:
            continue
        rest = [e for e in result if e not in inside]
        apex = any(suffix in e.hosts for e in inside)
        match: Match = "one-label" if label else "apex-and-subdomains" if apex else "subdomains"
        merged = replace(merge(f"*.{suffix}", inside), match=match)
        if is_shared(suffix):
            merged = _broad(merged, suffix)
        result = [*rest, merged]
    return result


def _under(entry: Entry, suffix: str, one_label: bool) -> bool:
    """True when every host of an exact entry sits under ``suffix`` (one label below it for ``one_label``)."""
    if entry.match != "exact" or REGION_TOKEN in entry.pattern and one_label:
        return False
    if one_label:
        return all(h.endswith("." + suffix) and "." not in h[: -len(suffix) - 1] for h in entry.hosts)
    return any(h == suffix or h.endswith("." + suffix) for h in entry.hosts)


def _broad(entry: Entry, suffix: str) -> Entry:
    """``entry`` flagged broad: its wildcard sits over shared hosting."""
    return replace(
        entry,
        broad=True,
        warnings=(
            *entry.warnings,
            f"*.{suffix} is shared hosting: it allows anyone's site under {suffix}, not only the ones observed",
        ),
    )


# --- wildcards a plain list carried (issue 13) ----------------------------------------------------------------

_BREADTH: dict[str, int] = {"one-label": 0, "subdomains": 1, "apex-and-subdomains": 2}


def listed_wildcard(host: str) -> tuple[str, Match] | None:
    """The pattern and match kind of a wildcard a plain list carried as a host, else None.

    A list's ``*.x.com`` reaches every name below ``x.com``; Squid's ``.x.com`` also ``x.com`` itself.

    >>> listed_wildcard("*.archive.ubuntu.com"), listed_wildcard(".x.com"), listed_wildcard("x.com")
    (('*.archive.ubuntu.com', 'subdomains'), ('*.x.com', 'apex-and-subdomains'), None)
    """
    if host.startswith("*."):
        return host, "subdomains"
    if host.startswith("."):
        return "*" + host, "apex-and-subdomains"
    return None


def add_listed_wildcards(
    entries: Sequence[Entry], listed: Sequence[Entry], is_shared: Callable[[str], bool]
) -> list[Entry]:
    """``entries`` plus the wildcard entries of lists (``listed``: one entry per listed ``*.x.com``/``.x.com``).

    A listed wildcard joins another wildcard entry of the same pattern (the other form, or one ``--wildcard``
    made) when that widens nothing: the same match kind, or the narrower one's ports among the broader one's.
    Otherwise it stays an entry of its own (``*.x.com:80`` and ``.x.com:443`` do not make ``x.com:80``). Exact
    entries stay as they are (converting a list keeps every line). Shared hosting is flagged broad, as with
    ``--wildcard``; public suffixes never get here (the list reader refuses them).
    """
    result = list(entries)
    by_pattern: dict[str, list[int]] = {}
    for i, entry in enumerate(result):
        if entry.match != "exact":
            by_pattern.setdefault(entry.pattern, []).append(i)
    wild = []
    for entry in listed:
        pattern, match = listed_wildcard(entry.pattern) or (entry.pattern, entry.match)
        wild.append(replace(entry, pattern=pattern, match=match, hosts=()))
    touched = set()
    for entry in sorted(wild, key=lambda e: (e.pattern, -_BREADTH[e.match], e.ports)):  # broader first
        places = by_pattern.setdefault(entry.pattern, [])
        joined = next((i for i in places if _joins(result[i], entry)), None)
        if joined is None:
            touched.add(len(result))
            places.append(len(result))
            result.append(entry)
            continue
        match = max(result[joined].match, entry.match, key=_BREADTH.__getitem__)
        result[joined] = replace(merge(entry.pattern, [result[joined], entry]), match=match)
        touched.add(joined)
    for i in sorted(touched):
        if is_shared(result[i].pattern[2:]) and not result[i].broad:
            result[i] = _broad(result[i], result[i].pattern[2:])
    return result


def _joins(one: Entry, other: Entry) -> bool:
    """True when one entry can stand for both wildcard entries without allowing more than the two did."""
    if one.match == other.match:
        return True
    wide, narrow = sorted((one, other), key=lambda e: _BREADTH[e.match], reverse=True)
    return set(narrow.ports) <= set(wide.ports)
