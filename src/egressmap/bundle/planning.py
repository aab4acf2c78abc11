"""``bundle plan``: a manifest from policies, ``scan --json`` reports, cluster configs and ``STACK@VERSION``.

Each input is told apart by its content: a policy (``schema: egressmap.policy/...``), a scan report (a
``destinations`` list), else a cluster config (:func:`egressmap.catalog.configs.load_config`, which names the
problem when it is none). A config also brings its ParallelCluster version's installer (``--stack`` overrides
the version). The manifest is the same bytes whatever the order of the inputs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..policy_file import SCHEMA_FAMILY, policy_from_dict
from .evidence import Found, config_urls, from_policy, from_scan_report
from .manifest import Artefact, BundleError, Manifest, merge_artefacts
from .stacks import stack_artefacts


def plan_manifest(
    inputs: Sequence[str],
    *,
    stack: str | None = None,
    projects: Sequence[str] = (),
    include_failed: bool = False,
) -> Manifest:
    """The manifest for these inputs and stack; :class:`ConfigError` when there is nothing to carry."""
    if projects and not stack:
        raise ConfigError("--project needs --stack cyclecloud@VERSION")
    if not inputs and not stack:
        raise ConfigError("give a policy, a scan report or a cluster config, or --stack STACK@VERSION")
    artefacts: list[Artefact] = []
    notes: list[str] = []
    stacks: set[str] = set()
    empty: list[str] = []
    for path in sorted(set(inputs)):
        found, config_stack = _read(path, include_failed)
        artefacts += found.artefacts
        notes += found.notes
        if config_stack:
            stacks.add(stack or config_stack)
        elif not found.artefacts:
            empty.append(path)
    if stack:
        stacks.add(stack)
    for spec in sorted(stacks):
        found_artefacts, found_notes = stack_artefacts(spec, projects)
        artefacts += found_artefacts
        notes += found_notes
    if empty and not artefacts:
        raise ConfigError(
            f"{', '.join(empty)}: no download-like entries with full URLs (archives, packages, installers, keys "
            "seen downloaded): nothing to carry; pass --stack STACK@VERSION for the catalog's artefacts"
        )
    notes += [f"{p}: no download-like entries with full URLs" for p in empty]
    try:
        merged = merge_artefacts(artefacts)
    except BundleError as exc:
        raise ConfigError(str(exc)) from None
    planned = (
        sorted(set(inputs)) + ([stack] if stack else []) + [f"--project {p}" for p in sorted(set(projects))]
    )
    return Manifest(planned_from=" ".join(planned), artefacts=merged, notes=tuple(sorted(set(notes))))


def _read(path: str, include_failed: bool) -> tuple[Found, str | None]:
    """What one input gives, and the stack spec a cluster config implies."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    data = _structured(text)
    if isinstance(data, dict) and str(data.get("schema", "")).startswith(SCHEMA_FAMILY):
        return from_policy(policy_from_dict(data, path), path, include_failed=include_failed), None
    if isinstance(data, dict) and "destinations" in data and "schema" not in data:
        return from_scan_report(data, path, include_failed=include_failed), None
    from ..catalog.configs import load_config
    from ..catalog.planner import facts_of

    facts = facts_of(load_config(path))
    urls = [(u.value, facts.where(u.path)) for u in facts.urls]
    return config_urls(urls), f"parallelcluster@{facts.default_version}"


def _structured(text: str) -> Any:
    """JSON, else YAML, else None (a config that is neither is read by the config loader)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None
