"""Shared fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import settings

DATA = Path(__file__).parent / "data"

# Hypothesis fails an example that takes over 200 ms by default: on a busy shared machine that is load, not
# a bug. No per-example deadline; the number of examples still bounds each test.
settings.register_profile("egressmap", deadline=None)
settings.load_profile("egressmap")

# Tests never write into the user's cache directory.
os.environ["EGRESSMAP_CACHE_DIR"] = tempfile.mkdtemp(prefix="egressmap-test-cache-")


@pytest.fixture
def data_dir() -> Path:
    """The tests/data folder."""
    return DATA
