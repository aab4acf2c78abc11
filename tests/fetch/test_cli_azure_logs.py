"""egressmap fetch azure-logs end to end: the real SDK and credential chain against the loopback stand-in.

Each table is fetched and read back by ``scan`` with the format detected; partial results, sign-in failures,
an unknown workspace and a missing ``[azure]`` extra are one clear line each.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from egressmap.cli import main

from .azure_rows import ROWS
from .azure_standin import WORKSPACE, StandIn

DAY = ("--since", "2026-11-20T00:00:00Z", "--until", "2026-11-21T00:00:00Z")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def fetch_args(standin: StandIn, table: str, out: Path, *more: str) -> list[str]:
    """The fetch command line for one table of the stand-in's workspace over 2026-11-20."""
    return ["fetch", "azure-logs", WORKSPACE, "--table", table, *DAY, "--endpoint", standin.url, "-o", str(out),
            *more]  # fmt: skip


EXPECTED = {
    "AZFWApplicationRule": {
        ("files.pythonhosted.org", 443, "allowed", "10.20.1.7", "application rule: Allow, hpc-policy / rcg-egress"),
        ("deb.debian.org", 80, "denied", "10.20.1.8", "application rule: Deny, Default Action"),
    },
    "AZFWNetworkRule": {
        ("52.239.184.180", 443, "denied", "10.20.1.9", "unattributed IP"),
        ("40.119.6.228", 123, "allowed", "10.20.1.9", "network rule: Allow, hpc-policy / rcg-egress / ntp / time"),
    },
    "AZFWDnsQuery": {
        ("login.microsoftonline.com", 443, "unknown", "10.20.1.7", "DNS A IN query through the Azure Firewall DNS"),
        ("nosuch.example.org", 443, "failed", "10.20.1.9", "NXDOMAIN"),
    },
    "AzureDiagnostics": {
        ("management.azure.com", 443, "allowed", "10.1.0.5", "application rule: Allow, arm / arm"),
        ("13.78.143.217", 2323, "denied", "10.1.0.7", "network rule: Deny"),
        ("acct.blob.core.windows.net", 443, "unknown", "10.1.0.4", "DNS A IN query"),
    },
}  # fmt: skip


def _outcome(destination: dict[str, object]) -> str:
    for word in ("denied", "failed", "allowed"):
        if destination[word]:
            return word
    return "unknown"


@pytest.mark.parametrize("table", sorted(EXPECTED))
def test_each_table_fetched_and_read_back_by_scan(
    azure: StandIn, table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rows of every table become the right observations (host, port, outcome, client, rule) through scan."""
    azure.tables = {table: ROWS[table]}
    out = tmp_path / f"{table}.jsonl"
    code, _, err = run(capsys, *fetch_args(azure, table, out))
    assert code == 0, err
    assert f"{len(ROWS[table])} rows from {table} in 4 queries" in err
    code, stdout, err = run(capsys, "scan", str(out), "--json")
    assert code == 0, err
    report = json.loads(stdout)
    (source,) = report["inputs"]
    assert (source["format"], source["observations"], source["problems"]) == (
        "azure-firewall",
        len(ROWS[table]),
        [],
    )
    found = {d["host"]: d for d in report["destinations"]}
    for host, port, outcome, client, reason in EXPECTED[table]:
        got = found.pop(host)
        assert (got["port"], _outcome(got), got["clients"]) == (port, outcome, [client])
        assert any(reason in r for r in got["reasons"]), got["reasons"]
    assert found == {}


def test_partial_result_warns_and_exits_3(
    azure: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A partial answer the splitting cannot cure: its rows are written, each range named, exit 3 (incomplete)."""
    azure.tables = {"AZFWDnsQuery": ROWS["AZFWDnsQuery"]}
    azure.broken = {"AZFWDnsQuery"}
    out = tmp_path / "dns.jsonl"
    code, _, err = run(capsys, *fetch_args(azure, "AZFWDnsQuery", out, "--chunk", "12h"))
    assert code == 3
    warnings = [line for line in err.splitlines() if "warning: partial result" in line]
    assert warnings == [
        "egressmap: warning: partial result for 2026-11-20T00:00:00.000Z to 2026-11-20T12:00:00.000Z: "
        "PartialError: Some of the data could not be read: a storage partition did not answer (1 rows kept)",
        "egressmap: warning: partial result for 2026-11-20T12:00:00.000Z to 2026-11-21T00:00:00.000Z: "
        "PartialError: Some of the data could not be read: a storage partition did not answer (1 rows kept)",
    ]
    assert f"2 time ranges came back partial: {out} is incomplete" in err
    assert len(out.read_text().splitlines()) == 2


def test_no_credentials_is_one_line(
    no_azure: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The whole chain finds nothing (no environment, IMDS says no identity, no az): exit 1, one line."""
    no_azure.tables = {"AZFWDnsQuery": ROWS["AZFWDnsQuery"]}
    code, _, err = run(capsys, *fetch_args(no_azure, "AZFWDnsQuery", tmp_path / "x"))
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("egressmap: error: no Azure credentials found (tried EnvironmentCredential")
    assert "run 'az login'" in err and no_azure.queries == []


def test_rejected_secret_is_one_line(
    azure: StandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong client secret: the token endpoint's AADSTS error in one line, exit 1."""
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "wrong")
    code, _, err = run(capsys, *fetch_args(azure, "AZFWDnsQuery", tmp_path / "x"))
    assert code == 1 and err.count("\n") == 1, err
    assert "Azure rejected the credentials (AADSTS7000215: Invalid client secret provided)" in err


def test_unknown_workspace_is_one_line(
    azure: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A workspace the service does not know (404): exit 1, one line saying to give the workspace ID."""
    argv = fetch_args(azure, "AZFWDnsQuery", tmp_path / "x")
    argv[2] = "my-workspace-name"
    code, _, err = run(capsys, *argv)
    assert code == 1 and err.count("\n") == 1, err
    assert "no Log Analytics workspace 'my-workspace-name'" in err and "PathNotFoundError" in err


def test_missing_table_is_one_line(
    azure: StandIn, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A table the workspace does not have (the firewall logs in another mode): the service's reason, exit 1."""
    code, _, err = run(capsys, *fetch_args(azure, "AZFWNetworkRule", tmp_path / "x"))
    assert code == 1 and err.count("\n") == 1, err
    assert "Log Analytics refused the query (400)" in err


def test_without_the_extra_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """azure-monitor-query or azure-identity missing: exit 1, one line naming pip install 'egressmap[azure]'."""
    monkeypatch.setitem(sys.modules, "azure.monitor.query", None)
    code, _, err = run(
        capsys, "fetch", "azure-logs", WORKSPACE, "--table", "AZFWDnsQuery", "-o", str(tmp_path / "x")
    )
    assert code == 1 and err.count("\n") == 1, err
    assert "pip install 'egressmap[azure]'" in err
    assert not (tmp_path / "x").exists()


def test_bad_chunk_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--chunk must be a duration of a minute or more."""
    code, _, err = run(capsys, "fetch", "azure-logs", WORKSPACE, "--table", "AZFWDnsQuery", "--chunk", "10s",
                       "-o", str(tmp_path / "x"))  # fmt: skip
    assert code == 1 and "--chunk '10s'" in err


def test_azure_sdk_imported_only_by_fetch() -> None:
    """Loading the CLI does not import the Azure SDK: it is the [azure] extra."""
    code = "import sys, egressmap.cli; egressmap.cli.parser(); print(any(m.startswith('azure') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
