"""The parsed public suffix lists are cached on disk, and any problem with the cache falls back to parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from egressmap.classify import psl


def _fresh(monkeypatch: pytest.MonkeyPatch, where: str) -> tuple[object, object]:
    monkeypatch.setenv("EGRESSMAP_CACHE_DIR", where)
    psl._lists.cache_clear()
    try:
        return psl._lists()
    finally:
        psl._lists.cache_clear()


def test_cache_is_written_then_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first run writes one pickle; the second reads it and answers the same."""
    first = _fresh(monkeypatch, str(tmp_path))
    (cache,) = tmp_path.glob("psl-*.pickle")
    second = _fresh(monkeypatch, str(tmp_path))
    for a, b in zip(first, second, strict=True):
        assert a.publicsuffix("d1.cloudfront.net") == b.publicsuffix("d1.cloudfront.net")  # type: ignore[attr-defined]
    assert second[1].publicsuffix("d1.cloudfront.net") == "cloudfront.net"  # type: ignore[attr-defined]
    assert second[0].publicsuffix("d1.cloudfront.net") == "net"  # type: ignore[attr-defined]
    assert cache.stat().st_size > 1000


def test_corrupt_cache_falls_back_to_parsing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A truncated or foreign cache file is ignored and replaced."""
    _fresh(monkeypatch, str(tmp_path))
    (cache,) = tmp_path.glob("psl-*.pickle")
    cache.write_bytes(b"\x80\x05not a pickle")
    lists = _fresh(monkeypatch, str(tmp_path))
    assert lists[0].publicsuffix("www.example.co.uk") == "co.uk"  # type: ignore[attr-defined]
    assert cache.stat().st_size > 1000


def test_cache_off_and_unwritable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """EGRESSMAP_CACHE_DIR=off writes nothing; a cache dir that cannot be created is no error."""
    lists = _fresh(monkeypatch, "off")
    assert lists[0].publicsuffix("pypi.org") == "org"  # type: ignore[attr-defined]
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    lists = _fresh(monkeypatch, str(blocker / "sub"))
    assert lists[1].publicsuffix("x.github.io") == "github.io"  # type: ignore[attr-defined]
