"""Entries the logs show only denied or only failed: which they are, and what review outputs and exports say.

An entry (or a scan destination) is *seen only denied or failed* when at least one of its requests was denied
by a proxy or firewall or failed (a gateway error, a refused connection, a failed download) and none was seen
allowed. Observations that carry no outcome (a URL a build log prints, a line of a list, a documentation link)
do not show the request got through, so they neither clear nor set the flag: a host wget names in its URL line
and then in ``Connecting to ... failed: Connection refused.`` is flagged. A host seen allowed even once is not
(its ``denied`` and ``failed`` counts still say how often it was refused).

Such entries stay in every export by default: the stack tried them, so they need a rule or a decision. Review
outputs (``scan``, ``csv``, ``markdown``, ``html``, ``json``) flag them; rule exports name them on stderr, and
``--exclude-denied`` leaves them out.

One kind is set apart: a name only ever answered NXDOMAIN (:func:`~egressmap.model.nxdomain_only`: no
connection, no request, no other answer) did not exist when it was looked up. The review outputs flag it
``only NXDOMAIN``; rule exports leave it out by default and count it on stderr; ``--include-nxdomain`` keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from .model import NXDOMAIN, Destination, Entry, Policy, nxdomain_only

if TYPE_CHECKING:
    from .exporters.interface import Exporter, ExportOptions

ONLY_DENIED = "only denied"
ONLY_FAILED = "only failed"
ONLY_DENIED_OR_FAILED = "only denied or failed"
ONLY_NXDOMAIN = "only NXDOMAIN"
"""The flag of a destination or entry whose every observation is a DNS answer NXDOMAIN."""
SCAN_HEADING = "Only denied or failed in the logs (blocked, or probably blocked)"
"""The heading ``scan`` puts above the destinations it lists first."""
NXDOMAIN_HEADING = "Answered NXDOMAIN only (left out of exports)"
"""The heading ``scan`` puts above the destinations only ever answered NXDOMAIN (listed last)."""
OTHER_HEADING = "Other destinations"
MAX_NAMED = 10
"""Names a stderr note lists before it says how many more there are."""


def seen_only(allowed: int, denied: int, failed: int) -> str | None:
    """The flag for these outcome counts, or None when a request was seen allowed or none was refused.

    >>> seen_only(0, 3, 0), seen_only(0, 0, 2), seen_only(0, 1, 1), seen_only(1, 3, 0), seen_only(0, 0, 0)
    ('only denied', 'only failed', 'only denied or failed', None, None)
    """
    if allowed or not (denied or failed):
        return None
    if denied and failed:
        return ONLY_DENIED_OR_FAILED
    return ONLY_DENIED if denied else ONLY_FAILED


def destination_flag(dest: Destination) -> str | None:
    """A scan destination's flag (see :func:`seen_only`, and ``only NXDOMAIN``), judged on its ``host:port``."""
    outcomes = dest.outcomes
    if not (outcomes.get("denied") or outcomes.get("failed") or outcomes.get(NXDOMAIN)):
        return None  # most destinations: no call further
    nxdomain = outcomes.get(NXDOMAIN, 0)
    if nxdomain and nxdomain >= dest.count:
        return ONLY_NXDOMAIN
    failed = outcomes.get("failed", 0) + nxdomain
    return seen_only(outcomes.get("allowed", 0), outcomes.get("denied", 0), failed)


def entry_flag(entry: Entry) -> str | None:
    """The entry's flag (see :func:`seen_only`); ``only NXDOMAIN`` when :func:`~.model.nxdomain_only`."""
    if entry.nxdomain and nxdomain_only(entry):
        return ONLY_NXDOMAIN
    return seen_only(entry.allowed, entry.denied, entry.failed)


def flagged(entries: Sequence[Entry]) -> list[Entry]:
    """The entries seen only denied or failed, in their order."""
    return [e for e in entries if entry_flag(e)]


def named(patterns: Sequence[str], limit: int = MAX_NAMED) -> str:
    """The first ``limit`` patterns, comma-separated, and how many more there are.

    >>> named(["a.com", "b.com", "c.com"], limit=2)
    'a.com, b.com and 1 more'
    """
    names = ", ".join(patterns[:limit])
    return names + (f" and {len(patterns) - limit} more" if len(patterns) > limit else "")


def _plural(n: int) -> str:
    return f"{n} entry was" if n == 1 else f"{n} entries were"


def allowed_note(entries: Sequence[Entry]) -> str:
    """What an export says about the flagged entries it writes rules for."""
    one = len(entries) == 1
    return (
        f"{_plural(len(entries))} only ever denied or failed in the logs and {'is' if one else 'are'} allowed "
        f"by this export: {named([e.pattern for e in entries])}; "
        f"review {'it' if one else 'them'}, or leave {'it' if one else 'them'} out with --exclude-denied"
    )


def excluded_note(entries: Sequence[Entry]) -> str:
    """What ``--exclude-denied`` says about the entries it left out."""
    if not entries:
        return "--exclude-denied: no entry was only denied or failed in the logs; nothing left out"
    return (
        f"--exclude-denied: {_plural(len(entries))} only ever denied or failed in the logs and left out: "
        + (named([e.pattern for e in entries]))
    )


def nxdomain_note(entries: Sequence[Entry]) -> str:
    """What an export says about the entries only ever answered NXDOMAIN that it left out."""
    one = len(entries) == 1
    return (
        f"{_plural(len(entries))} only ever answered NXDOMAIN (no connection or request seen) and left out: "
        f"{named([e.pattern for e in entries])}; --include-nxdomain keeps {'it' if one else 'them'}"
    )


def nxdomain_left_out(exporter: Exporter, policy: Policy, options: ExportOptions) -> list[Entry]:
    """The entries only ever answered NXDOMAIN that this export would show with ``--include-nxdomain`` only."""
    if exporter.keeps_nxdomain(options) or not any(nxdomain_only(e) for e in policy.entries):
        return []
    return [e for e in exporter.select(policy, replace(options, include_nxdomain=True)) if nxdomain_only(e)]


def without_flagged(policy: Policy) -> tuple[Policy, list[Entry]]:
    """The policy without its flagged entries, and those entries."""
    gone = flagged(policy.entries)
    if not gone:
        return policy, []
    return replace(policy, entries=tuple(e for e in policy.entries if not entry_flag(e))), gone


def for_export(
    exporter: Exporter, policy: Policy, options: ExportOptions, exclude: bool
) -> tuple[Policy, list[str]]:
    """The policy an export renders, and the notes it prints about entries seen only denied or failed.

    With ``exclude`` the flagged entries are left out (the note says how many of those this export would have
    written, and names them). Without it they stay, and an export that writes rules names the ones it allows;
    a review format (``shows_outcomes``) flags them in its own text instead. Entries only ever answered
    NXDOMAIN that the export leaves out (:meth:`~.exporters.interface.Exporter.keeps_nxdomain`) are counted
    and named in a note first.
    """
    gone = nxdomain_left_out(exporter, policy, options)
    notes = [nxdomain_note(gone)] if gone else []
    if not exclude and (exporter.shows_outcomes or not any(entry_flag(e) for e in policy.entries)):
        return policy, notes
    shown = flagged(exporter.select(policy, options))
    if exclude:
        return without_flagged(policy)[0], [*notes, excluded_note(shown)]
    return policy, [*notes, allowed_note(shown)] if shown else notes
