"""Binary detection: a known magic or mostly non-text bytes, never a few NUL bytes."""

from __future__ import annotations

import os
import random
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from egressmap.sources.binary import binary_reason, utf16_reason

SQUID = (
    b"1795282820.642    312 10.0.1.17 TCP_TUNNEL/200 6120 CONNECT pypi.org:443 - HIER_DIRECT/151.101.0.223 -\n"
    b"1795282821.007     48 10.0.1.17 TCP_MISS/200 1841 GET http://archive.ubuntu.com/ubuntu/dists/noble/InRelease"
    b" - HIER_DIRECT/185.125.190.81 text/plain\n"
)
APT = (
    b"Hit:1 http://archive.ubuntu.com/ubuntu noble InRelease\n"
    b"Get:2 http://security.ubuntu.com/ubuntu noble-security InRelease [126 kB]\n"
    b"Fetched 126 kB in 1s (180 kB/s)\n"
)


def _elf() -> bytes:
    header = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + struct.pack("<HHI", 2, 62, 1)
    return header + bytes(40) + b"/lib64/ld-linux-x86-64.so.2\x00" + bytes(range(256)) * 4


def _png() -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + struct.pack(">IIBBBBB", 16, 16, 8, 6, 0, 0, 0)
    )


def _pcap() -> bytes:
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + bytes(16) + b"\x45\x00" * 40


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_elf(), "ELF"),
        (_png(), "PNG"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(30) + b"logs/access.log", "ZIP"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n", "PDF"),
        (b"SQLite format 3\x00\x10\x00\x01\x01" + bytes(80), "SQLite"),
        (_pcap(), "pcap"),
        (b"\xfd7zXZ\x00\x00\x04\xe6\xd6\xb4\x46", "xz"),
        (b"BZh91AY&SY" + bytes(20), "bzip2"),
    ],
)
def test_known_magics_are_binary(data: bytes, words: str) -> None:
    """A file that starts with a binary format's magic is named as that format."""
    reason = binary_reason(data)
    assert reason is not None and words in reason


def test_random_bytes_are_binary() -> None:
    """Compressed or encrypted data (random bytes, no magic) is mostly not text."""
    rng = random.Random(7)
    data = bytes(rng.randrange(1, 256) for _ in range(8192))
    reason = binary_reason(data)
    assert reason is not None and "not text" in reason


@pytest.mark.parametrize("text", [SQUID, APT])
def test_nul_runs_do_not_make_a_log_binary(text: bytes) -> None:
    """A crash leaves a run of NUL bytes (even kilobytes) in a log: still text."""
    assert binary_reason(text + bytes(4096) + text) is None
    assert binary_reason(bytes(8192)) is None  # nothing but NULs: the reader reports those lines
    assert binary_reason(b"caf\xc3\xa9 \xe2\x9c\x93 " + text + "ünïcödé".encode() * 50) is None


def test_a_sample_cut_inside_a_character_is_text() -> None:
    """The sample may end in the middle of a UTF-8 character."""
    assert binary_reason(("é" * 20).encode()[:-1]) is None
    assert binary_reason(b"\x1b[32mOK\x1b[0m build done\tin 3s\r\n") is None


@settings(max_examples=200)
@given(
    lines=st.integers(min_value=1, max_value=60),
    spots=st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=6),
    run=st.integers(min_value=1, max_value=64),
)
def test_a_few_nuls_anywhere_never_make_a_log_binary(lines: int, spots: list[float], run: int) -> None:
    """Whatever few places get a run of NUL bytes, a text log stays text."""
    data = bytearray(SQUID * lines)
    for spot in sorted(spots, reverse=True):
        at = int(spot * len(data))
        data[at:at] = bytes(run)
    assert binary_reason(bytes(data[:8192])) is None


def test_urandom_with_nuls_is_still_binary() -> None:
    """Leaving NUL bytes out of the count does not make random data text."""
    data = bytes(b or 1 for b in os.urandom(4096)) + bytes(4096)
    assert binary_reason(data) is not None


def test_utf16_text_is_named_not_called_binary() -> None:
    """A log written as UTF-16 (PowerShell's Out-File), with or without a BOM, in either byte order."""
    text = "Invoke-WebRequest https://pypi.org/simple/\r\nStatusCode : 200\r\n" * 10
    assert utf16_reason(("\ufeff" + text).encode("utf-16-le")) == "UTF-16 text (little-endian)"
    assert utf16_reason(text.encode("utf-16-le")) == "UTF-16 text (little-endian)"
    assert utf16_reason(text.encode("utf-16-be")) == "UTF-16 text (big-endian)"
    assert utf16_reason(text.encode()) is None and utf16_reason(bytes(1024) + text.encode()) is None
