from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.catalog.configs.located import format_path, load_yaml, split_path
from egressmap.errors import ConfigError


def test_values_match_safe_load() -> None:
    text = "a: 1\nb: yes\nc: ~\nd: 1.5\ne: '007'\nf: [x, 2, null]\ng: {h: false}\ni: 0x1f\nj: 1:30\n"
    assert load_yaml(text, "t.yaml").data == yaml.safe_load(text)


def test_lines_of_keys_and_list_items() -> None:
    text = "Top:\n  List:\n    - Name: a\n      Value: 1\n    -\n      Name: b\n  Last: z\n"
    lines = load_yaml(text, "t.yaml").lines
    assert lines == {
        "Top": 1,
        "Top.List": 2,
        "Top.List[0]": 3,
        "Top.List[0].Name": 3,
        "Top.List[0].Value": 4,
        "Top.List[1]": 6,
        "Top.List[1].Name": 6,
        "Top.Last": 7,
    }


def test_timestamps_stay_text() -> None:
    assert load_yaml("when: 2024-01-02\n", "t.yaml").data == {"when": "2024-01-02"}


def test_merge_keys_like_safe_load() -> None:
    text = "base: &b\n  X: 1\n  Y: 2\nother:\n  <<: *b\n  Y: 3\n"
    located = load_yaml(text, "t.yaml")
    assert located.data == yaml.safe_load(text)
    assert located.lines["other.Y"] == 6
    assert located.lines["other.X"] == 2  # where the merged key is written


def test_duplicate_key_names_both_lines() -> None:
    with pytest.raises(ConfigError, match=r"^t\.yaml:4: duplicate key 'A' under Top \(first at line 2\)$"):
        load_yaml("Top:\n  A: 1\n  B: 2\n  A: 3\n", "t.yaml")


def test_duplicate_top_level_key() -> None:
    with pytest.raises(ConfigError, match=r"^t\.yaml:3: duplicate key 'A' at the top level"):
        load_yaml("A: 1\nB: 2\nA: 3\n", "t.yaml")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: c: d\n", 2, "not valid YAML"),
        ("a:\n\tb: 1\n", 2, "not valid YAML"),
        ("a: 1\n---\nb: 2\n", 2, "single document"),
        ("a: 1\nb: \x00\n", 2, "control characters"),
        ("a: 1\nb: !Ref x\n", 2, "unsupported YAML tag '!Ref'"),
        ("a: 1\nb: !!int abc\n", 2, "'abc' is not a valid int"),
        ("a: 1\nb: !!int\n", 2, "'' is not a valid int"),
        ("a: 1\nb: !!bool maybe\n", 2, "'maybe' is not a valid bool"),
        ("a: 1\n? [x]\n: y\n", 2, "mapping key must be a plain value"),
        ("a: 1\nb: &x\n  c: *x\n", 2, "alias refers to a node that contains it"),
    ],
)
def test_errors_name_file_and_line(text: str, line: int, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_yaml(text, "cfg.yaml")
    assert str(info.value).startswith(f"cfg.yaml:{line}: ")
    assert words in str(info.value)


def test_alias_bomb_is_refused() -> None:
    rows = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"{n}: &{n} [{', '.join([f'*{p}'] * 10)}]" for p, n in zip("abcde", "bcdef", strict=True)]
    with pytest.raises(ConfigError, match="runaway aliases"):
        load_yaml("\n".join(rows) + "\n", "t.yaml")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(ConfigError, match="nested too deeply"):
        load_yaml("[" * 5000 + "]" * 5000, "t.yaml")


def test_empty_document() -> None:
    with pytest.raises(ConfigError, match=r"^t\.yaml: empty file"):
        load_yaml("# only a comment\n", "t.yaml")


@pytest.mark.parametrize(
    ("path", "parts"),
    [
        ("", []),
        ("A", ["A"]),
        ("A.B", ["A", "B"]),
        ("A.B[0].C", ["A", "B", 0, "C"]),
        ("A[1][2]", ["A", 1, 2]),
        ("cluster default.key", ["cluster default", "key"]),
    ],
)
def test_split_and_format_path(path: str, parts: list[str | int]) -> None:
    assert split_path(path) == parts
    assert format_path(parts) == path


@pytest.mark.parametrize("path", ["A..B", ".A", "A.", "A[x]", "[0]", "A.[0]", "A[0]B"])
def test_malformed_paths(path: str) -> None:
    assert split_path(path) is None


_keys = st.text(st.characters(categories=("L", "N"), max_codepoint=0x2FF), min_size=1, max_size=6)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=3),
    max_leaves=10,
)


@settings(max_examples=60, deadline=None)
@given(st.dictionaries(_keys, _values, min_size=1, max_size=4))
def test_round_trip_through_yaml_dump(data: dict[str, object]) -> None:
    text = yaml.safe_dump(data, sort_keys=False)
    assert load_yaml(text, "t.yaml").data == yaml.safe_load(text)
