"""egressmap against logs written by a real Squid: native, common, combined and four custom logformats.

Every log comes from the one Squid run in ``conftest.squid_lab``: plain-HTTP and CONNECT requests to local
servers under test names, some denied by an ACL, some to a port nothing listens on. ``scan`` must find exactly
the destinations sent, with the right counts and the denied and failed ones marked, whatever the logformat
and however the format is made known, or not made known at all (the layout is then inferred).
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from egressmap.cli import main
from egressmap.sources.squid_format import read_squid_conf

from .squidlab import (
    DETAILED,
    LOGS,
    MINIMAL,
    REFERER,
    REORDERED,
    SECRET,
    TUNNELS_LOG,
    UNNAMED_LOGS,
    UNQUOTED_UA,
    SquidLab,
)

pytestmark = pytest.mark.squid

BUILTIN_LOGS = ("native.log", "common.log", "combined.log")
CUSTOM_LOGS = ("minimal.log", "detailed.log")
PROBE_LINE = "error:transaction-end-before-headers"
"""What Squid 5.7 logs as the URL of a connection closed before any request (our readiness probe)."""
PROBE_REASONS = {
    # How the probe line may be reported: "dropped" (it names no destination), never "malformed".
    "no destination in URL 'error:transaction-end-before-headers'",  # the native reader
    "no destination in the logged fields",  # the logformat-driven reader
}


def _scan(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    """Run ``egressmap scan ... --json`` in-process; return the parsed JSON (exit code must be 0)."""
    capsys.readouterr()
    code = main(["scan", *args, "--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    result: dict[str, Any] = json.loads(out)
    return result


def _by_destination(result: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    rows: list[dict[str, Any]] = result["destinations"]
    table = {(row["host"], row["port"]): row for row in rows}
    assert len(table) == len(rows), "a (host, port) appears twice in the scan"
    return table


def _check_destinations(lab: SquidLab, result: dict[str, Any], only_method: str | None = None) -> None:
    """Exactly the destinations sent, each with the count sent and the denied ones marked."""
    expected = {k: v for k, v in lab.expected.items() if only_method is None or v.method == only_method}
    found = _by_destination(result)
    assert set(found) == set(expected)
    for key, want in expected.items():
        row = found[key]
        assert (row["count"], row["denied"]) == (want.count, want.denied), key
        assert row["tier"] == "observed", key
        assert row["clients"] == ["127.0.0.1"], key
        if want.status == 200:
            assert row["failed"] == 0, key
        if want.status >= 500:
            assert row["failed"] == want.count, key
    assert SECRET not in json.dumps(result), "a query-string value leaked into the scan output"
    assert "docs.egressmap.test" not in json.dumps(result["destinations"]), "a Referer became a destination"


def _problems(result: dict[str, Any]) -> list[dict[str, Any]]:
    assert len(result["inputs"]) == 1
    problems: list[dict[str, Any]] = result["inputs"][0]["problems"]
    return problems


def _check_problems(lab: SquidLab, result: dict[str, Any], fmt: str, path: Path) -> None:
    """Only the readiness probe's line is skipped, as 'dropped'; nothing is malformed."""
    problems = _problems(result)
    malformed = [p for p in problems if p["kind"] != "dropped"]
    assert malformed == []
    _check_probe_dropped(lab, problems)


def _check_probe_dropped(lab: SquidLab, problems: list[dict[str, Any]]) -> None:
    assert [(p["kind"], p["count"], p["lines"]) for p in problems] == [("dropped", lab.probes, [1])]
    assert problems[0]["reason"] in PROBE_REASONS


