from __future__ import annotations

import gzip
import ipaddress
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from egressmap import __version__
from egressmap.cli import main
from egressmap.exporters import EXPORTERS
from egressmap.hostnames import drop_reason, normalize_host
from egressmap.sources import squid_count

EXAMPLE = Path(__file__).parents[1] / "examples" / "imagebuilder.log"
NATIVE_OK = (
    "1732186800.123     10 10.0.0.5 TCP_TUNNEL/200 5000 CONNECT pypi.org:443 - HIER_DIRECT/1.1.1.1 -\n"
)
NATIVE_DENIED = (
    "1732186801.000      0 10.0.0.6 TCP_DENIED/403 3900 CONNECT blocked.example.net:443 - HIER_NONE/- -\n"
)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_readme_main_command_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    """The README's first command prints a sectioned host:port list of internet destinations."""
    code, out, _ = run(capsys, "build", str(EXAMPLE), "--to", "list")
    assert code == 0
    assert out.splitlines() == [
        "# HTTP Destinations",
        "security.ubuntu.com:80",
        "us-east-1.ec2.archive.ubuntu.com:80",
        "# HTTPS Destinations",
        "api.snapcraft.io:443",
        "files.pythonhosted.org:443",
        "github.com:443",
        "pypi.org:443",
        "us.download.nvidia.com:443",
    ]


