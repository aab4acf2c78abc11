"""Check a wheelhouse offline: every requirement needs a wheel for the target (pip #9262, #10688).

``pip download --only-binary=:all: --platform … --python-version …`` fails as soon as one dependency has no
wheel for the target (https://github.com/pypa/pip/issues/9262), and an offline ``pip install`` of a source
distribution fails when its build backend is not in the wheelhouse (https://github.com/pypa/pip/issues/10688).
This walks the requirements from the root through each wheel's ``METADATA`` (``Requires-Dist``, markers
evaluated for the target), checks each against the wheels' tags (:mod:`packaging.tags`), and names what is
missing. Nothing is fetched.
"""

from __future__ import annotations

import tarfile
import tomllib
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)

from ..errors import ConfigError


@dataclass(frozen=True)
class Target:
    """The interpreter the wheelhouse is for."""

    python: str = "3.12"
    """``X.Y``."""
    platforms: tuple[str, ...] = ("manylinux2014_x86_64",)

    def tags(self) -> list[Tag]:
        """Every tag a wheel may carry to install on the target."""
        major, minor = (int(p) for p in self.python.split(".")[:2])
        version = (major, minor)
        return [
            *cpython_tags(version, platforms=self.platforms),
            *compatible_tags(version, f"cp{major}{minor}", self.platforms),
        ]

    def environment(self, extra: str = "") -> dict[str, str]:
        """PEP 508 marker values of the target."""
        return {
            "python_version": self.python,
            "python_full_version": f"{self.python}.0",
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "platform_system": "Linux",
            "sys_platform": "linux",
            "os_name": "posix",
            "platform_machine": "x86_64" if any("x86_64" in p for p in self.platforms) else "aarch64",
            "extra": extra,
        }


@dataclass
class Report:
    """What the wheelhouse lacks for the target."""

    checked: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Requirements with no wheel for the target (and the wheels that exist for another target)."""
    backends: list[str] = field(default_factory=list)
    """Build requirements of source distributions that the wheelhouse does not hold."""

    @property
    def ok(self) -> bool:
        """True when nothing is missing."""
        return not self.missing and not self.backends


def check_wheelhouse(directory: str, roots: Sequence[str], target: Target) -> Report:
    """Check ``roots`` (requirement strings) and everything they require against the files in ``directory``."""
    base = Path(directory)
    if not base.is_dir():
        raise ConfigError(f"{directory}: not a directory (the wheelhouse pip download wrote)")
    wheels: dict[str, list[tuple[Path, str, set[Tag]]]] = {}
    sdists: dict[str, list[Path]] = {}
    for path in sorted(base.iterdir()):
        try:
            name, version, _, tags = parse_wheel_filename(path.name)
            wheels.setdefault(name, []).append((path, str(version), set(tags)))
            continue
        except InvalidWheelFilename:
            pass
        try:
            name, _ = parse_sdist_filename(path.name)
            sdists.setdefault(name, []).append(path)
        except InvalidSdistFilename:
            continue
    wanted_tags = set(target.tags())
    report = Report()
    queue = [_requirement(r, "command line") for r in roots]
    seen: set[str] = set()
    while queue:
        req = queue.pop(0)
        name = canonicalize_name(req.name)
        key = f"{name}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        extras = tuple(sorted(req.extras))
        fitting = [
            w
            for w in wheels.get(name, [])
            if w[2] & wanted_tags and req.specifier.contains(w[1], prereleases=True)
        ]
        if not fitting:
            other = sorted(p.name for p, _, _ in wheels.get(name, []))
            src = sorted(p.name for p in sdists.get(name, []))
            why = (
                f"other targets only: {', '.join(other)}"
                if other
                else f"source only: {', '.join(src)}"
                if src
                else "nothing"
            )
            report.missing.append(
                f"{req}: no wheel for cp{target.python} {'/'.join(target.platforms)} ({why})"
            )
            for sdist in sdists.get(name, []):
                report.backends += _missing_backends(sdist, wheels)
            continue
        path = max(fitting, key=lambda w: w[1])[0]
        report.checked.append(path.name)
        for dep in _requires(path):
            envs = [target.environment(e) for e in ("", *extras)]
            if dep.marker is None or any(dep.marker.evaluate(env) for env in envs):
                queue.append(dep)
    report.backends = sorted(set(report.backends))
    return report


def _requirement(text: str, where: str) -> Requirement:
    try:
        return Requirement(text)
    except InvalidRequirement as exc:
        raise ConfigError(f"{where}: {text!r} is not a requirement ({exc})") from None


def _requires(wheel: Path) -> list[Requirement]:
    """``Requires-Dist`` of a wheel's METADATA."""
    try:
        with zipfile.ZipFile(wheel) as zf:
            meta = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA")), None)
            text = zf.read(meta).decode("utf-8", "replace") if meta else ""
    except (OSError, zipfile.BadZipFile) as exc:
        raise ConfigError(f"{wheel}: not a readable wheel ({exc})") from None
    return [_requirement(r, wheel.name) for r in Parser().parsestr(text).get_all("Requires-Dist") or []]


def _missing_backends(sdist: Path, wheels: dict[str, list[tuple[Path, str, set[Tag]]]]) -> list[str]:
    """Build requirements of an sdist (``[build-system] requires``, setuptools when absent) with no wheel here."""
    requires = ["setuptools>=40.8.0", "wheel"]
    try:
        with tarfile.open(sdist) as tf:
            member = next(
                (m for m in tf.getmembers() if m.name.count("/") == 1 and m.name.endswith("/pyproject.toml")),
                None,
            )
            handle = tf.extractfile(member) if member else None
            if handle is not None:
                requires = (
                    tomllib.loads(handle.read().decode("utf-8"))
                    .get("build-system", {})
                    .get("requires", requires)
                )
    except (OSError, tarfile.TarError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        pass
    out = []
    for text in requires:
        req = _requirement(text, sdist.name)
        if not wheels.get(canonicalize_name(req.name)):
            out.append(f"{req} (to build {sdist.name})")
    return out
