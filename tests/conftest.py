"""Shared fixtures."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

# Tests never write into the user's cache directory.
os.environ["EGRESSMAP_CACHE_DIR"] = tempfile.mkdtemp(prefix="egressmap-test-cache-")


@pytest.fixture
def data_dir() -> Path:
    """The tests/data folder."""
    return DATA
