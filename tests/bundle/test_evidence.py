"""Download URLs from a policy's evidence lines and from a scan report; failures and doc links left out."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from egressmap.bundle.evidence import config_urls, from_policy, from_scan_report
from egressmap.bundle.manifest import BundleError
from egressmap.cli import main
from egressmap.policy_file import load_policy

LOG = (
    "+ wget https://download.example.org/pub/tool-1.2.tar.gz\n"
    "Downloading https://github.com/NVIDIA/enroot/releases/download/v3.4.1/enroot_3.4.1-1_amd64.deb\n"
    "see https://docs.example.org/guide/install.html for details\n"
    "Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease\n"
    "E: Failed to fetch https://dead.example.net/files/gone-1.0.rpm  404  Not Found\n"
)


def _policy(tmp_path: Path, name: str = "install.log", opener: object = open) -> Path:
    log = tmp_path / name
    with opener(log, "wt") as fh:  # type: ignore[operator]
        fh.write(LOG)
    out = tmp_path / "policy.yaml"
    assert main(["build", str(log), "-q", "-o", str(out)]) == 0
    return out


@pytest.mark.parametrize(("name", "opener"), [("install.log", open), ("install.log.gz", gzip.open)])
def test_policy_downloads_are_read_back_from_their_lines(tmp_path: Path, name: str, opener: object) -> None:
    """Two downloads; the doc link, the repository index and the failed one are not carried."""
    path = _policy(tmp_path, name, opener)
    found = from_policy(load_policy(str(path)), str(path))
    assert sorted(a.url for a in found.artefacts) == [
        "https://download.example.org/pub/tool-1.2.tar.gz",
        "https://github.com/NVIDIA/enroot/releases/download/v3.4.1/enroot_3.4.1-1_amd64.deb",
    ]
    assert [n for n in found.notes if "dead.example.net" in n] != []
    assert {s.entry for a in found.artefacts for s in a.serves} == {"download.example.org", "github.com"}


def test_include_failed_carries_the_failed_download(tmp_path: Path) -> None:
    """In an isolated network a failure may only mean the network blocked it."""
    path = _policy(tmp_path)
    found = from_policy(load_policy(str(path)), str(path), include_failed=True)
    assert "downloads/dead.example.net/files/gone-1.0.rpm" in {a.path for a in found.artefacts}


def test_evidence_that_is_gone_is_named(tmp_path: Path) -> None:
    """The log moved away: no URL, and a note naming it."""
    path = _policy(tmp_path)
    (tmp_path / "install.log").unlink()
    found = from_policy(load_policy(str(path)), str(path))
    assert found.artefacts == []
    assert any("cannot be read here" in n and "install.log" in n for n in found.notes)


def test_a_scan_report_gives_its_sample_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """scan --json keeps sample URLs: no re-reading needed."""
    log = tmp_path / "install.log"
    log.write_text(LOG)
    assert main(["scan", str(log), "--json", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    log.unlink()
    found = from_scan_report(data, "scan.json")
    assert len(found.artefacts) == 2


def test_a_damaged_scan_report_is_refused() -> None:
    """Rows must be scan rows."""
    with pytest.raises(BundleError, match="destination 1 is not a scan row"):
        from_scan_report({"destinations": ["x"]}, "scan.json")


def test_config_urls_keep_only_downloads() -> None:
    """A script URL is carried; a page is not."""
    found = config_urls([("https://e.com/on-node.sh", "c.yaml:9"), ("https://e.com/page", "c.yaml:10")])
    assert [(a.path, a.note) for a in found.artefacts] == [
        ("downloads/e.com/on-node.sh", "named by the config at c.yaml:9")
    ]
