r"""A YAML loader that keeps the line of every key and list item.

:func:`load_yaml` composes the text with PyYAML (``CSafeLoader`` when libyaml is there), then builds plain
values (dict, list, str, int, float, bool, None) itself, scalars resolved as ``yaml.safe_load`` would, and a
map from config path to 1-based line. Paths look like ``HeadNode.Networking.Proxy`` and
``Scheduling.SlurmQueues[0].Name``:

>>> doc = load_yaml("A:\n  B:\n    - x\n    - C: 1\n", "t.yaml")
>>> doc.data
{'A': {'B': ['x', {'C': 1}]}}
>>> doc.lines["A.B[1].C"]
4
>>> split_path("Scheduling.SlurmQueues[0].Name")
['Scheduling', 'SlurmQueues', 0, 'Name']
>>> format_path(["Scheduling", "SlurmQueues", 0])
'Scheduling.SlurmQueues[0]'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ...errors import ConfigError

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_T = "tag:yaml.org,2002:"
_PLAIN = {f"{_T}{name}" for name in ("null", "bool", "int", "float", "str")}
_AS_TEXT = {f"{_T}timestamp", f"{_T}binary", "!"}
_COLLECTIONS = {f"{_T}map", f"{_T}seq"}
_MERGE = f"{_T}merge"
_MAX_NODES = 200_000
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[\d+\])*")

PathPart = str | int


@dataclass(frozen=True)
class Located:
    """Plain data and the 1-based line of each path in it."""

    data: Any
    lines: dict[str, int]


def split_path(path: str) -> list[PathPart] | None:
    """``"A.B[0].C"`` -> ``["A", "B", 0, "C"]``; ``""`` -> ``[]``; None when the path is malformed."""
    if path and not _PATH.fullmatch(path):
        return None
    return [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _STEP.finditer(path)]


def format_path(parts: Sequence[PathPart]) -> str:
    """The inverse of :func:`split_path`."""
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


def _yaml_error(err: yaml.YAMLError, text: str, origin: str) -> ConfigError:
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        what = " ".join(str(p) for p in (err.context, err.problem) if p) or "syntax error"
        where = f"{origin}:{mark.line + 1}" if mark is not None else origin
        return ConfigError(f"{where}: not valid YAML: {what}")
    if isinstance(err, yaml.reader.ReaderError):
        line = text.count("\n", 0, max(0, min(int(err.position), len(text)))) + 1
        return ConfigError(f"{origin}:{line}: not valid YAML: {err.reason}")
    return ConfigError(f"{origin}: not valid YAML: {err}")


class _Builder:
    """Turns composed nodes into plain values, recording lines and refusing duplicate keys."""

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.lines: dict[str, int] = {}
        self.active: set[int] = set()
        self.count = 0

    def fail(self, node: Node, message: str) -> ConfigError:
        return ConfigError(f"{self.origin}:{_line(node)}: {message}")

    def build(self, node: Node, path: str) -> Any:
        self.count += 1
        if self.count > _MAX_NODES:
            raise self.fail(node, f"more than {_MAX_NODES} YAML values (runaway aliases?)")
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if node.tag not in _COLLECTIONS:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
        if id(node) in self.active:
            raise self.fail(node, "a YAML alias refers to a node that contains it")
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode):
                return [self.child(item, f"{path}[{i}]", item) for i, item in enumerate(node.value)]
            assert isinstance(node, MappingNode)
            return self.mapping(node, path)
        finally:
            self.active.discard(id(node))

    def child(self, node: Node, path: str, at: Node) -> Any:
        self.lines.setdefault(path, _line(at))
        return self.build(node, path)

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag in _AS_TEXT:
            return str(node.value)
        if node.tag not in _PLAIN:
            raise self.fail(node, f"unsupported YAML tag {node.tag!r}")
        construct: Callable[[Any, Node], Any] = _CONSTRUCTOR.yaml_constructors[node.tag]
        try:
            return construct(_CONSTRUCTOR, node)
        except Exception:  # the constructors raise ValueError, KeyError, IndexError... on odd explicit tags
            raise self.fail(node, f"{node.value!r} is not a valid {node.tag.rsplit(':', 1)[-1]}") from None

    def pairs(self, node: MappingNode) -> Iterator[tuple[Node, Node]]:
        """Own pairs first, then those pulled in by ``<<`` merge keys (own keys win, as in safe_load)."""
        merged: list[Node] = []
        for key, value in node.value:
            if key.tag == _MERGE:
                merged.extend(value.value if isinstance(value, SequenceNode) else [value])
            else:
                yield key, value
        for source in merged:
            if not isinstance(source, MappingNode):
                raise self.fail(source, "a merge key (<<) needs a mapping or a list of mappings")
            if id(source) in self.active:
                raise self.fail(source, "a YAML alias refers to a node that contains it")
            self.active.add(id(source))
            try:
                yield from self.pairs(source)
            finally:
                self.active.discard(id(source))

    def mapping(self, node: MappingNode, path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        own: dict[str, int] = {}
        own_count = sum(1 for key, _ in node.value if key.tag != _MERGE)
        for n, (key, value) in enumerate(self.pairs(node)):
            if not isinstance(key, ScalarNode):
                raise self.fail(key, "a mapping key must be a plain value, not a list or mapping")
            name = str(key.value)
            if n < own_count:
                if name in own:
                    where = f"under {path}" if path else "at the top level"
                    raise self.fail(key, f"duplicate key {name!r} {where} (first at line {own[name]})")
                own[name] = _line(key)
            elif name in out:
                continue
            out[name] = self.child(value, f"{path}.{name}" if path else name, key)
        return out


def load_yaml(text: str, origin: str) -> Located:
    """Parse one YAML document into plain data and lines; raise :class:`ConfigError` naming ``origin:line``."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError as err:
        raise _yaml_error(err, text, origin) from None
    except RecursionError:
        raise ConfigError(f"{origin}: YAML nested too deeply") from None
    if root is None:
        raise ConfigError(f"{origin}: empty file (no YAML document)")
    builder = _Builder(origin)
    try:
        data = builder.build(root, "")
    except RecursionError:
        raise ConfigError(f"{origin}: YAML nested too deeply") from None
    return Located(data, builder.lines)
