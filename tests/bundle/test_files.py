"""Checksum files, HTML sniffing."""

from __future__ import annotations

import pytest

from egressmap.bundle.files import looks_like_html, published_sha256

A, B = "a" * 64, "B" * 64


def test_checksum_lines_gnu_bsd_and_bare() -> None:
    """GNU (text and binary mode), BSD and a lone hash."""
    text = f"{A}  node-v20.tar.gz\n{B} *other.zip\nSHA256 (x.zip) = {A}\n"
    assert published_sha256(text, "node-v20.tar.gz", "s") == A
    assert published_sha256(text, "other.zip", "s") == B.lower()
    assert published_sha256(text, "x.zip", "s") == A
    assert published_sha256(f"{A}\n", "anything.zip", "s") == A
    with pytest.raises(
        ValueError, match="s has no sha256 for y.zip \\(it lists: node-v20.tar.gz, other.zip, x.zip\\)"
    ):
        published_sha256(text, "y.zip", "s")


def test_html_is_sniffed_unless_the_url_is_a_page() -> None:
    """A doctype or <html> start (after a BOM and blanks) is HTML, except for an .html URL."""
    assert looks_like_html(b"\xef\xbb\xbf \n<!DOCTYPE html>", "https://x/a.zip")
    assert looks_like_html(b"<HTML>", "https://x/a")
    assert not looks_like_html(b"<html>", "https://x/index.html")
    assert not looks_like_html(b"PK\x03\x04", "https://x/a.zip")
