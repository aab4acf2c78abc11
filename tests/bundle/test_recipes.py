"""bundle recipes: pip for the CLI version the policy predicts, dnf and apt-offline runbooks, key URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.cli import main

LOG = (
    "Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease\n"
    "+ curl -fsSL https://download.docker.com/linux/ubuntu/gpg.asc -o /etc/apt/keyrings/docker.asc\n"
    "baseurl=https://dl.fedoraproject.org/pub/epel/9/Everything/x86_64/\n"
)


def _policy(tmp_path: Path, *extra: str) -> Path:
    log = tmp_path / "os.log"
    log.write_text(LOG)
    out = tmp_path / "p.yaml"
    assert main(["build", str(log), "--format", "text", "-q", "-o", str(out), *extra]) == 0
    return out


def test_recipes_cover_pip_dnf_apt_and_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CLI version comes from the policy's predictions; repositories from the catalog; keys from evidence."""
    policy = _policy(tmp_path, "--stack", "parallelcluster@3.14.0", "--os", "ubuntu2204")
    capsys.readouterr()
    assert main(["bundle", "recipes", str(policy), "--python-version", "3.11"]) == 0
    out = capsys.readouterr().out
    assert (
        "pip download --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.11 "
        "--implementation cp --abi cp311 -d wheelhouse aws-parallelcluster==3.14.0"
    ) in out
    assert "dnf reposync --repoid" in out and "--download-metadata --newest-only" in out
    assert "createrepo_c --update" in out and "epel (" in out
    assert "apt-offline set apt.sig" in out and "apt-offline install apt-bundle.zip" in out
    assert "#   https://download.docker.com/linux/ubuntu/gpg.asc" in out
    assert main(["bundle", "recipes", str(policy), "--python-version", "3.11"]) == 0
    assert capsys.readouterr().out == out


def test_a_policy_with_no_repositories_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing to recommend."""
    log = tmp_path / "x.log"
    log.write_text("see https://docs.example.org/guide/install.html for details\n")
    policy = tmp_path / "p.yaml"
    assert main(["build", str(log), "-q", "-o", str(policy)]) == 0
    capsys.readouterr()
    assert main(["bundle", "recipes", str(policy)]) == 0
    assert "nothing: the policy reaches no package index" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give a POLICY, or --check-wheelhouse DIR"),
        (("--python-version", "3"), "give X.Y"),
        (("--stack", "cyclecloud@8", "x.yaml"), "recipes know the ParallelCluster CLI only"),
        (("--check-wheelhouse", "."), "--check-wheelhouse needs --requirement REQ"),
    ],
)
def test_bad_input_is_one_line(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    """Exit 1, no traceback."""
    assert main(["bundle", "recipes", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
