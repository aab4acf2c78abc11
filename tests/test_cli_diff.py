"""``egressmap diff``: policy against policy, against Squid and Resolver logs, exit codes, formats, bad input."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from egressmap.cli import main
from egressmap.model import Policy
from egressmap.policy_file import dump_json, dump_yaml, policy_to_dict
from tests.sources.test_route53_resolver import record
from tests.test_drift import EC2, approved, entry

SQUID = """\
1796463301.227    120 10.40.7.19 TCP_TUNNEL/200 6128 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -
1796463302.004     88 10.40.7.19 TCP_TUNNEL/200 4410 CONNECT pypi.org:8443 - HIER_DIRECT/151.101.0.223 -
1796463302.880     95 10.40.7.21 TCP_TUNNEL/200 9120 CONNECT github.com:443 - HIER_DIRECT/140.82.112.3 -
1796463303.120     61 10.40.7.21 TCP_TUNNEL/200 2210 CONNECT objects.githubusercontent.com:443 - HIER_DIRECT/185.199.108.133 -
1796463304.551     70 10.40.7.21 TCP_TUNNEL/200 3100 CONNECT conda.anaconda.org:443 - HIER_DIRECT/104.19.144.37 -
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def write_policy(path: Path, policy: Policy) -> str:
    """Write a policy file (JSON for a .json name, else YAML); its path."""
    path.write_text(dump_json(policy_to_dict(policy)) if path.suffix == ".json" else dump_yaml(policy))
    return str(path)


@pytest.fixture
def old(tmp_path: Path) -> str:
    """The approved policy file."""
    return write_policy(tmp_path / "approved-policy.yaml", approved())


@pytest.fixture
def resolver(tmp_path: Path) -> str:
    """A week of Resolver query logs: PyPI, EC2 in a policy region, a cluster bucket, npm, a search-domain miss."""
    lines = [
        record("pypi.org."),
        record("files.pythonhosted.org."),
        record("github.com."),
        record("raw.githubusercontent.com."),
        record("ec2.us-west-2.amazonaws.com."),
        record("pcluster-artifacts-0a1b2c.s3.us-east-1.amazonaws.com."),
        record("registry.npmjs.org."),
        record("pypi.org.ec2.internal.", rcode="NXDOMAIN", answers=[]),
    ]
    path = tmp_path / "resolver.log"
    path.write_text("".join(f"{line}\n" for line in lines))
    return str(path)


