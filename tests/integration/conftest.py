"""Fixtures for the integration tests: one real Squid run per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .squidlab import SquidLab, run_squid_lab


@pytest.fixture(scope="session")
def squid_lab() -> Iterator[SquidLab]:
    """Squid's finished logs from one run of the traffic plan (skips when squid is not installed)."""
    with run_squid_lab() as lab:
        yield lab
