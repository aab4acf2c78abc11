r"""Is an input a binary file? Yes when most of it is: a known binary magic, or mostly non-text bytes.

A few NUL bytes do not make a file binary: a crash or a full disk leaves runs of them in a text log, and the
reader skips (and reports) the lines that hold them. NUL bytes are therefore left out of the share of
non-text bytes, which only counts other control characters and bytes that are not UTF-8.

>>> binary_reason(b"\x7fELF\x02\x01\x01\x00" + bytes(64))
'an ELF executable or library'
>>> binary_reason(b"1732186800.000 1 10.0.0.7 TCP_TUNNEL/200 1 CONNECT pypi.org:443 -\n" + bytes(900))
>>> binary_reason(bytes(range(256)) * 8)
'60% of its first 2048 bytes are not text'
"""

from __future__ import annotations

import re

SAMPLE = 8192
"""How much of the start of an input is looked at."""
NON_TEXT_SHARE = 0.3
"""Above this share of non-text bytes (NUL bytes left out) the sample is binary (as Perl's ``-B`` decides)."""

MAGICS: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable or library"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or a jar, wheel, docx...)"),
    (b"PK\x05\x06", "an empty ZIP archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xd4\xc3\xb2\xa1", "a pcap capture"),
    (b"\xa1\xb2\xc3\xd4", "a pcap capture"),
    (b"\x4d\x3c\xb2\xa1", "a pcap capture"),
    (b"\xa1\xb2\x3c\x4d", "a pcap capture"),
    (b"\x0a\x0d\x0d\x0a", "a pcapng capture"),
    (b"\xca\xfe\xba\xbe", "a Java class or Mach-O file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"\xce\xfa\xed\xfe", "a Mach-O executable"),
    (b"BZh", "a bzip2-compressed file: decompress it (bunzip2) or recompress it with gzip"),
    (b"\xfd7zXZ\x00", "an xz-compressed file: decompress it (xz -d) or recompress it with gzip"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file: decompress it (zstd -d) or recompress it with gzip"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)
"""Leading bytes of binary formats someone may hand over by mistake (gzip is read: it is not here)."""

_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_TAR = b"ustar"
_TEXT_BYTES = bytes([9, 10, 11, 12, 13, 27]) + bytes(range(32, 127)) + bytes(range(128, 256))
"""Bytes that may appear in text: whitespace, escape (colour codes), printable ASCII, any non-ASCII byte."""


def binary_reason(sample: bytes) -> str | None:
    """What binary thing ``sample`` (the start of an input, decompressed) is, or None when it is text."""
    for magic, what in MAGICS:
        if sample.startswith(magic) and (magic != b"BZh" or _BZIP2.match(sample)):
            return what
    if sample.startswith(b"MZ") and b"PE\x00\x00" in sample[:1024]:
        return "a Windows executable"
    if sample[257:262] == _TAR:
        return "a tar archive: unpack it and give the logs inside"
    text = sample.replace(b"\x00", b"")
    if not text:
        return None
    controls = len(text.translate(None, _TEXT_BYTES))
    not_utf8 = text.decode("utf-8", "replace").count("\ufffd") - text.count("\ufffd".encode())
    if not text.isascii() and _cut_character(text):
        not_utf8 -= 1  # the sample may end inside a character
    share = (controls + max(0, not_utf8)) / len(text)
    if share > NON_TEXT_SHARE:
        return f"{share:.0%} of its first {len(sample)} bytes are not text"
    return None


def utf16_reason(sample: bytes) -> str | None:
    r"""Why ``sample`` is UTF-16 text (a byte order mark, or a NUL beside every ASCII character), else None.

    Such a file is all NUL bytes to a UTF-8 reader: every line would be skipped, so it is named instead.

    >>> utf16_reason("\ufeffGET https://pypi.org/\r\n".encode("utf-16-le"))
    'UTF-16 text (little-endian)'
    >>> utf16_reason(b"GET https://pypi.org/") is None
    True
    """
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return f"UTF-16 text ({'little' if sample[0] == 0xFF else 'big'}-endian)"
    even, odd = sample[0:512:2], sample[1:512:2]
    if len(odd) >= 16:
        for zeros, other, order in ((odd, even, "little"), (even, odd, "big")):
            if zeros.count(0) > 0.9 * len(zeros) and other.count(0) < 0.1 * len(other):
                return f"UTF-16 text ({order}-endian)"
    return None


def _cut_character(text: bytes) -> bool:
    """True when ``text`` ends inside a UTF-8 multi-byte character."""
    tail = text[-3:]
    try:
        tail.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data"
    return False