def test_build_is_byte_identical(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Same input, same flags: the same bytes, for YAML and every export."""
    for extra in ([], ["--to", "json"], ["--to", "markdown"], ["--fold-regions", "--to", "csv"]):
        first = run(capsys, "build", str(EXAMPLE), *extra)[1]
        second = run(capsys, "build", str(EXAMPLE), *extra)[1]
        assert first == second and first


def test_policy_round_trip_through_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A written policy exports to the same text as build --to, for every format."""
    policy = tmp_path / "policy.yaml"
    assert run(capsys, "build", str(EXAMPLE), "-o", str(policy))[0] == 0
    assert policy.read_text().startswith("schema: egressmap.policy/1\n")
    for name in sorted(EXPORTERS):
        direct = run(capsys, "build", str(EXAMPLE), "--to", name)[1]
        code, exported, _ = run(capsys, "export", str(policy), "--to", name)
        assert code == 0 and exported == direct, name


@pytest.mark.parametrize("name", sorted(EXPORTERS))
def test_every_exporter_renders_empty_policy(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An input with no destinations still exports cleanly."""
    empty = tmp_path / "empty.log"
    empty.write_text("nothing to see here\n")
    code, out, _ = run(capsys, "build", str(empty), "--to", name)
    assert code == 0
    if name == "json":
        assert json.loads(out)["entries"] == []


def test_scope_filters(capsys: pytest.CaptureFixture[str]) -> None:
    """--scope cloud keeps only cloud endpoints; all keeps both."""
    cloud = json.loads(run(capsys, "build", str(EXAMPLE), "--to", "json", "--scope", "cloud")[1])["entries"]
    assert cloud and {e["scope"] for e in cloud} == {"cloud"}
    every = json.loads(run(capsys, "build", str(EXAMPLE), "--to", "json")[1])["entries"]
    assert {e["scope"] for e in every} == {"cloud", "internet"}
    assert "documentation" in {e["tier"] for e in every}


def test_fold_and_region_expansion(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Region folding makes templates; --region expands them in the list."""
    log = tmp_path / "a.log"
    log.write_text(
        NATIVE_OK.replace("pypi.org", "cloudformation.us-east-1.amazonaws.com")
        + NATIVE_OK.replace("pypi.org", "cloudformation.eu-west-1.amazonaws.com")
    )
    entries = json.loads(run(capsys, "build", str(log), "--fold-regions", "--to", "json")[1])["entries"]
    assert [(e["pattern"], e["hosts"], e["region"]) for e in entries] == [
        (
            "cloudformation.{region}.amazonaws.com",
            ["cloudformation.eu-west-1.amazonaws.com", "cloudformation.us-east-1.amazonaws.com"],
            None,
        )
    ]
    out = run(
        capsys,
        "build",
        str(log),
        "--fold-regions",
        "--to",
        "list",
        "--scope",
        "cloud",
        "--region",
        "ap-south-1",
    )[1]
    assert out.splitlines()[1:] == [
        "cloudformation.ap-south-1.amazonaws.com:443",
        "cloudformation.eu-west-1.amazonaws.com:443",
        "cloudformation.us-east-1.amazonaws.com:443",
    ]
    code, _, err = run(capsys, "build", str(log), "--to", "list", "--region", "mars-north-1")
    assert code == 1 and "mars-north-1" in err


def test_wildcards_refused_over_public_suffix_and_flagged_over_shared(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """*.com is refused; *.cloudfront.net is allowed but broad with a warning."""
    log = tmp_path / "a.log"
    log.write_text(NATIVE_OK.replace("pypi.org", "d1uj6qtbmh3dt5.cloudfront.net"))
    code, _, err = run(capsys, "build", str(log), "--wildcard", "com")
    assert code == 1 and "public suffix" in err
    code, _, err = run(capsys, "build", str(log), "--wildcard", "co.uk")
    assert code == 1 and "public suffix" in err
    entries = json.loads(run(capsys, "build", str(log), "--wildcard", "cloudfront.net", "--to", "json")[1])[
        "entries"
    ]
    (entry,) = entries
    assert (entry["pattern"], entry["match"], entry["broad"]) == ("*.cloudfront.net", "subdomains", True)
    assert entry["warnings"] and "shared hosting" in entry["warnings"][0]


def test_label_wildcard_takes_only_names_one_label_below(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--wildcard-label merges a.x.com and b.x.com into a one-label entry; x.com and c.d.x.com stay exact."""
    log = tmp_path / "hosts.txt"
    log.write_text("a.mirror.example.org\nb.mirror.example.org\nmirror.example.org\nc.d.mirror.example.org\n")
    out = run(capsys, "build", str(log), "--wildcard-label", "mirror.example.org", "--to", "json")[1]
    entries = {e["pattern"]: e for e in json.loads(out)["entries"]}
    assert set(entries) == {"*.mirror.example.org", "mirror.example.org", "c.d.mirror.example.org"}
    star = entries["*.mirror.example.org"]
    assert (star["match"], star["hosts"]) == ("one-label", ["a.mirror.example.org", "b.mirror.example.org"])
    code, _, err = run(capsys, "build", str(log), "--wildcard-label", "org")
    assert code == 1 and "--wildcard-label 'org'" in err and "public suffix" in err


def test_bad_inputs_get_one_clear_message_and_good_lines_are_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Binary, truncated gzip, a 1 MB line, invalid UTF-8 and hostile hosts: messages, no traceback."""
    binary = tmp_path / "core.bin"
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 64)
    body = (NATIVE_OK * 3000).encode()
    packed = gzip.compress(body)
    truncated = tmp_path / "cut.log.gz"
    truncated.write_bytes(packed[: len(packed) * 2 // 3])
    mixed = tmp_path / "mixed.log"
    mixed.write_bytes(
        NATIVE_OK.encode()
        + b"x" * 1_000_000
        + b"\n"
        + NATIVE_DENIED.encode()
        + b"1732186802.000 1 10.0.0.7 TCP_TUNNEL/200 1 CONNECT caf\xe9.example:443 - HIER_DIRECT/- -\n"
        + b'1732186803.000 1 10.0.0.7 TCP_TUNNEL/200 1 CONNECT evil.com";pass:443 - HIER_DIRECT/- -\n'
        + b"1732186803.000 1 10.0.0.7 TCP_TUNNEL/200 1 CONNECT a.com%0ahttp_access:443 - x -\n"
    )
    code, out, err = run(capsys, "scan", str(binary), str(truncated), str(mixed), "--json")
    assert code == 3  # one input unreadable, the rest used
    rows = {(d["host"], d["port"]): d for d in json.loads(out)["destinations"]}
    assert set(rows) == {("pypi.org", 443), ("blocked.example.net", 443)}
    assert rows[("blocked.example.net", 443)]["denied"] == 1
    assert "binary" in err and "truncated" in err and "line longer than" in err
    assert "invalid UTF-8" in err and "line 5" in err and "line 6" in err
    destinations = json.dumps(json.loads(out)["destinations"])
    assert "pass" not in destinations and "http_access" not in destinations
    code, _, err = run(capsys, "scan", str(mixed), "--strict")
    assert code == 1 and "--strict" in err


def test_wrong_format_is_reported_per_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Forcing the squid format on a text log reports its lines as bad instead of failing."""
    code, out, err = run(capsys, "scan", str(EXAMPLE), "--format", "squid")
    assert code == 0 and "bad lines" in err and "not a native squid log line" in err


def test_missing_input_and_unreadable_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No readable input is exit 1; a broken policy names the entry."""
    code, _, err = run(capsys, "scan", str(tmp_path / "nope.log"))
    assert code == 1 and "nope.log" in err
    bad = tmp_path / "p.yaml"
    bad.write_text("schema: egressmap.policy/1\nentries:\n- pattern: 'a.com\"; drop'\n  ports: [443]\n")
    code, _, err = run(capsys, "export", str(bad), "--to", "list")
    assert code == 1 and "entry 1" in err
    bad.write_text("{not yaml: [")
    code, _, err = run(capsys, "export", str(bad), "--to", "list")
    assert code == 1 and "not valid YAML" in err
    with pytest.raises(SystemExit) as usage:
        main(["export", str(bad), "--to", "nonsense"])
    assert usage.value.code == 2


def test_stdin_and_plain_scan_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'-' reads stdin; piped scan output is a plain table."""
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO((NATIVE_OK + NATIVE_DENIED).encode())))
    code, out, _ = run(capsys, "scan", "-")
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["HOST", "PORT", "TIER"]
    assert any(
        line.split()[:2] == ["blocked.example.net", "443"] and line.split()[-2] == "1" for line in lines
    )


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(host=st.text(min_size=1, max_size=60))
def test_hostile_hosts_never_reach_any_export(
    host: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Whatever string sits in the host position, every export contains only validated names."""
    log = tmp_path / "h.log"
    log.write_text(
        f"Get:1 https://{host}/x.tar.gz\n" + NATIVE_OK.replace("pypi.org", host.replace("\n", " ")),
        encoding="utf-8",
        errors="surrogateescape",
    )
    code, out, _ = run(capsys, "build", str(log), "--to", "json", "--include-documentation")
    assert code == 0
    for entry in json.loads(out)["entries"]:
        for name in (entry["pattern"], *entry["hosts"]):
            assert normalize_host(name) == name and drop_reason(name) is None
    code, out, _ = run(capsys, "build", str(log), "--to", "list", "--include-documentation")
    for line in out.splitlines():
        v6 = re.fullmatch(r"\[([0-9a-f:.]+)\]:\d+", line)  # an IPv6 literal, bracketed before its port
        if v6:
            assert str(ipaddress.IPv6Address(v6[1])) == v6[1], line
            continue
        assert line.startswith("# ") or re.fullmatch(r"[a-z0-9.:-]+:\d+", line), line
    for name in ("csv", "markdown"):
        code, out, _ = run(capsys, "build", str(log), "--to", name, "--include-documentation")
        assert code == 0 and "\x00" not in out and len(out.splitlines()) <= 4


def test_phase_choices_match_the_catalog() -> None:
    from egressmap.catalog import PHASES
    from egressmap.cli import PHASES as CLI_PHASES

    assert CLI_PHASES == PHASES


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "broken-unknown-key.yaml",
            "broken-unknown-key.yaml:8: unknown key 'Proxxy' under HeadNode.Networking",
        ),
        ("broken-v2.ini", "broken-v2.ini:6: unknown key 'proxy_sever'"),
        ("broken-syntax.yaml", "broken-syntax.yaml:5: not valid YAML"),
    ],
)
def test_plan_names_the_line_of_a_broken_config(
    capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    config = Path(__file__).parent / "data" / "configs" / name
    code, out, err = run(capsys, "plan", str(config))
    assert code == 1 and out == ""
    assert message in err


def test_catalog_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for argv, message in (
        (("catalog", "show", "nosuch"), "unknown stack 'nosuch'"),
        (("catalog", "show", "parallelcluster@9.1"), "covers parallelcluster 2.10.3 to 3.14.0"),
        (("catalog", "show", "parallelcluster", "--feature", "gpu"), "--feature gpu"),
        (("catalog", "diff", "parallelcluster@3.0.5", "cyclecloud@8"), "one stack"),
        (("build", "--os", "ubuntu2404", str(EXAMPLE)), "need --stack"),
    ):
        code, _, err = run(capsys, *argv)
        assert code == 1 and message in err, (argv, err)


def test_catalog_show_hides_feature_entries_until_asked(capsys: pytest.CaptureFixture[str]) -> None:
    _, base, _ = run(capsys, "catalog", "show", "parallelcluster@3.14.0", "--os", "ubuntu2404", "--json")
    _, dcv, _ = run(
        capsys,
        "catalog",
        "show",
        "parallelcluster@3.14.0",
        "--os",
        "ubuntu2404",
        "--feature",
        "ssm",
        "--json",
    )
    base_ids = {e["id"] for e in json.loads(base)["entries"]}
    dcv_ids = {e["id"] for e in json.loads(dcv)["entries"]}
    assert base_ids < dcv_ids
    added = [e for e in json.loads(dcv)["entries"] if e["id"] in dcv_ids - base_ids]
    assert all("ssm" in e["when"] for e in added)
    _, text, _ = run(capsys, "catalog", "show", "parallelcluster@3.14.0", "--os", "ubuntu2404")
    assert "more entries need features not asked for" in text


def test_build_with_a_stack_marks_predicted_and_observed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        "1732186800.123     10 10.0.0.5 TCP_TUNNEL/200 5000 CONNECT api.snapcraft.io:443 - HIER_DIRECT/1.1.1.1 -\n"
        "1732186800.500     10 10.0.0.5 TCP_TUNNEL/200 5000 CONNECT unexpected.example.org:443 - HIER_DIRECT/1.1.1.1 -\n"
    )
    config = Path(__file__).parent / "data" / "configs" / "seed000-ubuntu-cluster.yaml"
    code, out, _ = run(capsys, "build", str(log), str(config), "--to", "markdown", "-q")
    assert code == 0
    unpredicted = out.split("## Observed but not predicted")[1].split("##")[0]
    unseen = out.split("## Predicted but never observed")[1]
    assert "`unexpected.example.org`" in unpredicted and "snapcraft" not in unpredicted
    assert "`dashboard.snapcraft.io`" in unseen and "`api.snapcraft.io`" not in unseen
    code, out, _ = run(capsys, "build", str(log), str(config), "--to", "json", "-q")
    snap = next(e for e in json.loads(out)["entries"] if e["pattern"] == "api.snapcraft.io")
    assert snap["tier"] == "observed"
    assert any(r.startswith("observed:") for r in snap["reasons"])
    assert any(r.startswith("predicted:") for r in snap["reasons"])
    code, out, _ = run(capsys, "scan", str(log), str(config), "--json", "-q")
    data = json.loads(out)
    assert [r["host"] for r in data["observed_not_predicted"]] == ["unexpected.example.org"]
    assert [r["host"] for r in data["predicted_and_observed"]] == ["api.snapcraft.io"]
    assert "dashboard.snapcraft.io" in {u["pattern"] for u in data["predicted_not_observed"]}


def test_export_options_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A malformed or unknown --param, or a flavor the format lacks, is exit 1 with one message."""
    policy = tmp_path / "policy.yaml"
    assert run(capsys, "build", str(EXAMPLE), "-o", str(policy))[0] == 0
    code, out, err = run(capsys, "export", str(policy), "--to", "squid", "--param", "listen")
    assert (code, out) == (1, "") and "expected KEY=VALUE" in err
    code, out, err = run(capsys, "export", str(policy), "--to", "squid", "--param", "colour=blue")
    assert (code, out) == (1, "") and "unknown --param 'colour'" in err and "listen" in err
    code, out, err = run(capsys, "export", str(policy), "--to", "squid", "--flavor", "arm")
    assert (code, out) == (1, "") and "only one syntax" in err
    code, out, err = run(capsys, "export", str(policy), "--to", "squid", "--full", "--param", "listen=x")
    assert (code, out) == (1, "") and "listen" in err and "Traceback" not in err


def test_export_reports_rejected_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An entry whose match does not fit its pattern is left out of the export, reported on stderr, exit 3."""
    policy = tmp_path / "policy.yaml"
    assert run(capsys, "build", str(EXAMPLE), "-o", str(policy))[0] == 0
    text = policy.read_text()
    first = text.index("- pattern: ")
    bad = (
        text[:first]
        + "- pattern: '*.evil.example'\n  match: exact\n  hosts: [evil.example]\n  ports: [443]\n"
    )
    policy.write_text(bad + text[first:])
    code, out, err = run(capsys, "export", str(policy), "--to", "squid", "--scope", "all")
    assert (
        code == 3 and "evil.example" not in out
    )  # partial: issue 14 (was 0, a partial config passed silently)
    assert "rejected entry '*.evil.example'" in err and "1 name(s) rejected" in err


def test_proxy_refuses_to_be_an_open_proxy(capsys: pytest.CaptureFixture[str]) -> None:
    """Listening beyond loopback without --allow-client is an error with the next step."""
    code, _, err = run(capsys, "proxy", "--listen", "0.0.0.0:3128")
    assert code == 1 and "needs --allow-client CIDR" in err
    code, _, err = run(capsys, "proxy", "--listen", "proxy.example:3128")
    assert code == 1 and "--listen" in err


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--resolve", "pypi.org"], "--resolve 'pypi.org': expected HOST:ADDR or HOST:PORT:ADDR"),
        (["--proxy", "https://p:3128"], "only http:// proxies"),
        (["--protocol", "443=ftp"], "--protocol '443=ftp'"),
        (["--sample", "x=y.test"], "must start with '*.'"),
        (["--dns-server", "resolver.example"], "--dns-server 'resolver.example'"),
        (["--concurrency", "0"], "--concurrency must be at least 1"),
        (["--region", "mars-1"], "--region 'mars-1'"),
        (["--expect-blocked", "pypi.org"], "the input allows pypi.org:443"),
    ],
)
def test_verify_bad_flags_are_clear_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    """Every bad verify flag ends in one stderr line and exit 1, before anything is probed."""
    listing = tmp_path / "list.txt"
    listing.write_text("pypi.org\n")
    assert main(["verify", str(listing), "--no-canary", *flags]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("egressmap: error: ") and message in captured.err
    assert "Traceback" not in captured.err


def test_verify_missing_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A missing policy or list is named."""
    assert main(["verify", str(tmp_path / "nope.yaml")]) == 1
    assert "nope.yaml: cannot read" in capsys.readouterr().err


def test_verify_strict_fails_on_unprobed_entries(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A wildcard with no name to probe is skipped (exit 0), and fails the run under --strict."""
    listing = tmp_path / "list.txt"
    listing.write_text("*.locker.egressmap.test\n")
    assert main(["verify", str(listing), "--no-canary"]) == 0
    assert "SKIP" in capsys.readouterr().out
    assert main(["verify", str(listing), "--no-canary", "--strict"]) == 1


SQUID_DATA = Path(__file__).parent / "data" / "sources" / "squid"


@pytest.mark.parametrize("quiet", [False, True])
def test_squid_log_in_a_layout_that_cannot_be_inferred_is_partial(
    capsys: pytest.CaptureFixture[str], quiet: bool
) -> None:
    """A Squid-shaped log whose layout cannot be inferred: stderr names both flags, exit 3, even alone or -q."""
    ambiguous = str(SQUID_DATA / "ambiguous-raw-user-agent.log")
    for command in (["scan", ambiguous, "--json"], ["build", ambiguous, "--to", "list"]):
        code, out, err = run(capsys, *command, *(["-q"] if quiet else []))
        assert code == 3, err
        assert f"{ambiguous}: looks like a Squid access log" in err and "could not be inferred" in err
        assert "--squid-logformat" in err and "--squid-conf" in err
    code, out, err = run(capsys, "scan", ambiguous, str(SQUID_DATA / "seed001-minimal.log"), "--json")
    assert code == 3
    data = json.loads(out)
    assert [i["format"] for i in data["inputs"]] == [
        None,
        "squid-auto (inferred layout: %tl %>a %Ss/%03>Hs %rm %ru)",
    ]
    assert len(data["destinations"]) == 11
    code, _, err = run(
        capsys, "scan", ambiguous, "--squid-logformat", "%ts.%03tu %>a %'{User-Agent}>h %Ss/%03>Hs %rm %ru"
    )
    assert code == 0 and "could not be inferred" not in err


def test_scan_shows_each_input_format_and_proxy_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """scan's table and JSON give every input's detected format; a text input its proxy-record lines."""
    paste = str(SQUID_DATA / "bug-report-paste.txt")
    seed = str(SQUID_DATA / "seed001-minimal.log")
    code, out, err = run(capsys, "scan", paste, seed, "--json")
    assert code == 0
    inputs = {i["input"]: i for i in json.loads(out)["inputs"]}
    assert (inputs[paste]["format"], inputs[paste]["proxy_lines"]) == ("text", 2)
    assert inputs[seed]["format"] == "squid-auto (inferred layout: %tl %>a %Ss/%03>Hs %rm %ru)"
    assert inputs[seed]["proxy_lines"] == 0
    assert f"{paste}: 2 warnings (line 5, 6): looks like a Squid access-log record" in err
    assert "--squid-logformat" in err
    code, out, _ = run(capsys, "scan", paste, seed)
    rows = [line.split() for line in out.splitlines()]
    header = rows.index(["INPUT", "FORMAT", "LINES", "OBSERVATIONS", "PROXY-LINES"])
    assert rows[header + 1] == [paste, "text", "17", "3", "2"]
    assert rows[header + 2][:2] == [seed, "squid-auto"] and rows[header + 2][-3:] == ["14", "13", "-"]


def test_scan_on_a_terminal_lists_the_inputs_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rich table on a terminal is followed by the inputs' table with their detected formats."""
    import sys

    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    code, out, _ = run(capsys, "scan", str(SQUID_DATA / "reordered.log"))
    assert code == 0
    plain = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "1 input(s)" in plain and "squid-auto" in plain and "Proxy lines" in plain


def test_version_names_the_per_line_loop(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow install can be told at once: the C loop was not built."""
    for loop in ("C", "Python"):
        if loop == "Python":
            monkeypatch.setattr(squid_count, "_count", None)
        with pytest.raises(SystemExit) as exited:
            main(["--version"])
        assert exited.value.code == 0
        want = f"egressmap {__version__} (the native Squid log's per-line loop in {loop})"
        assert capsys.readouterr().out.strip() == want
