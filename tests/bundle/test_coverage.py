"""plan --bundle and verify --bundle: what a fetched bundle carries counts as covered; the rest is listed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from egressmap.bundle.coverage import Carried, catalog_key, coverage, read_carried
from egressmap.bundle.manifest import (
    LOCK_NAME,
    MANIFEST_NAME,
    Artefact,
    Lock,
    LockedFile,
    Manifest,
    Serves,
    dump_lock,
    dump_manifest,
)
from egressmap.bundle.planning import plan_manifest
from egressmap.catalog.configs import load_config
from egressmap.catalog.planner import plan
from egressmap.cli import main

from .test_evidence import LOG

DATA = Path(__file__).parent.parent / "data"
CONFIG = str(DATA / "configs" / "seed002-isolated.yaml")


def _bundle(directory: Path, manifest: Manifest, fetched: set[str] | None = None) -> Path:
    """A bundle directory as fetch leaves it: the manifest, and a lock of the artefacts fetched."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / MANIFEST_NAME).write_text(dump_manifest(manifest))
    files = tuple(
        LockedFile(
            path=f"{a.path}/asset.tar.gz" if a.kind == "github-release" else a.path,
            url=a.url or "https://github.com/x",
            size=1,
            sha256="a" * 64,
            artefact=a.path,
        )
        for a in manifest.artefacts
        if fetched is None or a.path in fetched
    )
    (directory / LOCK_NAME).write_text(dump_lock(Lock(manifest_sha256="b" * 64, files=files)))
    return directory


def test_catalog_keys_come_from_prediction_reasons() -> None:
    """The last '(label catalog: id, ...)' of a reason; evidence reasons have none."""
    assert catalog_key(
        "predicted: a (b) (parallelcluster 3.14.0 catalog: cli-nvm, cli-install, documented)"
    ) == ("parallelcluster/cli-nvm")
    assert catalog_key("referenced: download verb 'wget' on the line") is None


def test_the_installer_bundle_covers_the_cli_install_hosts(tmp_path: Path) -> None:
    """PyPI, Node.js and nvm hosts are carried; AWS APIs go through endpoints; IAM and the AL2023 CDN are left."""
    directory = _bundle(tmp_path / "b", plan_manifest([], stack="parallelcluster@3.14.0"))
    cov = coverage(plan(load_config(CONFIG)).entries, read_carried(str(directory)))
    assert {e.pattern for e in cov.carried} == {
        "files.pythonhosted.org",
        "nodejs.org",
        "pypi.org",
        "raw.githubusercontent.com",
    }
    assert {e.pattern for e in cov.neither} == {"iam.us-gov.amazonaws.com", "cdn.amazonlinux.com"}
    assert cov.endpoint and all(e.scope == "cloud" for e in cov.endpoint)


def test_an_artefact_without_a_locked_file_carries_nothing(tmp_path: Path) -> None:
    """Only what was fetched counts."""
    manifest = Manifest(
        "t", (Artefact(path="downloads/e.com/t.zip", url="https://e.com/t.zip", serves=(Serves("e.com"),)),)
    )
    carried = read_carried(str(_bundle(tmp_path / "b", manifest, fetched=set())))
    assert carried.served == frozenset() and carried.files == 0
    full = Carried.of(
        "b",
        manifest,
        Lock("c" * 64, (LockedFile("downloads/e.com/t.zip", "https://e.com/t.zip", 1, "a" * 64),)),
    )
    assert full.served == {"e.com"}


def test_plan_with_a_bundle_lists_what_is_neither(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Text and JSON."""
    directory = _bundle(tmp_path / "b", plan_manifest([], stack="parallelcluster@3.14.0"))
    assert main(["plan", CONFIG, "--network", "isolated", "--bundle", str(directory)]) == 0
    out = capsys.readouterr().out
    assert (
        "carries 4 entries in full: files.pythonhosted.org, nodejs.org, pypi.org, raw.githubusercontent.com"
        in out
    )
    assert "Neither carried nor reachable through an endpoint (2):" in out
    assert main(["plan", CONFIG, "--bundle", str(directory), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["bundle"]
    assert sorted(data["neither"]) == ["cdn.amazonlinux.com", "iam.us-gov.amazonaws.com"]
    assert data["files"] == 3


def test_plan_refuses_a_directory_that_is_no_bundle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """No lock: not a complete bundle."""
    assert main(["plan", CONFIG, "--bundle", str(tmp_path)]) == 1
    assert "not a complete bundle" in capsys.readouterr().err


def test_verify_skips_carried_entries_and_probes_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The policy's downloads are in the bundle; the other hosts are probed (on loopback)."""
    log = tmp_path / "install.log"
    log.write_text(LOG)
    policy = tmp_path / "p.yaml"
    assert main(["build", str(log), "-q", "-o", str(policy)]) == 0
    directory = _bundle(tmp_path / "b", plan_manifest([str(policy)]))
    resolve = [
        f"--resolve={h}:{p}:127.0.0.1" for h in ("dead.example.net", "archive.ubuntu.com") for p in (443, 80)
    ]
    capsys.readouterr()
    code = main(
        [
            "verify",
            str(policy),
            "--bundle",
            str(directory),
            "--no-canary",
            "--no-env-proxy",
            "--protocol=443=tcp",
            "--protocol=80=tcp",
            *resolve,
            "--timeout",
            "30",
            "--json",
        ]
    )
    out, err = capsys.readouterr()
    assert "carried by the bundle, not probed (2): download.example.org, github.com" in err
    probed = {r["target"].split(":")[0] for r in json.loads(out)["results"]}
    assert "download.example.org" not in probed and "github.com" not in probed
    assert {"dead.example.net", "archive.ubuntu.com"} <= probed
    assert code in (0, 1)


def test_verify_refuses_a_bundle_with_a_plain_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A list has no reasons to match."""
    listing = tmp_path / "hosts.txt"
    listing.write_text("example.org\n")
    directory = _bundle(tmp_path / "b", plan_manifest([], stack="parallelcluster@3.14.0"))
    assert main(["verify", str(listing), "--bundle", str(directory), "--no-canary"]) == 1
    assert "--bundle needs a policy file" in capsys.readouterr().err
