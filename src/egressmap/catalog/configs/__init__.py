r"""Cluster config readers: ParallelCluster 3 cluster and build-image YAML, ParallelCluster 2 INI.

:func:`load_config` reads a file, tells which kind it is, parses it keeping the line of every key and list
item, and checks the keys against the known ones; every problem is a :class:`~egressmap.errors.ConfigError`
that names ``file:line``. The result is a :class:`ConfigDoc`.

Config paths: v3 ``"HeadNode.Networking.Proxy.HttpProxyAddress"``, ``"Scheduling.SlurmQueues[0].Name"``;
v2 ``"<section title>.<key>"``, split at the last dot: ``"cluster default.proxy_server"``, ``"aws.aws_region_name"``
(a title alone is the whole section).

>>> detect("HeadNode:\n  InstanceType: t3.micro\n")
'pcluster-v3-cluster'
>>> detect("[global]\ncluster_template = default\n")
'pcluster-v2'
>>> detect("1700000000.123 5 10.0.0.1 TCP_MISS/200 1024 GET http://example.com/ - HIER_DIRECT/1.2.3.4 text/html")
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ...errors import ConfigError
from . import pcluster_v2, pcluster_v3
from .located import format_path, split_path

__all__ = ["KINDS", "ConfigDoc", "ConfigKind", "detect", "load_config"]

ConfigKind = Literal["pcluster-v3-cluster", "pcluster-v3-build-image", "pcluster-v2"]
KINDS: tuple[ConfigKind, ...] = ("pcluster-v3-cluster", "pcluster-v3-build-image", "pcluster-v2")

_V3_CLUSTER = re.compile(r"""^["']?(?:HeadNode|Scheduling)["']?[ \t]*:""", re.MULTILINE)
_V3_BUILD = re.compile(r"""^["']?Build["']?[ \t]*:""", re.MULTILINE)
_V2 = re.compile(
    r"^[ \t]*\[[ \t]*(?:cluster(?:[ \t]+[^\]\n]*)?|global|aws)[ \t]*\][ \t]*(?:[#;].*)?$", re.M | re.I
)
_LOOSE_CLUSTER = re.compile(r"""[{,\s]["']?(?:HeadNode|Scheduling)["']?\s*:""")
_LOOSE_BUILD = re.compile(r"""[{,\s]["']?Build["']?\s*:""")
_INI_NAMES = (".ini", ".cfg", ".conf", "config")


@dataclass(frozen=True)
class ConfigDoc:
    """One loaded config: its kind, plain data and the line of each config path."""

    kind: ConfigKind
    origin: str
    """The path as given to :func:`load_config`."""
    data: Mapping[str, Any] = field(repr=False)
    """Plain nested dict/list/str/int/float/bool/None; v2: ``{section title: {key: str}}``."""
    lines: Mapping[str, int] = field(repr=False)
    """Config path -> 1-based line of that key, list item or v2 section header."""

    def get(self, path: str, default: Any = None) -> Any:
        """The value at a config path, or ``default`` when any step is missing (or the path is malformed)."""
        if self.kind == "pcluster-v2":
            title, key = pcluster_v2.split_v2_path(path)
            section = self.data.get(title)
            if section is None:
                return default
            return section if key is None else section.get(key, default)
        parts = split_path(path)
        if parts is None:
            return default
        value: Any = self.data
        for part in parts:
            if isinstance(part, int) and isinstance(value, list) and part < len(value):
                value = value[part]
            elif isinstance(part, str) and isinstance(value, dict) and part in value:
                value = value[part]
            else:
                return default
        return value

    def line(self, path: str) -> int | None:
        """The line of a config path, else of its nearest parent that has one; None when nothing is known."""
        if self.kind == "pcluster-v2":
            title, key = pcluster_v2.split_v2_path(path)
            found = self.lines.get(f"{title}.{key}") if key is not None else None
            return found or self.lines.get(title)
        parts = split_path(path) or []
        for end in range(len(parts), 0, -1):
            found = self.lines.get(format_path(parts[:end]))
            if found is not None:
                return found
        return None

    def where(self, path: str) -> str:
        """``"origin:line"`` of a config path (just the origin when no line is known)."""
        number = self.line(path)
        return f"{self.origin}:{number}" if number else self.origin


def _json_kind(text: str) -> ConfigKind | None:
    try:
        return pcluster_v3.kind_of(json.loads(text))
    except ValueError:  # YAML flow style, or broken JSON: look for the keys anywhere
        if _LOOSE_CLUSTER.search(text):
            return "pcluster-v3-cluster"
        return "pcluster-v3-build-image" if _LOOSE_BUILD.search(text) else None


def detect(text: str, name: str = "") -> ConfigKind | None:
    """Sniff which config kind ``text`` is, or None.

    v3 cluster: ``HeadNode`` or ``Scheduling`` at the top level; v3 build image: ``Build`` at the top level;
    v2 INI: a ``[cluster ...]``, ``[global]`` or ``[aws]`` section. ``name`` (a file name) only breaks the tie
    when the text looks like both YAML and INI.
    """
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("{"):
        return _json_kind(text)
    v3: ConfigKind | None = None
    if _V3_CLUSTER.search(text):
        v3 = "pcluster-v3-cluster"
    elif _V3_BUILD.search(text):
        v3 = "pcluster-v3-build-image"
    v2 = bool(_V2.search(text))
    if v3 and v2:
        return "pcluster-v2" if name.lower().endswith(_INI_NAMES) else v3
    return v3 or ("pcluster-v2" if v2 else None)


def _read_text(origin: str) -> str:
    try:
        raw = Path(origin).read_bytes()
    except OSError as err:
        raise ConfigError(f"{origin}: cannot read: {err.strerror or err}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise ConfigError(f"{origin}:{line}: not UTF-8 text") from None
    if not text.strip():
        raise ConfigError(f"{origin}: empty file")
    return text


def load_config(path: str | os.PathLike[str]) -> ConfigDoc:
    """Read, detect, parse and check one config file; every problem is a :class:`ConfigError`."""
    origin = os.fspath(path)
    text = _read_text(origin)
    kind = detect(text, origin)
    if kind == "pcluster-v2":
        data, lines = pcluster_v2.parse(text, origin)
        return ConfigDoc("pcluster-v2", origin, data, lines)
    if kind is None:
        ini = origin.lower().endswith(_INI_NAMES) or text.lstrip().startswith("[")
        raise ConfigError(f"{origin}: {pcluster_v2.NOT_V2 if ini else pcluster_v3.NOT_V3}")
    v3_kind, located = pcluster_v3.parse(text, origin)
    return ConfigDoc(v3_kind, origin, located.data, located.lines)
