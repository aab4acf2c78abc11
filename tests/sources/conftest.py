"""Fixtures shared by the source tests."""

from __future__ import annotations

import pytest

from egressmap import hostnames
from egressmap.sources import squid_count, squid_native, squid_tally


@pytest.fixture(params=["c", "python"])
def c_or_python(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test of the Squid path both ways: with its C parts (built by the test install), and with none.

    The C parts: the native format's per-line loop (and its counter, which counts a big file's two parts in two
    threads; without it two processes do) and conversion, and the tally's plain-destination check.
    """
    if request.param == "python":
        monkeypatch.setattr(squid_count, "_count", None)
        monkeypatch.setattr(squid_count, "_Counter", None)
        monkeypatch.setattr(squid_native, "_convert_c", None)
        monkeypatch.setattr(squid_tally, "fast_plain_destination", hostnames.plain_destination)
    else:
        assert squid_count._count is not None, (
            "the C loop is built at install (gcc): pip install -e '.[test]'"
        )
        assert hostnames.fast_plain_destination is not hostnames.plain_destination
        assert squid_native._convert_c is not None and squid_count._Counter is not None
    return str(request.param)