def test_policy_against_policy_in_a_table(
    tmp_path: Path, old: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A YAML policy against a JSON one: one row per change, the summary first, exit 0 without --fail-on."""
    new = write_policy(
        tmp_path / "new.json", approved(entry("pypi.org", (443, 8443)), entry("conda.anaconda.org"))
    )
    code, out, err = run(capsys, "diff", old, new)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"egressmap diff: {old} -> {new} (policy)"
    assert lines[1] == "1 added, 0 removed, 1 widened, 0 narrowed, 0 tier, 0 scope; 0 covered"
    rows = {tuple(line.split()[:2]) for line in lines[4:]}
    assert rows == {("added", "conda.anaconda.org"), ("widened", "pypi.org")}
    assert "ports 443 -> 443,8443" in out


def test_resolver_log_against_the_approved_policy(
    old: str, resolver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Only npm is added; the bucket and EC2 us-west-2 are covered; the NXDOMAIN name is set aside; exit 1."""
    code, out, err = run(capsys, "diff", old, resolver, "--json", "--fail-on", "added")
    assert code == 1
    assert err.strip() == "egressmap: diff: --fail-on added: 1 difference(s) found"
    data = json.loads(out)
    assert data["new_kind"] == "evidence" and data["new"] == [resolver]
    changes = {(c["kind"], c["pattern"]): c for c in data["changes"]}
    assert set(changes) == {
        ("added", "registry.npmjs.org"),
        ("tier", EC2),
        ("covered", "*.s3.us-east-1.amazonaws.com"),
        ("covered", EC2),
    }
    added = changes[("added", "registry.npmjs.org")]
    assert added["sources"] == [f"{resolver}:7"] and added["note"] == "DNS only: no port seen, 443 assumed"
    assert data["set_aside"] == {"nxdomain_only": ["pypi.org.ec2.internal"]}


def test_squid_log_against_the_approved_policy(
    tmp_path: Path, old: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Squid access log: conda added, pypi.org widened to 8443, the GitHub content host covered."""
    log = tmp_path / "access.log"
    log.write_text(SQUID)
    code, out, err = run(capsys, "diff", old, str(log), "--to", "markdown")
    assert code == 0, err
    assert out.startswith(f"## egressmap diff: {old} -> {log} (evidence)\n")
    assert "| added | `conda.anaconda.org` | new exact entry, port(s) 443, internet, observed |" in out
    assert "| widened | `pypi.org` | ports 443 -> 443,8443 | pypi.org |" in out
    assert "| covered | `*.githubusercontent.com` |" in out
    assert (
        "| removed | `files.pythonhosted.org` | exact entry, port(s) 443 (not seen in the evidence) |" in out
    )


@pytest.mark.parametrize("fail_on", ["added", "changed", "any"])
def test_exit_codes_for_each_fail_on(
    tmp_path: Path, old: str, fail_on: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """1 when the kinds it counts are there, 0 when not; only-removed fails 'any' alone."""
    same = write_policy(tmp_path / "same.yaml", approved())
    changed = write_policy(
        tmp_path / "changed.yaml", approved(entry("conda.anaconda.org"), entry("github.com", (22, 443)))
    )
    fewer = write_policy(
        tmp_path / "fewer.yaml", Policy(entries=approved().entries[1:], regions=approved().regions)
    )
    assert run(capsys, "diff", old, same, "--fail-on", fail_on)[0] == 0
    assert run(capsys, "diff", old, changed, "--fail-on", fail_on)[0] == 1
    assert run(capsys, "diff", old, fewer, "--fail-on", fail_on)[0] == (1 if fail_on == "any" else 0)
    assert run(capsys, "diff", old, changed)[0] == 0


def test_fail_on_values_combine(tmp_path: Path, old: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--fail-on added --fail-on widened: a new port alone fails, and the message names both."""
    wider = write_policy(tmp_path / "wider.yaml", approved(entry("github.com", (22, 443))))
    assert run(capsys, "diff", old, wider, "--fail-on", "added")[0] == 0
    code, _, err = run(capsys, "diff", old, wider, "--fail-on", "added", "--fail-on", "widened")
    assert code == 1 and "--fail-on added,widened: 1 difference(s)" in err


def test_the_three_formats_and_an_output_file(
    tmp_path: Path, old: str, resolver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """table (default), markdown and JSON say the same; -o writes the file and nothing to stdout."""
    table = run(capsys, "diff", old, resolver)[1]
    markdown = run(capsys, "diff", old, resolver, "--to", "markdown")[1]
    as_json = run(capsys, "diff", old, resolver, "--to", "json")[1]
    assert as_json == run(capsys, "diff", old, resolver, "--json")[1]
    for text in (table, markdown):
        assert "registry.npmjs.org" in text and "pcluster-artifacts-0a1b2c.s3.us-east-1.amazonaws.com" in text
    assert json.loads(as_json)["counts"] == {
        "added": 1,
        "removed": 0,
        "widened": 0,
        "narrowed": 0,
        "tier": 1,
        "scope": 0,
        "covered": 2,
    }
    target = tmp_path / "drift.md"
    code, out, _ = run(capsys, "diff", old, resolver, "--to", "markdown", "-o", str(target))
    assert code == 0 and out == "" and target.read_text() == markdown


def test_no_differences_says_so(old: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The same file on both sides: the summary and 'no differences'."""
    code, out, _ = run(capsys, "diff", old, old, "--fail-on", "any")
    assert code == 0 and out.splitlines()[-1] == "no differences"


def test_new_from_stdin_as_policy_or_as_evidence(
    monkeypatch: pytest.MonkeyPatch, old: str, resolver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """'-' is peeked at: a policy on stdin is a policy, a log on stdin is evidence."""
    policy_text = dump_yaml(approved(entry("conda.anaconda.org")))
    for text, kind in ((policy_text, "policy"), (Path(resolver).read_text(), "evidence")):
        stream = io.BufferedReader(io.BytesIO(text.encode()))
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(stream))
        code, out, err = run(capsys, "diff", old, "-", "--json")
        assert code == 0, err
        assert json.loads(out)["new_kind"] == kind


def test_an_unreadable_input_beside_a_good_one_is_partial(
    tmp_path: Path, old: str, resolver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One log missing, one read: the diff is written, the missing one named, exit 3."""
    code, out, err = run(capsys, "diff", old, resolver, str(tmp_path / "missing.log"))
    assert code == 3 and "registry.npmjs.org" in out and "missing.log" in err


def _bad_inputs(tmp: Path, old: str, resolver: str) -> list[tuple[list[str], str]]:
    v2 = tmp / "v2.yaml"
    v2.write_text("schema: egressmap.policy/2\nentries: []\n")
    empty = tmp / "empty.log"
    empty.write_text("")
    binary = tmp / "capture.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    return [
        ([str(tmp / "nope.yaml"), resolver], "nope.yaml: cannot read policy"),
        ([resolver, old], "resolver.log: not an egressmap policy (OLD must declare"),
        ([str(v2), resolver], "policy schema 'egressmap.policy/2' is not the one this egressmap reads"),
        ([old, str(v2)], "policy schema 'egressmap.policy/2' is not the one this egressmap reads"),
        ([old, str(tmp / "missing.log")], "no input could be read"),
        ([old, str(binary)], "no input could be read"),
        ([old, str(empty)], "no evidence found in"),
        (["-", "-"], "OLD and NEW cannot both be read from stdin"),
        ([old, old, "--format", "squid"], "--format read evidence, but NEW"),
        ([old, old, resolver], "is a policy file: give it as the only NEW"),
    ]


def test_bad_inputs_are_one_line_and_exit_1(
    tmp_path: Path, old: str, resolver: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Unreadable or foreign policies, no evidence, contradictory inputs: one clear line, exit 1, no traceback."""
    for argv, message in _bad_inputs(tmp_path, old, resolver):
        code, out, err = run(capsys, "diff", "-q", *argv)
        assert code == 1, argv
        assert out == ""
        lines = err.strip().splitlines()
        assert lines[-1].startswith("egressmap: error: ") and message in lines[-1], (argv, err)
        assert "Traceback" not in err


def test_a_typo_in_fail_on_is_a_usage_error(old: str, capsys: pytest.CaptureFixture[str]) -> None:
    """--fail-on addded: argparse names the choices, exit 2."""
    with pytest.raises(SystemExit) as exc:
        main(["diff", old, old, "--fail-on", "addded"])
    assert exc.value.code == 2
    assert "invalid choice: 'addded'" in capsys.readouterr().err


def test_help_lists_the_command_and_its_flags(capsys: pytest.CaptureFixture[str]) -> None:
    """egressmap diff --help names OLD, the outputs and --fail-on's kinds."""
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    out = capsys.readouterr().out
    assert "OLD" in out and "--fail-on" in out and "--to" in out and "widened, narrowed, tier" in out