@pytest.mark.parametrize("name", BUILTIN_LOGS)
def test_builtin_format_is_detected_without_flags(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Native, common and combined logs are recognised with no flag and give exactly what was sent."""
    path = squid_lab.log(name)
    result = _scan(capsys, str(path))
    assert result["inputs"][0]["format"] == LOGS[name][1]
    assert result["inputs"][0]["error"] is None
    _check_destinations(squid_lab, result)


@pytest.mark.parametrize("name", [*BUILTIN_LOGS, *CUSTOM_LOGS])
def test_every_format_via_squid_conf(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """With --squid-conf each of the five logs is read in its access_log format and gives what was sent."""
    path = squid_lab.log(name)
    result = _scan(capsys, str(path), "--squid-conf", str(squid_lab.conf))
    assert result["inputs"][0]["format"] == LOGS[name][1]
    _check_destinations(squid_lab, result)


@pytest.mark.parametrize(
    ("name", "spec", "extra"),
    [
        ("minimal.log", MINIMAL, ()),
        ("detailed.log", DETAILED, ()),
        ("detailed.log", DETAILED, ("--format", "squid-custom")),
    ],
)
def test_custom_format_via_squid_logformat(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], name: str, spec: str, extra: tuple[str, ...]
) -> None:
    """A custom log read with --squid-logformat (the format string itself) gives what was sent."""
    result = _scan(capsys, str(squid_lab.log(name)), "--squid-logformat", spec, *extra)
    assert result["inputs"][0]["format"] == "squid-custom:custom"
    _check_destinations(squid_lab, result)
    _check_probe_dropped(squid_lab, _problems(result))


@pytest.mark.parametrize("name", [*BUILTIN_LOGS, *CUSTOM_LOGS])
def test_no_line_is_malformed(squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """Every line Squid wrote is used, or dropped for naming no destination (the probe); none is malformed."""
    path = squid_lab.log(name)
    assert PROBE_LINE in squid_lab.log("native.log").read_text(encoding="utf-8").splitlines()[0]
    result = _scan(capsys, str(path), "--squid-conf", str(squid_lab.conf))
    _check_problems(squid_lab, result, LOGS[name][1], path)


def test_scan_all_logs_at_once(squid_lab: SquidLab, capsys: pytest.CaptureFixture[str]) -> None:
    """Scanning the five logs together counts every request five times, once per log."""
    paths = [str(squid_lab.log(name)) for name in LOGS]
    result = _scan(capsys, *paths, "--squid-conf", str(squid_lab.conf))
    assert [i["format"] for i in result["inputs"]] == [fmt for _, fmt in LOGS.values()]
    found = _by_destination(result)
    assert set(found) == set(squid_lab.expected)
    for key, want in squid_lab.expected.items():
        assert (found[key]["count"], found[key]["denied"]) == (5 * want.count, 5 * want.denied), key


@pytest.mark.parametrize(("name", "conf"), [("native.log", False), ("detailed.log", True)])
def test_gzipped_log(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, conf: bool
) -> None:
    """A gzipped copy of a log (found in squid.conf by its name without .gz) gives what was sent."""
    packed = tmp_path / f"{name}.gz"
    with squid_lab.log(name).open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    result = _scan(capsys, str(packed), *(("--squid-conf", str(squid_lab.conf)) if conf else ()))
    assert result["inputs"][0]["format"] == LOGS[name][1]
    assert result["inputs"][0]["input"] == str(packed)
    _check_destinations(squid_lab, result)


def test_acl_filtered_access_log(squid_lab: SquidLab, capsys: pytest.CaptureFixture[str]) -> None:
    """A log restricted to CONNECT by an ACL holds only the tunnels, read in its logformat."""
    lines = squid_lab.log(TUNNELS_LOG).read_text(encoding="utf-8").splitlines()
    assert lines and all(" CONNECT " in line for line in lines), lines  # Squid applied the ACL
    result = _scan(capsys, str(squid_lab.log(TUNNELS_LOG)), "--squid-conf", str(squid_lab.conf))
    assert result["inputs"][0]["format"] == "squid-custom:minimal"
    _check_destinations(squid_lab, result, only_method="CONNECT")
    assert _problems(result) == []


def test_squid_conf_names_the_format_of_an_acl_filtered_log(squid_lab: SquidLab) -> None:
    """read_squid_conf maps 'access_log stdio:FILE logformat=minimal CONNECT' to minimal, not to the ACL."""
    formats, logs = read_squid_conf(str(squid_lab.conf))
    assert formats == {
        "minimal": MINIMAL,
        "detailed": DETAILED,
        "reordered": REORDERED,
        "unquoted_ua": UNQUOTED_UA,
    }
    assert {name: logs[name] for name in LOGS} == {
        "native.log": "squid",
        "common.log": "common",
        "combined.log": "combined",
        "minimal.log": "minimal",
        "detailed.log": "detailed",
    }
    assert logs[TUNNELS_LOG] == "minimal"
    assert {name: logs[name] for name in UNNAMED_LOGS} == UNNAMED_LOGS


def test_build_list_from_real_log(squid_lab: SquidLab, capsys: pytest.CaptureFixture[str]) -> None:
    """``build --to list --scope all`` lists every destination sent as host:port under its port's heading."""
    capsys.readouterr()
    code = main(
        [
            "build",
            str(squid_lab.log("minimal.log")),
            "--squid-conf",
            str(squid_lab.conf),
            "--to",
            "list",
            "--scope",
            "all",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    sections: dict[str, set[str]] = {}
    heading = ""
    for line in out.splitlines():
        if line.startswith("# "):
            heading = line
            sections[heading] = set()
        elif line.strip():
            assert heading, f"entry before any heading: {line!r}"
            sections[heading].add(line)
    want: dict[str, set[str]] = {}
    for host, port in squid_lab.expected:
        title = {80: "# HTTP Destinations", 443: "# HTTPS Destinations"}.get(port, "# Other Destinations")
        want.setdefault(title, set()).add(f"{host}:{port}")
    assert sections == want
    assert list(sections) == [
        t for t in ("# HTTP Destinations", "# HTTPS Destinations", "# Other Destinations") if t in want
    ]


def _outcomes(result: dict[str, Any]) -> dict[tuple[str, int], tuple[int, int, int]]:
    return {key: (row["count"], row["denied"], row["failed"]) for key, row in _by_destination(result).items()}


@pytest.mark.parametrize("name", ["minimal.log", "detailed.log", "reordered.log"])
def test_layout_nobody_named_is_inferred(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """A log in a logformat egressmap is not told about gives what the native log of the same traffic gives."""
    native = _scan(capsys, str(squid_lab.log("native.log")))
    result = _scan(capsys, str(squid_lab.log(name)))
    fmt = result["inputs"][0]["format"]
    assert fmt.startswith("squid-auto (inferred layout: "), fmt
    _check_destinations(squid_lab, result)
    assert _outcomes(result) == _outcomes(native)
    _check_probe_dropped(squid_lab, _problems(result))


def test_inferred_layouts_are_the_configured_ones(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str]
) -> None:
    """The layout inferred for each custom log is the logformat squid.conf gave it (the Referer is quoted)."""
    formats, _ = read_squid_conf(str(squid_lab.conf))
    for name, logformat in {**{"minimal.log": "minimal", "detailed.log": "detailed"}, **UNNAMED_LOGS}.items():
        if name == "unquoted-ua.log":
            continue
        result = _scan(capsys, str(squid_lab.log(name)))
        assert result["inputs"][0]["format"] == f"squid-auto (inferred layout: {formats[logformat]})"
    reordered = squid_lab.log("reordered.log").read_text(encoding="utf-8")
    assert f'"{REFERER}"' in reordered  # Squid logged the Referer: a URL that must not become a destination


def test_layout_that_cannot_be_inferred_is_said_and_partial(
    squid_lab: SquidLab, capsys: pytest.CaptureFixture[str]
) -> None:
    """A raw, unquoted User-Agent moves the fields: exit 3, the flags named on stderr; --squid-conf reads it."""
    path = str(squid_lab.log("unquoted-ua.log"))
    assert "(integration; squid) TCP_MISS/200" in Path(path).read_text(encoding="utf-8")  # spaces, raw
    capsys.readouterr()
    code = main(["scan", path, "--json"])
    captured = capsys.readouterr()
    assert code == 3
    assert "looks like a Squid access log" in captured.err and "could not be inferred" in captured.err
    assert "--squid-logformat" in captured.err and "--squid-conf" in captured.err
    result = json.loads(captured.out)
    assert result["destinations"] == []
    assert result["inputs"][0]["error"] is not None
    _check_destinations(squid_lab, _scan(capsys, path, "--squid-conf", str(squid_lab.conf)))
