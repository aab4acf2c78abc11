"""Shared fixtures for exporter tests: one policy with every kind of entry, and golden-file checking.

Regenerate the golden files with ``EGRESSMAP_REGEN_GOLDEN=1 pytest tests/exporters`` and review the diff like
code.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from egressmap.model import Policy
from egressmap.policy_file import load_policy

GOLDEN = Path(__file__).parent.parent / "data" / "exporters"
SHARED_POLICY = GOLDEN / "policy.yaml"
PROXY = "http://proxy.example.internal:3128"

CheckGolden = Callable[[str, str], None]


@pytest.fixture(scope="session")
def shared_policy() -> Policy:
    """exact, apex+subdomains, subdomains, one-label and region-template entries, cloud and internet, IPs."""
    return load_policy(str(SHARED_POLICY))


@pytest.fixture
def check_golden() -> CheckGolden:
    """Compare text with ``tests/data/exporters/<stem>.expected`` (or write it when regenerating)."""

    def check(stem: str, text: str) -> None:
        path = GOLDEN / f"{stem}.expected"
        if os.environ.get("EGRESSMAP_REGEN_GOLDEN") == "1":
            path.write_text(text, encoding="utf-8")
        assert path.exists(), f"no golden file {path.name}; run with EGRESSMAP_REGEN_GOLDEN=1 and review it"
        assert text == path.read_text(encoding="utf-8"), f"{path.name} differs; regenerate and review"

    return check
