"""The offline wheelhouse check: wheels for the target, markers, other-platform wheels, sdists' backends."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from egressmap.bundle.wheelhouse import Target, check_wheelhouse
from egressmap.cli import main
from egressmap.errors import ConfigError


def _wheel(directory: Path, name: str, requires: tuple[str, ...] = ()) -> None:
    dist = name.split("-")[0] + "-" + name.split("-")[1]
    with zipfile.ZipFile(directory / name, "w") as zf:
        meta = "Metadata-Version: 2.1\nName: x\nVersion: 1\n" + "".join(
            f"Requires-Dist: {r}\n" for r in requires
        )
        zf.writestr(f"{dist}.dist-info/METADATA", meta)


def _sdist(directory: Path, name: str, build_requires: str) -> None:
    with tarfile.open(directory / f"{name}.tar.gz", "w:gz") as tf:
        data = f'[build-system]\nrequires = ["{build_requires}"]\n'.encode()
        info = tarfile.TarInfo(f"{name}/pyproject.toml")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))


@pytest.fixture
def house(tmp_path: Path) -> Path:
    """A wheelhouse with one good chain and three kinds of gap."""
    _wheel(
        tmp_path,
        "demo_cli-1.0-py3-none-any.whl",
        ("dep-a>=1", "dep-b; python_version < '3.0'", "dep-c", "dep-d", "dep-e[fast]"),
    )
    _wheel(tmp_path, "dep_a-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    _wheel(tmp_path, "dep_c-2.0-cp312-cp312-macosx_11_0_arm64.whl")
    _sdist(tmp_path, "dep_d-0.5", "hatchling>=1")
    _wheel(tmp_path, "dep_e-1.0-py3-none-any.whl", ("dep-f; extra == 'fast'",))
    _wheel(tmp_path, "dep_f-1.0-py3-none-any.whl")
    (tmp_path / "README").write_text("not a distribution")
    return tmp_path


def test_gaps_are_named(house: Path) -> None:
    """dep-c has only a macOS wheel, dep-d only an sdist whose backend is missing; dep-b's marker is false."""
    report = check_wheelhouse(str(house), ["demo-cli==1.0"], Target("3.12"))
    assert sorted(report.checked) == [
        "demo_cli-1.0-py3-none-any.whl",
        "dep_a-1.2-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "dep_e-1.0-py3-none-any.whl",
        "dep_f-1.0-py3-none-any.whl",
    ]
    assert [m.split(":")[0] for m in report.missing] == ["dep-c", "dep-d"]
    assert "other targets only: dep_c-2.0-cp312-cp312-macosx_11_0_arm64.whl" in report.missing[0]
    assert "source only: dep_d-0.5.tar.gz" in report.missing[1]
    assert report.backends == ["hatchling>=1 (to build dep_d-0.5.tar.gz)"]
    assert not report.ok


def test_another_python_misses_the_cp312_wheel(house: Path) -> None:
    """Tags follow --python-version."""
    report = check_wheelhouse(str(house), ["dep-a"], Target("3.11"))
    assert report.missing and "dep-a" in report.missing[0]


def test_the_cli_exits_1_and_names_the_gaps(house: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """And 0 for a complete one."""
    assert main(["bundle", "recipes", "--check-wheelhouse", str(house), "--requirement", "demo-cli"]) == 1
    out = capsys.readouterr().out
    assert "missing: dep-c" in out and "build backend missing: hatchling>=1" in out and "pip #9262" in out
    assert main(["bundle", "recipes", "--check-wheelhouse", str(house), "--requirement", "dep-e[fast]"]) == 0


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    """One clear error."""
    with pytest.raises(ConfigError, match="not a directory"):
        check_wheelhouse(str(tmp_path / "nope"), ["x"], Target())
