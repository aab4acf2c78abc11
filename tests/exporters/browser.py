"""Helpers for testing HTML output in a real browser: a DOM tree parser, headless Chromium, a PNG reader."""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-color-profile=srgb",
    # No name resolves and the only proxy is a closed loopback port: the page has to open without a network.
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    # Console messages (a CSP violation is one) go to stderr.
    "--enable-logging=stderr",
    "--v=0",
)
CHROMIUM_TIMEOUT = 180
"""A hang guard (the run fails past it), generous so that a busy machine cannot fail a test."""
_VOID = frozenset(
    {"meta", "br", "col", "img", "input", "link", "hr", "area", "base", "embed", "source", "wbr"}
)


@dataclass
class Node:
    """A parsed element: tag, attributes, children (elements and text)."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """All text inside, in document order."""
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        """This element and every element inside it."""
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.walk()

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        """Elements inside with this tag (and class)."""
        return [
            n
            for n in self.walk()
            if n is not self and n.tag == tag and (cls is None or cls in n.attrs.get("class", "").split())
        ]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [Node("#document", {})]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Node:
    """A tree of the markup (the page as written, or the DOM Chromium dumps)."""
    builder = _Builder()
    builder.feed(markup)
    builder.close()
    return builder.stack[0]


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run Debian's headless Chromium with a fresh profile; fail (never skip) when it is not installed."""
    binary = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(binary).is_file():
        pytest.fail("Chromium is required: apt-get install chromium (scripts/test installs it)")
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=CHROMIUM_TIMEOUT,
            cwd=tmp_path,
            env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"chromium did not finish within {CHROMIUM_TIMEOUT} s: {' '.join(command)}")
    assert done.returncode == 0, f"chromium failed ({done.returncode}): {done.stderr[-2000:]}"
    return done


def console(stderr: str) -> list[str]:
    """The page's console messages (CSP violations among them) from Chromium's log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def write_page(tmp_path: Path, text: str) -> str:
    """Save a page as ``review.html`` and return its ``file://`` URL."""
    path = tmp_path / "review.html"
    path.write_text(text, encoding="utf-8")
    return path.as_uri()


def decode_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG (alpha dropped)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, chunks = 8, []
    width = height = colour = 0
    while pos < len(data):
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, "unsupported PNG layout"
        elif kind == b"IDAT":
            chunks.append(body)
    raw = zlib.decompress(b"".join(chunks))
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    prev, rows = bytes(stride), []
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, bpp)
        prev = bytes(line)
        rows.append(prev if bpp == 3 else bytes(b for i, b in enumerate(prev) if i % 4 != 3))
    return width, height, rows


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> bytearray:
    """Undo one scanline's filter (PNG spec section 9.2)."""
    if kind == 1:
        for x in range(bpp, len(line)):
            line[x] = (line[x] + line[x - bpp]) & 255
    elif kind == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
    elif kind == 3:
        for x in range(len(line)):
            line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
    elif kind == 4:
        for x in range(len(line)):
            a, b = (line[x - bpp], prev[x]) if x >= bpp else (0, prev[x])
            c = prev[x - bpp] if x >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    else:
        assert kind == 0, f"bad filter {kind}"
    return line


def count_pixels(rows: list[bytes], rgb: bytes) -> int:
    """How many pixels have exactly this colour (matches aligned on pixel boundaries only)."""
    total = 0
    for row in rows:
        at = row.find(rgb)
        while at >= 0:
            if at % 3 == 0:
                total += 1
                at = row.find(rgb, at + 3)
            else:
                at = row.find(rgb, at + 1)
    return total
