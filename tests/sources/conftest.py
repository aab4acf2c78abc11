"""Fixtures shared by the source tests."""

from __future__ import annotations

import pytest

from egressmap.sources import squid_count


@pytest.fixture(params=["c", "python"])
def per_line_loop(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test of the native Squid path both ways: the C loop (built by the test install) and the Python one."""
    if request.param == "python":
        monkeypatch.setattr(squid_count, "_count", None)
    else:
        assert squid_count._count is not None, (
            "the C loop is built at install (gcc): pip install -e '.[test]'"
        )
    return str(request.param)
