"""Logs written by a real Squid: destinations it only denied or could not reach are flagged and named.

The traffic plan (``squidlab``) has names Squid denies by ACL (403) and a port nothing listens on (503). Each
of the five logs must flag exactly those, and every rule export must name them on stderr.
"""

from __future__ import annotations

import json

import pytest

from egressmap.cli import main
from egressmap.model import Classification, Entry
from egressmap.review import ONLY_DENIED, ONLY_FAILED, allowed_note, excluded_note

from .squidlab import LOGS, SquidLab

pytestmark = pytest.mark.squid


def _expected_flags(lab: SquidLab) -> dict[tuple[str, int], str | None]:
    """What each destination sent through the proxy should be flagged: by the status Squid answered."""
    return {
        key: ONLY_DENIED if want.status == 403 else ONLY_FAILED if want.status >= 500 else None
        for key, want in lab.expected.items()
    }


def _flagged_names(lab: SquidLab) -> list[str]:
    hosts = {host for (host, _), flag in _expected_flags(lab).items() if flag}
    allowed = {host for (host, _), flag in _expected_flags(lab).items() if not flag}
    return sorted(hosts - allowed)


def _entries(names: list[str]) -> list[Entry]:
    return [Entry(n, (n,), (443,), Classification(), "observed", 1, 1, (), ()) for n in names]


@pytest.mark.parametrize("name", list(LOGS))
def test_every_logformat_flags_what_squid_refused(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Denied by the ACL: only denied; a refused upstream connection (503): only failed; the rest: no flag."""
    capsys.readouterr()
    code = main(["scan", str(squid_lab.log(name)), "--squid-conf", str(squid_lab.conf), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    rows = {(r["host"], r["port"]): r["flag"] for r in json.loads(out)["destinations"]}
    assert rows == _expected_flags(squid_lab)
    assert ONLY_DENIED in rows.values() and ONLY_FAILED in rows.values()


@pytest.mark.parametrize("target", ["squid", "list", "pan-edl-url"])
def test_exports_name_them_and_exclude_denied_drops_them(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], target: str
) -> None:
    """The export names the flagged hosts with their count; --exclude-denied leaves them out of the rules."""
    names = _flagged_names(squid_lab)
    capsys.readouterr()
    assert main(["build", str(squid_lab.log("native.log")), "--to", target]) == 0
    out, err = capsys.readouterr()
    assert f"egressmap: {target}: {allowed_note(_entries(names))}" in err.splitlines()
    assert all(n in out for n in names)
    assert main(["build", str(squid_lab.log("native.log")), "--to", target, "--exclude-denied"]) == 0
    out, err = capsys.readouterr()
    assert f"egressmap: {target}: {excluded_note(_entries(names))}" in err.splitlines()
    assert not [n for n in names if n in out]
    assert "mirror.egressmap.test" in out and "api.egressmap.test" in out
