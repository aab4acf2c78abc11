"""Every export refuses what must never be allowed, even from a hand-edited policy (issue 14, finding 5).

On the code before issue 14 every format wrote ``*.com``, ``169.254.169.254``, ``127.0.0.1`` or ``0.0.0.0``;
these tests fail there and pass after.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.exporters import EXPORTERS
from egressmap.model import Classification, Entry, Match, Policy
from egressmap.policy_file import dump_yaml

from .test_hostile import VARIANTS


def _entry(pattern: str, match: Match = "exact", hosts: tuple[str, ...] | None = None) -> Entry:
    if hosts is None:
        hosts = (pattern,) if match == "exact" else ()
    return Entry(
        pattern,
        hosts,
        (80, 443),
        Classification(),
        "observed",
        1,
        0,
        ("observed: hand-edited",),
        (),
        match=match,
    )


REFUSED_ENTRIES = (
    _entry("*.com", "subdomains"),
    _entry("*.co.uk", "apex-and-subdomains"),
    _entry("*.localhost", "one-label"),
    _entry("169.254.169.254"),
    _entry("fd00:ec2::254"),
    _entry("127.0.0.1"),
    _entry("::1"),
    _entry("localhost"),
    _entry("metadata.google.internal"),
    _entry("0.0.0.0"),
    _entry("::"),
    _entry("224.0.0.1"),
    _entry("mirror.example.org", hosts=("mirror.example.org", "169.254.169.254")),
)
"""Entries a hand-edited policy may carry that no export may write."""

GOOD = (
    _entry("pypi.org"),
    _entry("*.archive.ubuntu.com", "subdomains"),
    _entry("10.0.0.5"),
    _entry("2001:db8::10"),
)


_COUNTS = re.compile(r"\d+ (?:rules from \d+ )?policy entries|shown of \d+ in the policy|Refused</dt><dd>\d+")


def _allowing(text: str) -> str:
    """``text`` without the counts of policy and refused entries that headers and summaries carry."""
    return _COUNTS.sub("COUNT", text)


@pytest.mark.parametrize(("name", "options"), VARIANTS, ids=[f"{n}-{i}" for i, (n, _) in enumerate(VARIANTS)])
def test_every_export_leaves_refused_entries_out_and_names_them(name: str, options: object) -> None:
    """The output is exactly the output without the refused entries; each refused entry is named once."""
    exporter = EXPORTERS[name]()
    clean = exporter.render(Policy(GOOD), options)  # type: ignore[arg-type]
    dirty = exporter.render(Policy((*GOOD, *REFUSED_ENTRIES)), options)  # type: ignore[arg-type]
    assert _allowing(dirty.text) == _allowing(clean.text), name
    for entry in REFUSED_ENTRIES:
        named = [r for r in dirty.rejected if r.startswith(f"refused entry {entry.pattern!r}:")]
        assert len(named) == 1, (name, entry.pattern, dirty.rejected)


def test_export_of_a_hand_edited_policy_is_partial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``export --to X`` of a policy carrying refused entries writes the rest, names each on stderr, exits 3."""
    path = tmp_path / "policy.yaml"
    path.write_text(dump_yaml(Policy((*GOOD, *REFUSED_ENTRIES))), encoding="utf-8")
    for target in ("list", "squid", "json", "suricata", "dns-firewall"):
        code = main(["export", str(path), "--to", target, "--scope", "all"])
        out, err = capsys.readouterr()
        assert code == 3, target
        assert "169.254.169.254" in err and "'*.co.uk'" in err and "public suffix" in err, target
        assert "pypi.org" in out, target
        assert "0.0.0.0" not in out and "fd00:ec2::254" not in out, target
