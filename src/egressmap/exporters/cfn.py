"""CloudFormation templates as deterministic YAML: keys in the order built, multi-line strings as ``|`` blocks.

Template anatomy: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

__all__ = ["FORMAT_VERSION", "template_yaml"]

FORMAT_VERSION = "2010-09-09"
"""The only ``AWSTemplateFormatVersion`` there is."""


class _Dumper(yaml.SafeDumper):
    """``yaml.SafeDumper`` that writes multi-line strings as literal blocks (rule strings stay readable)."""


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style="|" if "\n" in data else None)


_Dumper.add_representer(str, _str)


def template_yaml(template: Mapping[str, Any], comments: Sequence[str] = ()) -> str:
    """The template as YAML, after ``# comment`` lines (safe text, wrapped at 100 characters)."""
    head = "".join(f"# {line}\n" for text in comments for line in textwrap.wrap(text, 100))
    body = yaml.dump(dict(template), Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=100000)
    return head + body
